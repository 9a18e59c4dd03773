//! HTTP/1 under `sse_runtime::serve` on the lean path: the connection's
//! tasks (`connection.rs`), the event stream leaving hyper's connection once
//! its head is out (`handover.rs`, and which requests and responses may),
//! the service and socket hyper serves such a connection with (`hooks.rs`),
//! the stream's turns once it has left (`lean_stream.rs`), and its chunk
//! framing (`chunk.rs`).

mod chunk;
mod connection;
mod handover;
mod hooks;
mod lean_stream;

pub(crate) use self::connection::LeanConnection;
