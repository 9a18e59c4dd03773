//! A real `redis-server` on a free port, without persistence, stopped with
//! the test.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::PATIENCE;
use crate::skip::Requirement;

/// What the Redis tests need; `SSE_SKIP_REDIS_TESTS=1` skips them on purpose.
pub const REQUIREMENT: Requirement = Requirement {
    what: "redis-server",
    skip_variable: "SSE_SKIP_REDIS_TESTS",
    install: "`apt-get install redis-server`",
};

/// How [`Redis::start`] says its port was taken by another server.
const PORT_TAKEN: &str = "another server holds port";

/// A running `redis-server`.
pub struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts one on `port`. Without `redis-server` installed this fails,
    /// saying how to install it, unless the run opted out explicitly with
    /// `SSE_SKIP_REDIS_TESTS=1`: then `None`, and the caller returns (a test
    /// that passes with nothing checked would hide the skip).
    pub async fn start(port: u16) -> Option<Redis> {
        Self::start_with(port, &["--save", "", "--appendonly", "no"]).await
    }

    /// Starts one on `port` that persists every write to an append-only file
    /// in `dir` before replying, so that a restart there finds it.
    pub async fn start_persistent(port: u16, dir: &std::path::Path) -> Option<Redis> {
        let dir = dir.to_str().expect("a UTF-8 path");
        let args = [
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            dir,
        ];
        Self::start_with(port, &args).await
    }

    pub(crate) async fn start_with(port: u16, persistence: &[&str]) -> Option<Redis> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(persistence)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                REQUIREMENT.unmet(&error);
                return None;
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut child = child;
        let up = tokio::time::timeout(PATIENCE, async {
            while tokio::net::TcpStream::connect(addr).await.is_err() {
                // Gone already: one of its ports (a cluster bus's too) was
                // taken by another test's server meanwhile.
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("{PORT_TAKEN} {port} or its bus (redis-server exited: {status})");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(up.is_ok(), "redis-server did not start on {port}");
        let mut redis = Redis { child, port };
        // Something answered on the port; make sure it is this server, not
        // one another test started there first (ours then exits at once,
        // unable to bind, and the test would share, then lose, the other).
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(Some(status)) = redis.child.try_wait() {
            panic!("{PORT_TAKEN} {port} (redis-server exited: {status})");
        }
        redis.port = port;
        Some(redis)
    }

    /// Starts one on a port of its own: like [`Redis::start`] on a free
    /// port, trying another if a parallel test took the same one first.
    pub async fn start_on_a_free_port() -> Option<Redis> {
        Self::start_on_free_ports(|port| Box::pin(Redis::start(port))).await
    }

    /// Starts the server `start` makes on a free port, trying others if a
    /// parallel test took the port (or another the server binds) first.
    pub async fn start_on_free_ports(
        start: impl Fn(u16) -> std::pin::Pin<Box<dyn Future<Output = Option<Redis>> + Send>>,
    ) -> Option<Redis> {
        for _ in 0..5 {
            match tokio::spawn(start(free_port())).await {
                Ok(started) => return started,
                Err(error) if error.is_panic() => {
                    let panic = error.into_panic();
                    let message = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .unwrap_or_default();
                    if !message.starts_with(PORT_TAKEN) {
                        std::panic::resume_unwind(panic);
                    }
                }
                Err(error) => panic!("starting redis-server: {error}"),
            }
        }
        panic!("no free port for redis-server after 5 tries")
    }

    /// The port it listens on (to start another there once it stopped).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where to reach it.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it and waits for it to exit.
    pub async fn stop(mut self) {
        self.child.kill().await.unwrap();
        let _ = self.child.wait().await;
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
