//! The servers and client processes of one `c1m` size: started, their
//! streams opened, publishes sent and counted. A share of the streams per
//! server process, each server on a port of its own with one client process
//! opening its share (see the `c1m` module docs for why not `SO_REUSEPORT`).

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use super::histogram::Histogram;
use crate::load::get_text;
use crate::progress;
use crate::target::{Implementation, Redis, Server};

/// Streams each client process opens at once.
pub const IN_FLIGHT: usize = 64;

/// How long one publish may take to reach every stream.
pub const DELIVERY_LIMIT: Duration = Duration::from_secs(60);

/// How long after the steady rate's last publish its deliveries are still
/// counted as delivered.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(30);

pub struct Fleet {
    pub servers: Vec<Server>,
    clients: Vec<Client>,
    lines: mpsc::UnboundedReceiver<(usize, String)>,
    /// Streams per client, in order.
    shares: Vec<usize>,
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    pid: u32,
}

/// How the opening went.
pub struct Opening {
    pub open: u64,
    pub failed: u64,
    pub retries: u64,
    /// From `GO` to the last client's `OPENED`.
    pub seconds: f64,
}

/// What the clients said of one publish (or of a sustained run's).
#[derive(Default)]
pub struct Deliveries {
    pub count: u64,
    /// The latest delivery, in µs after the publish.
    pub worst: u64,
    pub latencies: Histogram,
}

impl Deliveries {
    fn add(&mut self, count: u64, worst: u64, latencies: &Histogram) {
        self.count += count;
        self.worst = self.worst.max(worst);
        self.latencies.merge(latencies);
    }
}

/// `DONE`/`PARTIAL <sent> <count> <worst> <histogram>`.
fn parse_delivery(line: &str) -> Option<(u64, u64, u64, Histogram)> {
    let mut fields = line.split(' ').skip(1);
    Some((
        fields.next()?.parse().ok()?,
        fields.next()?.parse().ok()?,
        fields.next()?.parse().ok()?,
        Histogram::decode(fields.next()?)?,
    ))
}

impl Fleet {
    /// Server processes of `implementation` for `streams` (at most
    /// `per_process` each), their hubs on `redis`, and a client process per
    /// server with its first stream open.
    pub async fn start(
        implementation: Implementation,
        streams: usize,
        per_process: usize,
        redis: &Redis,
    ) -> Result<Fleet, String> {
        let processes = streams.div_ceil(per_process).max(1);
        let mut servers = Vec::with_capacity(processes);
        for _ in 0..processes {
            servers
                .push(Server::start_with_env(implementation, &[("REDIS_URL", &redis.url)]).await);
        }
        let (send, lines) = mpsc::unbounded_channel();
        let mut clients = Vec::with_capacity(processes);
        let mut shares = Vec::with_capacity(processes);
        // Source addresses from index 1: 127.0.0.1 is the servers'.
        let mut first = 1;
        for (at, server) in servers.iter().enumerate() {
            let share = streams / processes + usize::from(at < streams % processes);
            clients.push(Client::start(at, server.addr, first, share, send.clone())?);
            shares.push(share);
            first += share;
        }
        let mut fleet = Fleet {
            servers,
            clients,
            lines,
            shares,
        };
        for _ in 0..processes {
            let (at, line) = fleet.next_line(Duration::from_secs(60)).await?;
            if line != "WARM" {
                return Err(format!("client {at}: {line}"));
            }
        }
        Ok(fleet)
    }

