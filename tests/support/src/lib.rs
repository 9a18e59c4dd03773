//! What the integration tests share, one concern a module: servers on a free
//! loopback port, an app whose event stream a test drives, a plain HTTP/1.1
//! client over a real socket, what a client read cut into responses, example
//! programs run as processes (and `examples/chat` spoken to), an HTTP/2 client (TLS or cleartext), a real `redis-server`, PostgreSQL and Prometheus, a client in a network
//! namespace of its own, the hub's resume race for any backend, and how a
//! test that needs a program the machine lacks fails or is skipped.

pub mod chat;
pub mod client;
pub mod docs;
pub mod driven;
pub mod example;
pub mod failover;
pub mod h2_client;
pub mod hub;
pub mod logs;
pub mod netns;
pub mod nginx;
pub mod outage;
pub mod postgres;
pub mod prometheus;
pub mod redis;
pub mod redis_cluster;
pub mod redis_sentinel;
pub mod server;
pub mod skip;
pub mod transcript;

use std::time::Duration;

pub use crate::client::{
    Client, Ending, Head, post_form, post_form_with, post_json, request, request_pipelined,
    request_small_buffer, request_with_body,
};
pub use crate::example::Example;
pub use crate::logs::{LogCapture, logs_of};
pub use crate::server::{
    ServeWith, TestServer, serve, serve_lean, serve_with, serve_with_axum,
    serve_without_lean_streams,
};

/// Upper bound for anything a test waits for; reaching it is a failure, not
/// a measurement.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Raises this process's open-file limit to its hard limit (example
/// processes started afterwards inherit it), for tests that open a thousand
/// connections where the default soft limit is 1,024. Returns the new soft
/// limit. Uses util-linux's `prlimit`, since the workspace forbids `unsafe`.
pub fn raise_fd_limit() -> u64 {
    let limits = || {
        let text = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let line = text
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .unwrap_or_default()
            .to_owned();
        let mut numbers = line
            .split_whitespace()
            .filter_map(|w| w.parse::<u64>().ok());
        (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0))
    };
    let (soft, hard) = limits();
    if soft < hard {
        let _ = std::process::Command::new("prlimit")
            .arg("--pid")
            .arg(std::process::id().to_string())
            .arg(format!("--nofile={hard}:{hard}"))
            .status();
    }
    limits().0
}
