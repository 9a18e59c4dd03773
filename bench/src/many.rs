//! The many-streams rows (issue 19): at 100,000 streams, what an idle stream
//! costs, how long opening them all takes, and one hub publish at a time to
//! as many subscribers, for `axum::serve`, `sse_runtime::serve` on hyper's
//! path and with lean streams, in every round (in an order that rotates
//! from round to round, as everywhere else).
//!
//! A process holds a descriptor per socket, and may hold only as many as its
//! limit on open files: 20,000 on the machine these rows were first measured
//! on, a hard limit it does not let anyone raise. So where the streams
//! wanted are more than one process may hold, they are measured twice:
//!
//! - in one server process, at as many streams as it may hold;
//! - over as many server processes as the streams need (a share each, on
//!   ports of their own), their hubs on one Redis, so that a publish to one
//!   reaches the subscribers of all: the whole box holding 100,000 streams.
//!   Memory is the growth of all their resident sets together.
//!
//! The clients of the spread rows live in processes of their own too
//! (`sse-bench --hold-idle` for the idle streams, `--load-worker` for the
//! subscribers), each under the same limit.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::fanout::Targets;
use crate::load::{Helper, open_files_limit, streams_per_process};
use crate::results::{Results, Sample};
use crate::scenarios::open_stream;
use crate::target::{Implementation, Redis, Server};
use crate::{fan_out, idle, metric, progress};

/// The servers of the many-streams rows: `axum::serve`, `sse_runtime::serve`
/// on hyper's path and with lean streams.
const LINEUP: [Implementation; 3] = [
    Implementation::Axum,
    Implementation::Runtime,
    Implementation::RuntimeLean,
];

/// The server of a hub row: under `axum::serve` it is this project's hub
/// endpoint, not an axum `Sse` one (there is none), and its column says so.
fn hub_of(implementation: Implementation) -> Implementation {
    match implementation {
        Implementation::Axum => Implementation::HubOnAxumServe,
        ours => ours,
    }
}

/// The hub's routes in every bench server: follow the topic, publish to it.
const HUB: (&str, &str) = ("/hub/fanout", "/hub/publish");

/// Measures `wanted` streams and `publishes` hub publishes to them; in one
/// process if one may hold them, else as the module docs say (which needs
/// `redis`).
pub async fn measure(
    results: &mut Results,
    (wanted, publishes): (usize, usize),
    redis: Option<&Redis>,
    (round, label): (usize, &str),
) {
    let mut lineup = LINEUP.to_vec();
    lineup.rotate_left(round % LINEUP.len());
    let per_process = streams_per_process();
    let in_one = wanted.min(per_process);
    if in_one < wanted && round == 1 {
        progress(&format!(
            "many: {wanted} streams wanted, but a process may open only {} files here \
             (`ulimit -Hn`): measuring {in_one} in one server process, then {wanted} over \
             {} server processes",
            open_files_limit().unwrap_or(0),
            wanted.div_ceil(per_process),
        ));
    }
    for &implementation in &lineup {
        idle(results, in_one, implementation, label).await;
    }
    for implementation in lineup.iter().copied().map(hub_of) {
        let server = Server::start(implementation).await;
        let metric = metric::many_hub_fan_out(in_one);
        fan_out(
            results,
            &Targets::one(&server, HUB),
            (in_one, publishes),
            (implementation, &metric, label),
        )
        .await;
        server.kill().await;
    }
    if in_one == wanted {
        return;
    }
    let Some(redis) = redis else {
        progress(
            "many: redis-server is not installed; the rows over several processes are skipped",
        );
        return;
    };
    let processes = wanted.div_ceil(per_process);
    let over = format!("{wanted} streams over {processes} server processes");
    for &implementation in &lineup {
        let cluster = Cluster::start(implementation, processes, redis).await;
        let (per_stream, opened, open_secs) = cluster.idle_memory(wanted).await;
        progress(&format!(
            "idle {label}: {:<32} {opened}/{over}: {per_stream:.2} KiB per stream, all open in \
             {open_secs:.1} s",
            implementation.name()
        ));
        let sample = |value| Sample::new(value, opened, wanted as u64);
        results.add(
            &metric::idle_memory(&over),
            "KiB/stream",
            implementation,
            sample(per_stream),
        );
        results.add(
            &metric::idle_open_spread(&over),
            "s",
            implementation,
            sample(open_secs),
        );
        cluster.kill().await;
    }
    for implementation in lineup.iter().copied().map(hub_of) {
        let cluster = Cluster::start(implementation, processes, redis).await;
        let addrs = cluster.addrs();
        let targets = Targets {
            subscribe_to: &addrs,
            publish_to: addrs[0],
            paths: HUB,
        };
        let metric = metric::hub_fan_out("Redis", &over);
        fan_out(
            results,
            &targets,
            (wanted, publishes),
            (implementation, &metric, label),
        )
        .await;
        cluster.kill().await;
    }
}

