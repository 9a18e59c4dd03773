//! What the integration tests share, one concern a module: servers on a free
//! loopback port, a plain HTTP/1.1 client over a real socket, example
//! programs run as processes, a real `redis-server`, and the hub's resume
//! race for any backend.

pub mod client;
pub mod example;
pub mod hub;
pub mod redis;
pub mod server;

use std::time::Duration;

pub use crate::client::{Client, Head, post_form, post_form_with, request, request_small_buffer};
pub use crate::example::Example;
pub use crate::server::{TestServer, serve, serve_with_axum};

/// Upper bound for anything a test waits for; reaching it is a failure, not
/// a measurement.
pub const PATIENCE: Duration = Duration::from_secs(10);
