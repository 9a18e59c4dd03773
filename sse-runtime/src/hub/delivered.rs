//! What a topic served from a shared backend (Redis, PostgreSQL) has
//! delivered to this process's subscribers: the backend brings each entry
//! at least once (a wake-up, then a read after a reconnect), and this makes
//! it exactly once, in order.

use crate::hub::error::HubError;
use crate::hub::fanout::Fanout;
use crate::hub::message::Message;

/// The last id delivered, and what arrived while the topic was starting.
#[derive(Default)]
pub(crate) struct Delivered {
    /// `None` while the topic is starting.
    last: Option<u64>,
    /// What arrived while starting, sorted out when the start is known.
    pending: Vec<Message>,
}

impl Delivered {
    pub(crate) fn last(&self) -> Option<u64> {
        self.last
    }

    /// Gives `message` to `fanout`, unless it was delivered already; held
    /// while the topic is starting.
    pub(crate) fn deliver(&mut self, message: Message, fanout: &Fanout) {
        match self.last {
            None => self.pending.push(message),
            Some(last) if message.id() <= last => {}
            Some(_) => {
                self.last = Some(message.id());
                let _ = fanout.publish(|_| Ok::<_, ()>(message));
            }
        }
    }

    /// The topic's live messages are those after `start`: what arrived
    /// meanwhile is delivered if it is newer.
    pub(crate) fn started(&mut self, start: u64, fanout: &Fanout) {
        self.last = Some(start);
        for message in std::mem::take(&mut self.pending) {
            self.deliver(message, fanout);
        }
    }
}

/// Whether a topic has started: set once, by the task that starts it (a task
/// of its own, so that a subscribe cancelled meanwhile cannot leave the topic
/// starting for ever), and awaited by every subscriber that finds the topic
/// starting (one that went ahead would replay from an older state than the
/// start, and miss what came between).
pub(crate) struct Readiness(tokio::sync::watch::Sender<Ready>);

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Ready {
    Starting,
    Started,
    Failed(String),
}

impl Readiness {
    pub(crate) fn new() -> Self {
        Self(tokio::sync::watch::Sender::new(Ready::Starting))
    }

    pub(crate) fn set(&self, ready: Ready) {
        self.0.send_replace(ready);
    }

    /// Until the topic has started, or failed to.
    pub(crate) async fn wait(&self) -> Result<(), HubError> {
        let mut ready = self.0.subscribe();
        let outcome = ready
            .wait_for(|ready| *ready != Ready::Starting)
            .await
            .map(|ready| ready.clone());
        match outcome {
            Ok(Ready::Started) => Ok(()),
            Ok(Ready::Failed(why)) => Err(HubError::Backend(why.into())),
            Ok(Ready::Starting) | Err(_) => {
                Err(HubError::Backend("the topic's start was abandoned".into()))
            }
        }
    }
}