/// Server processes of one implementation, their hubs on one Redis.
struct Cluster {
    servers: Vec<Server>,
}

impl Cluster {
    async fn start(implementation: Implementation, processes: usize, redis: &Redis) -> Cluster {
        let mut servers = Vec::with_capacity(processes);
        for _ in 0..processes {
            servers
                .push(Server::start_with_env(implementation, &[("REDIS_URL", &redis.url)]).await);
        }
        Cluster { servers }
    }

    fn addrs(&self) -> Vec<SocketAddr> {
        self.servers.iter().map(|server| server.addr).collect()
    }

    /// The resident memory of all the processes together.
    fn rss_kib(&self) -> u64 {
        self.servers.iter().map(Server::rss_kib).sum()
    }

    /// Opens `streams` idle streams, a share on each server, each share by
    /// a holding process of its own, all at once: the growth of the servers'
    /// resident memory per opened stream in KiB, how many opened, and how
    /// long until every holder had all of its streams open, in seconds.
    async fn idle_memory(&self, streams: usize) -> (f64, u64, f64) {
        // One stream to each first, so code paths and allocator pools are
        // warm, as in the one-process measurement.
        let mut warm = Vec::new();
        for server in &self.servers {
            match open_stream(server.addr, 0, "/idle").await {
                Some(reader) => warm.push(reader),
                None => return (f64::NAN, 0, f64::NAN),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = self.rss_kib();
        let opening = Instant::now();
        let shares = self.servers.len();
        let mut holders = Vec::with_capacity(shares);
        let mut first = 1;
        for (at, server) in self.servers.iter().enumerate() {
            let share = streams / shares + usize::from(at < streams % shares);
            match Holder::start(server.addr, first, share) {
                Some(holder) => holders.push(holder),
                None => return (f64::NAN, 0, f64::NAN),
            }
            first += share;
        }
        let mut opened = 0;
        for holder in &mut holders {
            opened += holder.held(Duration::from_secs(180)).await.unwrap_or(0);
        }
        let open_secs = opening.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = self.rss_kib();
        for holder in holders {
            holder.stop().await;
        }
        drop(warm);
        if opened == 0 {
            return (f64::NAN, 0, f64::NAN);
        }
        (
            after.saturating_sub(before) as f64 / opened as f64,
            opened,
            open_secs,
        )
    }

    async fn kill(self) {
        for server in self.servers {
            server.kill().await;
        }
    }
}

/// An `sse-bench --hold-idle` process holding one share of the streams.
struct Holder(Helper);

impl Holder {
    fn start(addr: SocketAddr, first: usize, streams: usize) -> Option<Holder> {
        let (port, streams, first) = (
            addr.port().to_string(),
            streams.to_string(),
            first.to_string(),
        );
        Helper::start(&["--hold-idle", &port, &streams, &first]).map(Holder)
    }

    /// How many streams it opened (`HELD <n>`), once it has tried them all;
    /// `None` if it did not say so within `limit`.
    async fn held(&mut self, limit: Duration) -> Option<u64> {
        self.0
            .line(limit)
            .await?
            .strip_prefix("HELD ")?
            .parse()
            .ok()
    }

    async fn stop(self) {
        self.0.stop().await;
    }
}
