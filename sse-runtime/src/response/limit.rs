//! [`StreamLimit`]: a cap on how many streams an endpoint serves at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

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
}

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
                tracing::warn!(
                    open,
                    max = self.counter.max,
                    "stream limit reached; answering 503"
                );
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
