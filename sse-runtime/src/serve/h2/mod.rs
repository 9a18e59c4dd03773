//! HTTP/2 under `sse_runtime::serve`: each stream a watched task of its own
//! (`streams.rs`), and HTTPS, whose clients get HTTP/2 by ALPN (`tls.rs`).

mod streams;
#[cfg(feature = "tls")]
mod tls;

pub(crate) use self::streams::{ConnectionEnd, StreamExecutor, attach};
#[cfg(feature = "tls")]
pub use self::tls::{TLS_HANDSHAKE_TIMEOUT, Tls, TlsError};
