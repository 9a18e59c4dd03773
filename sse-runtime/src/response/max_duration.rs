//! A maximum lifetime for a stream: it ends cleanly, and the client
//! reconnects (with `Last-Event-ID`) to a server that may be a new version,
//! under credentials checked again.
//!
//! Each stream ends at a random moment within the jitter window before its
//! limit, so that the streams a deploy or a restart opened together do not
//! all reconnect in one burst.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::event::Event;

/// How long a stream may stay open, and what it says when it ends for that.
///
/// A stream with a maximum duration ends at a random moment between
/// `limit - jitter` and `limit` after it opened (the jitter is a tenth of the
/// limit unless set), sends the farewell if there is one, and ends cleanly:
/// the browser's `EventSource` reconnects after its `retry` delay with
/// `Last-Event-ID`, and picks up where it left off (with `id = sequential` or
/// the hub). Its `on_disconnect` runs with
/// [`DisconnectReason::MaxDuration`](crate::DisconnectReason::MaxDuration).
/// Mercure's `write_timeout` is the same idea: a long-lived connection that
/// outlives a rolling deploy, or the token it was authorised with, ends by
/// itself.
///
/// ```
/// use sse_runtime::{Event, MaxDuration, SseResponse};
/// use std::time::Duration;
/// # let events = futures_util::stream::empty::<Event>();
///
/// // Ends between 9 and 10 minutes after it opened, saying so.
/// let response = SseResponse::new(events).max_duration(
///     MaxDuration::new(Duration::from_secs(600))
///         .jitter(Duration::from_secs(60))
///         .farewell(|| Event::data("reconnect").event("expired").expect("a valid name")),
/// );
/// # drop(response);
/// ```
#[derive(Clone)]
#[must_use]
pub struct MaxDuration {
    limit: Duration,
    jitter: Duration,
    farewell: Option<Farewell>,
}

type Farewell = Arc<dyn Fn() -> Event + Send + Sync>;

impl MaxDuration {
    /// Streams end at most `limit` after they opened, and at least
    /// `limit - limit / 10`.
    pub fn new(limit: Duration) -> Self {
        Self {
            limit,
            jitter: limit / 10,
            farewell: None,
        }
    }

    /// How much earlier than the limit a stream may end, at random: streams
    /// end spread over `[limit - jitter, limit]`. More than the limit is
    /// taken as the limit (streams then end anywhere in `[0, limit]`).
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter.min(self.limit);
        self
    }

    /// An event sent just before the stream ends for its duration (an
    /// `event: reauthenticate`, say). Without one the stream just ends.
    pub fn farewell<F>(mut self, event: F) -> Self
    where
        F: Fn() -> Event + Send + Sync + 'static,
    {
        self.farewell = Some(Arc::new(event));
        self
    }

    /// The limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// The jitter.
    pub fn jitter_window(&self) -> Duration {
        self.jitter
    }

    /// Starts the clock of a stream opening now.
    pub(crate) fn start(&self) -> Expiry {
        let early = self.jitter.mul_f64(random_fraction());
        Expiry {
            sleep: Box::pin(tokio::time::sleep_until(
                Instant::now() + (self.limit - early),
            )),
            farewell: self.farewell.clone(),
        }
    }
}

impl fmt::Debug for MaxDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaxDuration")
            .field("limit", &self.limit)
            .field("jitter", &self.jitter)
            .field("farewell", &self.farewell.is_some())
            .finish()
    }
}

/// A uniformly distributed number in `[0, 1)`, from the standard library's
/// randomly keyed hasher: no random-number crate for a jitter.
fn random_fraction() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let bits = RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// One stream's clock.
pub(crate) struct Expiry {
    sleep: Pin<Box<Sleep>>,
    farewell: Option<Farewell>,
}

impl Expiry {
    /// Ready, with the farewell to send, once the stream has lived its time.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<Option<Farewell>> {
        self.sleep.as_mut().poll(cx).map(|()| self.farewell.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_spread_over_the_unit_interval() {
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let fraction = random_fraction();
            assert!((0.0..1.0).contains(&fraction));
            buckets[(fraction * 10.0) as usize] += 1;
        }
        // 1,000 expected in each; a uniform source is far inside these bounds.
        assert!(
            buckets.iter().all(|&n| (800..1_200).contains(&n)),
            "{buckets:?}"
        );
    }

    #[test]
    fn the_jitter_never_exceeds_the_limit() {
        let max = MaxDuration::new(Duration::from_secs(5)).jitter(Duration::from_secs(60));
        assert_eq!(max.jitter_window(), Duration::from_secs(5));
        assert_eq!(
            MaxDuration::new(Duration::from_secs(600)).jitter_window(),
            Duration::from_secs(60)
        );
    }
}
