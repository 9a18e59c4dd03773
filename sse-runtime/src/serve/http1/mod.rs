//! HTTP/1 under `sse_runtime::serve` on the lean path: an event stream
//! leaving hyper's connection once its head is out (`handover.rs`, and which
//! requests and responses may), its task afterwards (`lean_stream.rs`), and
//! its chunk framing (`chunk.rs`).

mod chunk;
mod handover;
mod lean_stream;

pub(crate) use self::handover::{Handover, request_allows, response_allows};
pub(crate) use self::lean_stream::LeanStream;
