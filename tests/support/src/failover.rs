//! A primary killed under load, for any hub backend that fails over: 1,000
//! publishes a second from one hub, `SUBSCRIBERS` subscribers on another
//! (two server processes), the primary killed after a second; the run goes
//! on until publishes have been accepted again for two seconds, then a last
//! publish ends every subscription. What it measured, and what each
//! subscriber saw, for the caller to check against what the new primary
//! holds.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use sse_runtime::Event;
use sse_runtime::hub::{Hub, HubConfig, LagPolicy, Resume, Subscription};
use tokio::time::Instant;

/// Subscribers on the serving hub.
pub const SUBSCRIBERS: usize = 200;
/// How long a publish may wait: refused within it while no primary answers.
pub const TIMEOUT: Duration = Duration::from_millis(500);

/// The hubs' configuration: gaps told in the stream (`event: lagged`,
/// `data: unknown`), buffers that hold the whole run.
pub fn config() -> HubConfig {
    HubConfig {
        backend_timeout: TIMEOUT,
        lag: LagPolicy::Skip,
        buffer: 20_000,
        replay: 20_000,
        ..HubConfig::default()
    }
}

/// What a run measured.
pub struct Failover {
    /// Each acknowledged publish: when it was sent, and its id.
    pub acknowledged: Vec<(Instant, u64)>,
    /// When each refused publish was sent.
    pub refused: Vec<Instant>,
    /// How long after the kill publishes were accepted again.
    pub back: Duration,
    /// How long refusals went on, from the first to the last.
    pub refusing: Duration,
    /// What each subscriber saw.
    pub seen: Vec<Seen>,
}

/// What one subscriber saw: the ids of the events, and whether it was told
/// of a gap.
#[derive(Default)]
pub struct Seen {
    /// The events' ids, in the order they came.
    pub ids: Vec<u64>,
    /// Whether an `event: lagged` with `data: unknown` came.
    pub told_of_a_gap: bool,
}

async fn watch(mut subscription: Subscription, until: Instant) -> Seen {
    let mut seen = Seen::default();
    while let Ok(Some(message)) = tokio::time::timeout_at(until, subscription.next()).await {
        if message.as_bytes() == b"event: lagged\ndata: unknown\n\n" {
            seen.told_of_a_gap = true;
        } else {
            seen.ids.push(message.id());
        }
    }
    seen
}

/// Publishes to `topic` on `publisher` while `server`'s subscribers follow
/// it, and calls `kill` (which kills the primary) after a second.
pub async fn under_load<K: Future<Output = ()>>(
    publisher: &Hub,
    server: &Hub,
    topic: &str,
    kill: K,
) -> Failover {
    let mut subscribers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        subscribers.push(server.subscribe(topic, None).await.unwrap());
    }
    // A bound, in case a subscription never ends; the last publish ends them.
    let end = Instant::now() + Duration::from_secs(60);
    let watchers: Vec<_> = subscribers
        .into_iter()
        .map(|subscription| tokio::spawn(watch(subscription, end)))
        .collect();

    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    let mut kill = Some(kill);
    let mut killed_at = None;
    let mut n = 0_u64;
    loop {
        tick.tick().await;
        if started.elapsed() >= Duration::from_secs(1)
            && let Some(kill) = kill.take()
        {
            kill.await;
            killed_at = Some(Instant::now());
        }
        let at = Instant::now();
        match publisher.publish(topic, &Event::data(n.to_string())).await {
            Ok(id) => acknowledged.push((at, id)),
            Err(_) => refused.push(at),
        }
        n += 1;
        if let (Some(killed), Some(&(last, _))) = (killed_at, acknowledged.last())
            && last > killed
            && refused
                .last()
                .is_some_and(|&r| last.duration_since(r) >= Duration::from_secs(2))
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "no failover in 25 s"
        );
    }
    let killed = killed_at.expect("killed");
    let first_refused = refused
        .first()
        .copied()
        .expect("refused while failing over");
    let last_refused = *refused.last().unwrap();
    let back = acknowledged
        .iter()
        .find(|(at, _)| *at > last_refused)
        .map(|(at, _)| at.duration_since(killed))
        .expect("accepted again");

    // The last publish ends every subscription after it.
    let last = publisher
        .publish_last(topic, &Event::data("end"))
        .await
        .expect("published on the new primary");
    acknowledged.push((Instant::now(), last));
    let mut seen = Vec::new();
    for watcher in watchers {
        seen.push(watcher.await.unwrap());
    }
    Failover {
        acknowledged,
        refused,
        back,
        refusing: last_refused.duration_since(first_refused),
        seen,
    }
}

impl Failover {
    /// Checks every subscriber got each id once, in order, up to the last,
    /// and that every acknowledged publish it did not get is one it was told
    /// it may have missed. Returns how many got everything, and how many
    /// were told of a gap.
    pub fn check_subscribers(&self) -> (usize, usize) {
        let last = self.acknowledged.last().expect("the last publish").1;
        let (mut complete, mut told) = (0, 0);
        for seen in &self.seen {
            assert!(seen.ids.windows(2).all(|w| w[0] < w[1]), "in order, once");
            assert_eq!(seen.ids.last(), Some(&last), "ended by the last publish");
            let got: BTreeSet<u64> = seen.ids.iter().copied().collect();
            let missed = self
                .acknowledged
                .iter()
                .filter(|(_, id)| !got.contains(id))
                .count();
            if missed == 0 {
                complete += 1;
            } else {
                assert!(
                    seen.told_of_a_gap,
                    "{missed} acknowledged publishes missed without being told"
                );
                told += 1;
            }
        }
        assert_eq!(complete + told, SUBSCRIBERS);
        (complete, told)
    }

    /// The acknowledged publishes whose ids `held` (what the new primary's
    /// stream holds, as `redis-cli XRANGE` prints it) lacks.
    pub fn lost(&self, held: &str) -> Vec<u64> {
        let held: BTreeSet<u64> = held
            .lines()
            .filter_map(|line| {
                let (ms, seq) = line.trim().split_once('-')?;
                Some(ms.parse::<u64>().ok()? << 20 | seq.parse::<u64>().ok()?)
            })
            .collect();
        self.acknowledged
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| !held.contains(id))
            .collect()
    }

    /// All of it, for `setup` (`"Redis Cluster"`): an acknowledged publish
    /// the new primary lacks (`held`, its stream as `redis-cli XRANGE`
    /// prints it) was lost with the old one (replication is asynchronous),
    /// and a client resuming from it on `server` is told of a gap, never
    /// resumed as if nothing were missing; then every subscriber is checked,
    /// and the figures printed.
    pub async fn verify(&self, server: &Hub, topic: &str, held: &str, setup: &str) {
        let lost = self.lost(held);
        for &id in lost.iter().take(10) {
            let resumed = server.subscribe(topic, Some(id)).await.unwrap();
            assert!(
                matches!(resumed.resume(), Resume::Gap { .. }),
                "{id} was lost: {:?}",
                resumed.resume()
            );
        }
        let (complete, told) = self.check_subscribers();
        eprintln!(
            "{setup} failover under 1,000 publishes/s, {SUBSCRIBERS} subscribers: {} \
             acknowledged, {} refused over {:?}, accepted again {:?} after the kill; {} \
             acknowledged publishes lost with the old primary; {complete} subscribers got every \
             acknowledged publish, {told} were told of a gap",
            self.acknowledged.len(),
            self.refused.len(),
            self.refusing,
            self.back,
            lost.len()
        );
    }
}
