//! The header read timeout: every connection, whatever it speaks, must send
//! a request within it ([`Serve::header_read_timeout`]), and must not go
//! without one for longer. Over HTTP/1 that is hyper's own timeout, which
//! every HTTP/1 connection here is built with ([`http1_builder`]: each needs
//! a timer for it); in cleartext, also the wait for the bytes that tell
//! HTTP/1 from HTTP/2; over HTTP/2, the idle rule.
//!
//! [`Serve::header_read_timeout`]: crate::serve::Serve::header_read_timeout

use std::num::NonZeroU32;
use std::time::Duration;

use hyper_util::rt::TokioTimer;

/// How long a connection may wait for a request's head, or go without a
/// request (over HTTP/2: without a stream), unless
/// [`Serve::header_read_timeout`](crate::serve::Serve::header_read_timeout)
/// says otherwise: 30 s, as hyper's HTTP/1 connection waits by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A header read timeout in whole milliseconds (at least one; at most about
/// 49 days, longer ones are clamped), `None` when off: four bytes, kept by
/// every idle lean stream to build hyper's connection again after it, where
/// a `Duration` (16 bytes) would be memory per stream.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeaderReadTimeout(Option<NonZeroU32>);

impl HeaderReadTimeout {
    /// The timeout as the builder takes it: `Duration::ZERO` turns it off.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self((!timeout.is_zero()).then(|| {
            let millis = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
            NonZeroU32::new(millis).unwrap_or(NonZeroU32::MIN)
        }))
    }

    /// The timeout, `None` when off.
    pub(crate) fn get(self) -> Option<Duration> {
        self.0
            .map(|millis| Duration::from_millis(u64::from(millis.get())))
    }
}

impl Default for HeaderReadTimeout {
    fn default() -> Self {
        Self::new(DEFAULT_HEADER_READ_TIMEOUT)
    }
}

/// hyper's HTTP/1 connection as every connection here is served: a request
/// head must be complete within `timeout` of hyper starting to wait for it
/// (when the connection opens, and when a response has ended).
pub(crate) fn http1_builder(timeout: HeaderReadTimeout) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeout.get());
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_read_timeout_keeps_its_milliseconds() {
        let kept = |timeout| HeaderReadTimeout::new(timeout).get();
        assert_eq!(kept(Duration::ZERO), None);
        let thirty = Duration::from_secs(30);
        assert_eq!(kept(thirty), Some(thirty));
        // Never rounded to zero, which would turn it off.
        assert_eq!(
            kept(Duration::from_micros(10)),
            Some(Duration::from_millis(1))
        );
        assert_eq!(
            kept(Duration::MAX),
            Some(Duration::from_millis(u32::MAX.into()))
        );
    }
}
