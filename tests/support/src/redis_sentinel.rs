//! A real Redis Sentinel set-up on loopback: a primary, its replica, and
//! three sentinels watching it under the name [`NAME`], in a directory of
//! its own, stopped and removed with the test.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::PATIENCE;
use crate::redis::{REQUIREMENT, Redis, free_port};
use crate::redis_cluster::cli;

/// The name the sentinels know the primary by.
pub const NAME: &str = "events";

/// A running primary, replica and sentinels.
pub struct RedisSentinel {
    primary: Option<Redis>,
    replica: Redis,
    sentinels: Vec<(Child, u16)>,
    dir: PathBuf,
}

impl RedisSentinel {
    /// `None` when the run skips Redis on purpose (`SSE_SKIP_REDIS_TESTS=1`).
    pub async fn start() -> Option<RedisSentinel> {
        let dir = std::env::temp_dir().join(format!(
            "sse-redis-sentinel-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let path = dir.to_str().expect("a UTF-8 path").to_owned();
        let primary = Redis::start_with(free_port(), &["--save", "", "--dir", &path]).await?;
        let replicaof = format!("127.0.0.1 {}", primary.port());
        let replica = Redis::start_with(
            free_port(),
            &["--save", "", "--dir", &path, "--replicaof", &replicaof],
        )
        .await?;
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let config = dir.join(format!("sentinel-{port}.conf"));
            let text = format!(
                "port {port}\nbind 127.0.0.1\ndir {path}\n\
                 sentinel monitor {NAME} 127.0.0.1 {} 2\n\
                 sentinel down-after-milliseconds {NAME} 1000\n\
                 sentinel failover-timeout {NAME} 5000\n",
                primary.port()
            );
            std::fs::write(&config, text).expect("the sentinel's configuration");
            let spawned = Command::new("redis-server")
                .arg(&config)
                .arg("--sentinel")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn();
            match spawned {
                Ok(child) => sentinels.push((child, port)),
                Err(error) => {
                    REQUIREMENT.unmet(&error);
                    return None;
                }
            }
        }
        let set_up = RedisSentinel {
            primary: Some(primary),
            replica,
            sentinels,
            dir,
        };
        set_up.wait_until_watched().await;
        Some(set_up)
    }

    /// The sentinels' URLs.
    pub fn urls(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|(_, port)| format!("redis://127.0.0.1:{port}"))
            .collect()
    }

    /// The port of the primary the first sentinel names now.
    pub async fn primary_port(&self) -> Option<u16> {
        let port = self.sentinels[0].1;
        let named = cli(port, &["sentinel", "get-master-addr-by-name", NAME]).await;
        named.lines().nth(1)?.trim().parse().ok()
    }

    /// A sentinel's port, to ask it.
    pub fn sentinel_port(&self) -> u16 {
        self.sentinels[0].1
    }

    /// The primary's port when started.
    pub fn first_primary(&self) -> u16 {
        self.primary.as_ref().map_or(0, Redis::port)
    }

    /// The replica's port.
    pub fn replica_port(&self) -> u16 {
        self.replica.port()
    }

    /// Kills the primary, as a crash would.
    pub async fn kill_primary(&mut self) {
        if let Some(primary) = self.primary.take() {
            primary.stop().await;
        }
    }

    /// Until the replica has synchronised and every sentinel knows the other
    /// two and the replica.
    async fn wait_until_watched(&self) {
        let watched = tokio::time::timeout(PATIENCE * 3, async {
            loop {
                let replication = cli(self.replica.port(), &["info", "replication"]).await;
                let mut all = replication.contains("master_link_status:up");
                for (_, port) in &self.sentinels {
                    let master = cli(*port, &["sentinel", "master", NAME]).await;
                    let fields: Vec<&str> = master.lines().map(str::trim).collect();
                    let value = |name: &str| {
                        fields
                            .iter()
                            .position(|field| *field == name)
                            .and_then(|at| fields.get(at + 1))
                            .copied()
                    };
                    all &= value("num-other-sentinels") == Some("2")
                        && value("num-slaves") == Some("1");
                }
                if all {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(
            watched.is_ok(),
            "the sentinels did not come to watch the primary"
        );
    }
}

impl Drop for RedisSentinel {
    fn drop(&mut self) {
        for (child, _) in &mut self.sentinels {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
