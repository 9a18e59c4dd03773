//! The keys of recent [`Hub::publish_once`](super::Hub::publish_once) calls
//! to one in-memory topic, each with the id it was stored under, forgotten
//! after the idempotency window.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Default)]
pub(crate) struct PublishKeys {
    ids: HashMap<Box<str>, u64>,
    /// Keys in the order they were stored, to forget the oldest first.
    order: VecDeque<(Instant, Box<str>)>,
}

impl PublishKeys {
    /// The id `key` was stored under within `window`, if any.
    pub(crate) fn get(&mut self, key: &str, window: Duration) -> Option<u64> {
        self.forget_older_than(window);
        self.ids.get(key).copied()
    }

    pub(crate) fn insert(&mut self, key: &str, id: u64) {
        self.ids.insert(key.into(), id);
        self.order.push_back((Instant::now(), key.into()));
    }

    /// Whether no key is remembered within `window`.
    pub(crate) fn is_empty(&mut self, window: Duration) -> bool {
        self.forget_older_than(window);
        self.ids.is_empty()
    }

    fn forget_older_than(&mut self, window: Duration) {
        let now = Instant::now();
        while let Some((at, _)) = self.order.front() {
            if now.duration_since(*at) <= window {
                break;
            }
            let (_, key) = self.order.pop_front().expect("just seen");
            self.ids.remove(&key);
        }
        if self.ids.is_empty() {
            self.ids.shrink_to_fit();
            self.order.shrink_to_fit();
        }
    }
}

/// What a backend did with a publish: the event's id, and whether this
/// call stored it (`false`: a `publish_once` whose key was seen, answered
/// with the id it was stored under then).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stored {
    pub(crate) id: u64,
    pub(crate) new: bool,
}

impl Stored {
    pub(crate) fn new(id: u64) -> Self {
        Self { id, new: true }
    }
}
