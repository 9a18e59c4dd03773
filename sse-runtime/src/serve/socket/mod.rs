//! A connection's socket, under either server: the [`WatchedIo`] that fails
//! its reads and writes once the connection's event stream must end, the
//! clock of how long its writes have waited (`wait_clock.rs`), the options
//! every accepted socket is set to (`options.rs`), and the event stream the
//! connection carries now, which the socket watches (`current_stream.rs`).

mod current_stream;
mod options;
mod wait_clock;
mod watched_io;

pub(crate) use self::current_stream::CurrentStream;
pub(crate) use self::options::tune;
pub(crate) use self::wait_clock::WaitClock;
pub use self::watched_io::WatchedIo;
