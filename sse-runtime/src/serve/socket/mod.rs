//! A connection's socket, under either server: the [`WatchedIo`] that fails
//! its reads and writes once the connection's event stream must end, the
//! options every accepted socket is set to (`options.rs`), and the event
//! stream the connection carries now, which the socket watches
//! (`current_stream.rs`).

mod current_stream;
mod options;
mod watched_io;

pub(crate) use self::current_stream::CurrentStream;
pub(crate) use self::options::tune;
pub use self::watched_io::WatchedIo;
