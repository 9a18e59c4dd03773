//! A real `redis-server` on a free port, without persistence, stopped with
//! the test.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::PATIENCE;

/// A running `redis-server`.
pub struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts one on `port`; `None` (with a loud message) when
    /// `redis-server` is not installed, a failure under `CI=true`.
    pub async fn start(port: u16) -> Option<Redis> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                let message = format!(
                    "!!! redis-server not found ({error}): the Redis hub test is SKIPPED; \
                     install it (apt-get install redis-server, as .ci/run does)"
                );
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
                eprintln!("{message}");
                return None;
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let up = tokio::time::timeout(PATIENCE, async {
            while tokio::net::TcpStream::connect(addr).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(up.is_ok(), "redis-server did not start on {port}");
        Some(Redis { child, port })
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
