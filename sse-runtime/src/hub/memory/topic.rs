//! One incarnation of an in-memory topic: its log, its id tag, what a
//! resume from a client's `Last-Event-ID` replays, and the keys of recent
//! `publish_once` calls.

use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, Weak};

use tokio::time::Instant;

use crate::hub::config::HubConfig;
use crate::hub::fanout::{Fanout, Log};
use crate::hub::memory::MemoryHub;
use crate::hub::publish_keys::PublishKeys;
use crate::hub::resume::{History, Resume};
use crate::hub::subscription::Source;

/// One incarnation of a topic.
#[derive(Debug)]
pub(crate) struct Topic {
    pub(super) name: String,
    /// `tag << 32`: the ids of this incarnation are `base + n`.
    pub(super) base: u64,
    pub(super) fanout: Fanout,
    /// Keys of recent `publish_once` calls; locked around such a publish.
    pub(super) keys: Mutex<PublishKeys>,
    pub(super) hub: Weak<MemoryHub>,
}

/// A random tag in 1..2^31, so that ids stay below 2^63.
pub(super) fn random_tag() -> u64 {
    let tag = RandomState::new().hash_one(std::time::SystemTime::now()) >> 33;
    tag.max(1)
}

impl Topic {
    /// Where a subscriber that last saw `last_event_id` starts reading, and
    /// how that relates to the id.
    pub(super) fn resume_after(
        &self,
        log: &Log,
        last_event_id: Option<u64>,
        config: &HubConfig,
    ) -> (u64, Resume) {
        let head = log.head();
        // Messages older than the replay window are kept for lagging
        // subscribers only: a resume does not replay them.
        let first = log.head() - log.messages.len() as u64;
        let young = match config.replay_for {
            Some(age) => {
                let now = Instant::now();
                let old = log
                    .messages
                    .iter()
                    .take_while(|m| now.duration_since(m.at()) > age)
                    .count();
                first + old as u64
            }
            None => first,
        }
        .max(head.saturating_sub(config.replay as u64));
        let id = |position: u64| self.base | (position + 1);
        let history = History {
            newest: (head > 0).then(|| id(head - 1)),
            dropped_through: (young > 0).then(|| id(young - 1)),
            consecutive: true,
            foreign: last_event_id.is_some_and(|last| last & !0xFFFF_FFFF != self.base),
            first_id: Some(id(0)),
        };
        let resume = Resume::after(last_event_id, history);
        let start = match last_event_id {
            Some(last) if resume.replays() && !history.foreign && last != 0 => {
                (last & 0xFFFF_FFFF).max(young)
            }
            Some(_) if resume.replays() => young,
            _ => head,
        };
        (start, resume)
    }
}

impl Source for Topic {
    fn fanout(&self) -> &Fanout {
        &self.fanout
    }

    fn idle(&self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.idle(self);
        }
    }
}

/// Drops what is older than the replay window from an idle log.
pub(super) fn expire(log: &mut Log, config: &HubConfig) {
    log.trim_to(config.replay);
    if let Some(age) = config.replay_for {
        let now = Instant::now();
        while log
            .messages
            .front()
            .is_some_and(|m| now.duration_since(m.at()) > age)
        {
            log.pop_oldest();
        }
    }
}