    async fn next_line(&mut self, limit: Duration) -> Result<(usize, String), String> {
        match tokio::time::timeout(limit, self.lines.recv()).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => Err("every client process ended".into()),
            Err(_) => Err(format!("no client said anything for {} s", limit.as_secs())),
        }
    }

    pub fn server_pids(&self) -> Vec<u32> {
        self.servers.iter().map(|server| server.pid).collect()
    }

    pub fn client_pids(&self) -> Vec<u32> {
        self.clients.iter().map(|client| client.pid).collect()
    }

    async fn tell_all(&mut self, line: &str) -> Result<(), String> {
        for client in &mut self.clients {
            client
                .stdin
                .write_all(format!("{line}\n").as_bytes())
                .await
                .map_err(|error| format!("a client process is gone: {error}"))?;
        }
        Ok(())
    }

    /// Every client opens the rest of its share; progress every few seconds.
    pub async fn open(&mut self, label: &str) -> Result<Opening, String> {
        let started = Instant::now();
        self.tell_all("GO").await?;
        let wanted: usize = self.shares.iter().sum();
        let mut opening = Opening {
            open: 0,
            failed: 0,
            retries: 0,
            seconds: 0.0,
        };
        let mut reported = 0;
        let mut last_progress = Instant::now();
        while reported < self.clients.len() {
            let (at, line) = self.next_line(Duration::from_secs(600)).await?;
            let fields: Vec<&str> = line.split(' ').collect();
            match fields[..] {
                ["OPENED", open, failed, retries, _ms] => {
                    let number = |text: &str| text.parse::<u64>().unwrap_or(0);
                    opening.open += number(open);
                    opening.failed += number(failed);
                    opening.retries += number(retries);
                    reported += 1;
                }
                ["OPENING", open] => {
                    if last_progress.elapsed() > Duration::from_secs(5) {
                        last_progress = Instant::now();
                        progress(&format!(
                            "c1m {label}: client {at} has {open} open; {reported} of {} clients \
                             done, {:.0} s",
                            self.clients.len(),
                            started.elapsed().as_secs_f64()
                        ));
                    }
                }
                _ => return Err(format!("client {at} while opening: {line}")),
            }
        }
        opening.seconds = started.elapsed().as_secs_f64();
        progress(&format!(
            "c1m {label}: {}/{wanted} streams open in {:.1} s ({:.0}/s), {} failed, {} retries",
            opening.open,
            opening.seconds,
            opening.open as f64 / opening.seconds,
            opening.failed,
            opening.retries
        ));
        Ok(opening)
    }

    /// One publish through the first server's hub; what every client saw
    /// once all of its streams had it.
    pub async fn publish_once(&mut self) -> Result<Deliveries, String> {
        let sent = get_text(self.servers[0].addr, "/hub/publish").await;
        if sent.parse::<u64>().is_err() {
            return Err(format!("the publish was refused: {sent}"));
        }
        let mut deliveries = Deliveries::default();
        for _ in 0..self.clients.len() {
            let (at, line) = self.next_line(DELIVERY_LIMIT).await?;
            match parse_delivery(&line) {
                Some((_, count, worst, latencies)) if line.starts_with("DONE ") => {
                    deliveries.add(count, worst, &latencies)
                }
                _ => return Err(format!("client {at} after a publish: {line}")),
            }
        }
        Ok(deliveries)
    }

    /// `rate` publishes a second for `seconds`, then up to [`DRAIN_LIMIT`]
    /// for the last ones to arrive; every delivery counted, with the
    /// clients' gap notices and ended streams.
    ///
    /// The publisher is a hub of its own on the servers' Redis, in this
    /// process, as an application's publishing process would be: through
    /// a server's publish endpoint, publishes would wait their turn behind
    /// that server's deliveries, and the rate asked would not be the rate
    /// sent.
    pub async fn sustain(
        &mut self,
        rate: u32,
        seconds: u64,
        redis: &Redis,
    ) -> Result<Sustained, String> {
        let hub = sse_runtime::hub::Hub::redis(&redis.url, Default::default())
            .await
            .map_err(|error| format!("the publisher's hub: {error}"))?;
        let publisher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let (mut sent, mut refused) = (0u64, 0u64);
            let end = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < end {
                tick.tick().await;
                let event = sse_runtime::Event::data(crate::load::now_micros().to_string());
                match hub.publish("bench", &event).await {
                    Ok(_) => sent += 1,
                    Err(_) => refused += 1,
                }
            }
            (sent, refused)
        });
        let mut deliveries = Deliveries::default();
        let mut complete = 0u64;
        let clients = self.clients.len() as u64;
        let mut publisher = Some(publisher);
        let mut published = None;
        // Once the last publish is out, what has not arrived within
        // `DRAIN_LIMIT` is counted as not delivered in time.
        let mut until = None;
        loop {
            if let Some(handle) = publisher.as_ref()
                && handle.is_finished()
            {
                let result = publisher.take().expect("there").await;
                published = Some(result.map_err(|error| error.to_string())?);
                until = Some(tokio::time::Instant::now() + DRAIN_LIMIT);
                // The clients count what comes after it as late.
                let deadline = crate::load::now_micros() + DRAIN_LIMIT.as_micros() as u64;
                self.tell_all(&format!("DEADLINE {deadline}")).await?;
            }
            if let Some((sent, _)) = published
                && complete >= sent * clients
            {
                break;
            }
            let wait = match until {
                Some(until) => until.saturating_duration_since(tokio::time::Instant::now()),
                None => Duration::from_millis(200),
            };
            match tokio::time::timeout(wait, self.lines.recv()).await {
                Ok(Some((at, line))) => match parse_delivery(&line) {
                    Some((_, count, worst, latencies)) if line.starts_with("DONE ") => {
                        deliveries.add(count, worst, &latencies);
                        complete += 1;
                    }
                    _ => return Err(format!("client {at} while sustaining: {line}")),
                },
                Ok(None) => return Err("every client process ended".into()),
                Err(_) if until.is_some() => break,
                Err(_) => {}
            }
        }
        let (published, refused) = published.unwrap_or_default();
        self.tell_all("TALLY").await?;
        let (mut gap_notices, mut ended, mut late) = (0, 0, 0);
        let mut tallied = 0;
        while tallied < self.clients.len() {
            let (at, line) = self.next_line(Duration::from_secs(30)).await?;
            if line.starts_with("PARTIAL ") {
                let (_, count, worst, latencies) =
                    parse_delivery(&line).ok_or_else(|| format!("client {at}: {line}"))?;
                deliveries.add(count, worst, &latencies);
            } else if let ["TALLY", _, named, gone, after] = line.split(' ').collect::<Vec<_>>()[..]
            {
                gap_notices += named.parse::<u64>().unwrap_or(0);
                ended += gone.parse::<u64>().unwrap_or(0);
                late += after.parse::<u64>().unwrap_or(0);
                tallied += 1;
            } else if !line.starts_with("DONE ") {
                return Err(format!("client {at} tallying: {line}"));
            } else if let Some((_, count, worst, latencies)) = parse_delivery(&line) {
                deliveries.add(count, worst, &latencies);
            }
        }
        Ok(Sustained {
            published,
            refused,
            deliveries,
            gap_notices,
            ended,
            late,
        })
    }

    pub async fn stop(self) {
        for client in self.clients {
            client.stop().await;
        }
        for server in self.servers {
            server.kill().await;
        }
    }
}

/// What a sustained run counted.
pub struct Sustained {
    pub published: u64,
    pub refused: u64,
    pub deliveries: Deliveries,
    pub gap_notices: u64,
    pub ended: u64,
    /// Deliveries after the drain limit.
    pub late: u64,
}

impl Client {
    fn start(
        at: usize,
        server: SocketAddr,
        first: usize,
        streams: usize,
        lines: mpsc::UnboundedSender<(usize, String)>,
    ) -> Result<Client, String> {
        let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
            .args([
                "--c1m-client",
                &server.to_string(),
                "/hub/fanout",
                &first.to_string(),
                &streams.to_string(),
                &IN_FLIGHT.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("start a client process: {error}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let pid = child.id().unwrap_or(0);
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if lines.send((at, line)).is_err() {
                    break;
                }
            }
        });
        Ok(Client { child, stdin, pid })
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_line() {
        let (sent, count, worst, latencies) = parse_delivery("DONE 17 3 900 5:2,9:1").unwrap();
        assert_eq!((sent, count, worst, latencies.count()), (17, 3, 900, 3));
        assert!(parse_delivery("DONE 17 x 900 -").is_none());
    }
}
