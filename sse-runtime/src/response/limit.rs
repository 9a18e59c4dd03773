//! [`StreamLimit`]: a cap on how many streams an endpoint serves at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::sync::lock;

/// Counts the open streams of one endpoint (or of any set of endpoints that
/// share it) and refuses new ones past a maximum with `503 Service
/// Unavailable` and `Retry-After`; the refused stream is never started.
///
/// Cheap to clone; clones share the count. `#[sse_endpoint(max_streams = N)]`
/// gives an endpoint one of its own.
///
/// ```
/// use sse_runtime::{Event, SseResponse, StreamLimit};
/// use std::sync::LazyLock;
///
/// static FEED_LIMIT: LazyLock<StreamLimit> = LazyLock::new(|| StreamLimit::new(1_000));
///
/// async fn feed() -> SseResponse<futures_util::stream::Pending<Event>> {
///     // Past 1,000 open streams this answers `503` with `Retry-After: 5`.
///     SseResponse::new(futures_util::stream::pending()).limit(&FEED_LIMIT)
/// }
/// # let _ = feed;
/// ```
#[derive(Clone, Debug)]
pub struct StreamLimit {
    counter: Arc<Counter>,
}

#[derive(Debug)]
struct Counter {
    max: usize,
    open: AtomicUsize,
    retry_after: Duration,
    /// Refusals not yet logged, and when the last log line was written: a
    /// flood of refused clients gives one line per interval, not one each.
    refused: AtomicUsize,
    logged_at: std::sync::Mutex<Option<std::time::Instant>>,
}

/// At most one "stream limit reached" line per this long.
const REFUSALS_LOGGED_EVERY: Duration = Duration::from_secs(10);

impl StreamLimit {
    /// At most `max` streams at once; the refused get `Retry-After: 5`.
    pub fn new(max: usize) -> Self {
        Self::with_retry_after(max, Duration::from_secs(5))
    }

    /// At most `max` streams at once; the refused are told to retry after
    /// `retry_after` (whole seconds, at least 1).
    pub fn with_retry_after(max: usize, retry_after: Duration) -> Self {
        Self {
            counter: Arc::new(Counter {
                max,
                open: AtomicUsize::new(0),
                retry_after,
                refused: AtomicUsize::new(0),
                logged_at: std::sync::Mutex::new(None),
            }),
        }
    }

    /// Streams open now.
    pub fn open_streams(&self) -> usize {
        self.counter.open.load(Ordering::Relaxed)
    }

    /// The maximum.
    pub fn max_streams(&self) -> usize {
        self.counter.max
    }

    /// Logs the refusals, at most once per [`REFUSALS_LOGGED_EVERY`].
    fn log_refusal(&self, open: usize) {
        let refused = self.counter.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let mut logged_at = lock(&self.counter.logged_at);
        let now = std::time::Instant::now();
        if logged_at.is_some_and(|at| now.duration_since(at) < REFUSALS_LOGGED_EVERY) {
            return;
        }
        *logged_at = Some(now);
        let refused = self.counter.refused.swap(0, Ordering::Relaxed).max(refused);
        tracing::warn!(
            open,
            max = self.counter.max,
            refused,
            "stream limit reached; answering 503 (refusals since the last such line; \
             at most one line per 10 s)"
        );
    }

    /// A permit for one more stream, or the `503` response refusing it.
    pub(crate) fn try_acquire(&self) -> Result<StreamPermit, Box<Response>> {
        let acquired =
            self.counter
                .open
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                    (open < self.counter.max).then_some(open + 1)
                });
        match acquired {
            Ok(_) => Ok(StreamPermit {
                limit: self.clone(),
            }),
            Err(open) => {
                self.log_refusal(open);
                let seconds = self.counter.retry_after.as_secs().max(1);
                let mut response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many open event streams; retry later",
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                Err(Box::new(response))
            }
        }
    }
}

/// One open stream counted by a [`StreamLimit`]; released when dropped.
#[derive(Debug)]
pub(crate) struct StreamPermit {
    limit: StreamLimit,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        self.limit.counter.open.fetch_sub(1, Ordering::AcqRel);
    }
}
