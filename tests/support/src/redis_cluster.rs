//! A real Redis Cluster on loopback: three primaries and a replica each
//! (`redis-server --cluster-enabled yes` six times, joined by
//! `redis-cli --cluster create`), in a directory of its own, stopped and
//! removed with the test.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::process::Command;

use crate::PATIENCE;
use crate::redis::{REQUIREMENT, Redis, free_port};

/// A node's port and the arguments it was started with.
type Tried = (u16, Vec<String>);

/// A running cluster.
pub struct RedisCluster {
    nodes: Vec<Redis>,
    /// Each node's port and arguments, to start it again.
    started: Vec<(u16, Vec<String>)>,
    dir: PathBuf,
}

impl RedisCluster {
    /// Six nodes, three primaries with a replica each, every slot covered.
    /// `None` when the run skips Redis on purpose (`SSE_SKIP_REDIS_TESTS=1`).
    pub async fn start() -> Option<RedisCluster> {
        let dir = std::env::temp_dir().join(format!(
            "sse-redis-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut cluster = RedisCluster {
            nodes: Vec::new(),
            started: Vec::new(),
            dir,
        };
        // Each node's arguments, by port, as tried: the started ones are kept
        // to start the node again.
        let tried: Arc<Mutex<Vec<Tried>>> = Arc::default();
        for _ in 0..6 {
            let dir = cluster.dir.to_str().expect("a UTF-8 path").to_owned();
            let tried_here = tried.clone();
            let node = Redis::start_on_free_ports(move |port| {
                let bus = free_port();
                let config = format!("{dir}/nodes-{port}.conf");
                let args: Vec<String> = [
                    // A replica writes what a full synchronisation sends it here.
                    "--dir",
                    &dir,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-port",
                    &bus.to_string(),
                    "--cluster-config-file",
                    &config,
                    // A primary that stops answering is failed over in about
                    // a second.
                    "--cluster-node-timeout",
                    "1000",
                    // However long the replica last heard from its primary:
                    // a test's primary may have been quiet.
                    "--cluster-replica-validity-factor",
                    "0",
                ]
                .iter()
                .map(|arg| arg.to_string())
                .collect();
                tried_here.lock().unwrap().push((port, args.clone()));
                Box::pin(async move {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    Redis::start_with(port, &args).await
                })
            })
            .await?;
            let args = tried
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|(port, _)| *port == node.port())
                .map(|(_, args)| args.clone())
                .expect("its arguments");
            cluster.started.push((node.port(), args));
            cluster.nodes.push(node);
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port()))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .await;
        let created = match created {
            Ok(created) => created,
            Err(error) => {
                REQUIREMENT.unmet(&format!("redis-cli: {error}"));
                return None;
            }
        };
        assert!(
            created.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        cluster.wait_until_ok().await;
        Some(cluster)
    }

    /// The nodes' URLs, as clients are given them.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(Redis::url).collect()
    }

    /// The ports of the nodes that are primaries now.
    pub async fn primaries(&self) -> Vec<u16> {
        let mut primaries = Vec::new();
        for node in &self.nodes {
            if cli(node.port(), &["role"]).await.starts_with("master") {
                primaries.push(node.port());
            }
        }
        primaries
    }

    /// The port of the primary that serves `key`, as the first node still
    /// running sees the cluster (`CLUSTER NODES`); while a failover is under
    /// way, once it is over.
    pub async fn primary_of(&self, key: &str) -> u16 {
        let found = tokio::time::timeout(PATIENCE * 3, async {
            loop {
                if let Some(port) = self.serving(key).await {
                    return port;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no primary serves {key}"))
    }

    async fn serving(&self, key: &str) -> Option<u16> {
        let port = self.nodes[0].port();
        let slot: u16 = cli(port, &["cluster", "keyslot", key])
            .await
            .trim()
            .parse()
            .expect("a slot");
        let nodes = cli(port, &["cluster", "nodes"]).await;
        for line in nodes.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 9 || !fields[2].contains("master") || fields[2].contains("fail") {
                continue;
            }
            let serves = fields[8..].iter().any(|range| {
                let (low, high) = range.split_once('-').unwrap_or((range, range));
                match (low.parse::<u16>(), high.parse::<u16>()) {
                    (Ok(low), Ok(high)) => (low..=high).contains(&slot),
                    _ => false,
                }
            });
            if serves {
                let address = fields[1].split('@').next().expect("host:port");
                return address.rsplit(':').next()?.parse().ok();
            }
        }
        None
    }

    /// Kills the node on `port`, as a crash would.
    pub async fn kill(&mut self, port: u16) {
        let at = self
            .nodes
            .iter()
            .position(|node| node.port() == port)
            .expect("one of the cluster's nodes");
        self.nodes.remove(at).stop().await;
    }

    /// Kills every node, as a power cut would: the cluster's configuration
    /// stays on disk, its data (no persistence) does not.
    pub async fn stop_all(&mut self) {
        for node in self.nodes.drain(..) {
            node.stop().await;
        }
    }

    /// Starts every node again on its port after [`stop_all`](Self::stop_all),
    /// and waits until the cluster is ok.
    pub async fn restart_all(&mut self) {
        assert!(self.nodes.is_empty(), "stop it first");
        for (port, args) in &self.started {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let node = Redis::start_with(*port, &args).await;
            self.nodes
                .push(node.expect("redis-server, running a moment ago"));
        }
        self.wait_until_ok().await;
    }

    /// Waits until every node says the cluster is ok and knows all six, and
    /// every replica has synchronised with its primary (a write before that
    /// lives on the primary alone).
    pub async fn wait_until_ok(&self) {
        let ok = tokio::time::timeout(PATIENCE * 3, async {
            loop {
                let mut all = true;
                for node in &self.nodes {
                    let info = cli(node.port(), &["cluster", "info"]).await;
                    all &= info.contains("cluster_state:ok")
                        && info.contains("cluster_known_nodes:6")
                        && info.contains("cluster_slots_ok:16384");
                    let replication = cli(node.port(), &["info", "replication"]).await;
                    all &= replication.contains("role:master")
                        || replication.contains("master_link_status:up");
                }
                if all {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(ok.is_ok(), "the cluster did not come up");
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        // The nodes are killed as they drop.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What `redis-cli -p <port> <args>` prints.
pub async fn cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .await
        .expect("redis-cli runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
