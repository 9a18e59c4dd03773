//! The in-process backend: topics in memory, one lock per topic.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::event::{EventError, SseEvent};
use crate::hub::config::HubConfig;
use crate::hub::message::Message;
use crate::hub::resume::{History, Resume};
use crate::hub::subscription::Subscription;

/// Topics held in this process.
#[derive(Debug, Default)]
pub(super) struct MemoryHub {
    config: HubConfig,
    topics: Mutex<HashMap<String, Arc<Topic>>>,
}

/// One topic: its id counter, replay buffer and live channel, under one lock
/// so that a subscribe sees an exact split between replay and live.
#[derive(Debug)]
pub(crate) struct Topic {
    state: Mutex<TopicState>,
}

#[derive(Debug)]
struct TopicState {
    next_id: u64,
    history: VecDeque<Message>,
    live: broadcast::Sender<Message>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent at every await-free step.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryHub {
    pub(super) fn new(config: HubConfig) -> Self {
        Self {
            config,
            topics: Mutex::default(),
        }
    }

    fn topic(&self, name: &str) -> Arc<Topic> {
        let mut topics = lock(&self.topics);
        if let Some(topic) = topics.get(name) {
            return topic.clone();
        }
        let (live, _) = broadcast::channel(self.config.buffer.max(1));
        let topic = Arc::new(Topic {
            state: Mutex::new(TopicState {
                next_id: 1,
                history: VecDeque::new(),
                live,
            }),
        });
        topics.insert(name.to_owned(), topic.clone());
        topic
    }

    pub(super) fn publish<E: SseEvent + ?Sized>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<u64, EventError> {
        let topic = self.topic(topic);
        let config = &self.config;
        let mut state = lock(&topic.state);
        let id = state.next_id;
        let message = Message::published(id, event, config.line_ending)?;
        state.next_id += 1;
        state.history.push_back(message.clone());
        trim(&mut state.history, config);
        // No receivers is fine: the replay buffer still has it.
        let _ = state.live.send(message);
        Ok(id)
    }

    pub(super) fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription {
        let topic = self.topic(topic);
        let config = &self.config;
        let mut state = lock(&topic.state);
        trim(&mut state.history, config);
        let live = state.live.subscribe();
        let newest = state.next_id - 1;
        let first_kept = state.history.front().map_or(newest + 1, Message::id);
        let resume = Resume::after(
            last_event_id,
            History {
                newest: (newest > 0).then_some(newest),
                dropped_through: (first_kept > 1).then(|| first_kept - 1),
                consecutive: true,
            },
        );
        let replay: VecDeque<Message> = match last_event_id {
            Some(last) if resume.replays() => state
                .history
                .iter()
                .filter(|message| message.id() > last)
                .cloned()
                .collect(),
            _ => VecDeque::new(),
        };
        drop(state);
        Subscription::new(replay, live, resume, config.lag, config.line_ending)
    }
}

/// Drops what the replay buffer no longer keeps.
fn trim(history: &mut VecDeque<Message>, config: &HubConfig) {
    while history.len() > config.replay {
        history.pop_front();
    }
    if let Some(age) = config.replay_for {
        let now = Instant::now();
        while history
            .front()
            .is_some_and(|m| now.duration_since(m.at()) > age)
        {
            history.pop_front();
        }
    }
}
