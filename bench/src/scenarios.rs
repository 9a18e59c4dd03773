//! The scenarios measured against one running server, each reporting how
//! many of its connections (or events) succeeded beside what it measured.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::load::{Reader, data_of, get_text, millis, percentile, within};
use crate::target::Server;

/// One stream of `n` small JSON events: events/s and MB/s, and the events
/// that arrived (a stream cut short is timed to where it ended).
pub async fn firehose(server: &Server, n: u64) -> (f64, f64, u64) {
    let started = Instant::now();
    let Ok(mut reader) = Reader::get(server.addr, 0, &format!("/firehose?n={n}")).await else {
        return (f64::NAN, f64::NAN, 0);
    };
    let mut events = 0u64;
    while let Ok(true) = reader
        .read(&mut |block| {
            if data_of(block).is_some() {
                events += 1;
            }
        })
        .await
    {}
    let seconds = started.elapsed().as_secs_f64();
    (
        events as f64 / seconds,
        reader.bytes as f64 / seconds / 1e6,
        events,
    )
}

/// `connects` clients connect at once; time until each has the first body
/// byte (an event or the opening comment): p50, p99, and how many got one
/// within 30 s.
pub async fn time_to_first_byte(server: &Server, connects: usize) -> (f64, f64, u64) {
    let start = Instant::now();
    let tasks: Vec<_> = (0..connects)
        .map(|index| {
            let addr = server.addr;
            tokio::spawn(async move {
                let mut reader = Reader::get_small(addr, index, "/idle").await.ok()?;
                let mut seen = false;
                while !seen {
                    if !within(Duration::from_secs(30), reader.read(&mut |_| seen = true))
                        .await?
                        .ok()?
                    {
                        return None;
                    }
                }
                Some((millis(start), reader))
            })
        })
        .collect();
    let mut times = Vec::new();
    let mut readers = Vec::new();
    for task in tasks {
        if let Ok(Some((ms, reader))) = task.await {
            times.push(ms);
            readers.push(reader);
        }
    }
    drop(readers);
    times.sort_by(f64::total_cmp);
    (
        percentile(&times, 50.0),
        percentile(&times, 99.0),
        times.len() as u64,
    )
}

/// How many idle streams are opened at once, each until its first event,
/// before the next batch.
pub const OPEN_AT_ONCE: usize = 500;

/// Opens `streams` idle streams and returns the server's resident memory
/// growth per opened stream in KiB, how many opened, and how long opening
/// them all took in seconds ([`OPEN_AT_ONCE`] at a time, each until its
/// first event).
pub async fn idle_memory(server: &Server, streams: usize) -> (f64, u64, f64) {
    // One stream first, so code paths and allocator pools are warm.
    let Some(warm) = open_stream(server.addr, 0, "/idle").await else {
        return (f64::NAN, 0, f64::NAN);
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.rss_kib();
    let mut readers = Vec::with_capacity(streams);
    let opening = Instant::now();
    for chunk in (1..=streams).collect::<Vec<_>>().chunks(OPEN_AT_ONCE) {
        readers.extend(open_streams(server, chunk.iter().copied(), "/idle").await);
    }
    let open_secs = opening.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_kib();
    let opened = readers.len();
    drop(readers);
    drop(warm);
    if opened == 0 {
        return (f64::NAN, 0, f64::NAN);
    }
    (
        after.saturating_sub(before) as f64 / opened as f64,
        opened as u64,
        open_secs,
    )
}

/// Opens `streams` idle streams, [`OPEN_AT_ONCE`] at a time, from source indices
/// `first..`, for a tool that holds them (`sse-bench --hold-idle`); those
/// that opened.
pub async fn open_idle(addr: SocketAddr, first: usize, streams: usize) -> Vec<Reader> {
    let mut readers = Vec::with_capacity(streams);
    for chunk in (first..first + streams)
        .collect::<Vec<_>>()
        .chunks(OPEN_AT_ONCE)
    {
        readers.extend(
            open_all(chunk.iter().copied(), |index| {
                open_stream(addr, index, "/idle")
            })
            .await,
        );
    }
    readers
}

/// Opens `streams` streams on `/slow`, closes them all at once, and waits for
/// the server to report none open: how long until every generator is gone
/// (`None` if not within 10 s), and how many were opened.
pub async fn disconnect_detection(server: &Server, streams: usize) -> (Option<f64>, u64) {
    let readers = open_streams(server, 0..streams, "/slow").await;
    let opened = readers.len() as u64;
    let open = get_text(server.addr, "/stats").await;
    if open.parse::<u64>().ok() != Some(opened) {
        eprintln!("disconnect: the server counts {open} open streams, the client {opened}");
        return (None, opened);
    }
    let closed = Instant::now();
    drop(readers);
    let took = within(Duration::from_secs(10), async {
        loop {
            if get_text(server.addr, "/stats").await == "0" {
                return millis(closed);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    (took, opened)
}

/// How long the shutdown rows wait for a server to exit after SIGTERM.
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);

/// Opens `streams` streams on `/slow`, sends SIGTERM and measures the time to
/// process exit (`None` past [`SHUTDOWN_LIMIT`]), and how many streams were
/// open.
pub async fn shutdown_drain(server: Server, streams: usize) -> (Option<f64>, u64) {
    let readers = open_streams(&server, 0..streams, "/slow").await;
    let opened = readers.len() as u64;
    // Keep reading so that only the server decides when streams end.
    let drains: Vec<_> = readers
        .into_iter()
        .map(|mut reader| {
            tokio::spawn(async move { while let Ok(true) = reader.read(&mut |_| {}).await {} })
        })
        .collect();
    let exit = server.terminate(SHUTDOWN_LIMIT).await;
    for drain in drains {
        drain.abort();
    }
    (exit.map(|took| took.as_secs_f64() * 1000.0), opened)
}

/// Opens a stream from source index `index` and reads until its first event
/// (30 s at most).
pub async fn open_stream(addr: SocketAddr, index: usize, path: &str) -> Option<Reader> {
    let mut reader = Reader::get_small(addr, index, path).await.ok()?;
    let mut events = 0;
    while events == 0 {
        let mut on_event = |block: &[u8]| {
            if data_of(block).is_some() {
                events += 1;
            }
        };
        if !within(Duration::from_secs(30), reader.read(&mut on_event))
            .await?
            .ok()?
        {
            return None;
        }
    }
    Some(reader)
}

/// Opens a stream per index at once; those that got their first event.
async fn open_streams(
    server: &Server,
    indices: impl Iterator<Item = usize>,
    path: &'static str,
) -> Vec<Reader> {
    let addr = server.addr;
    open_all(indices, |index| open_stream(addr, index, path)).await
}

/// Runs `open` for every index at once; the readers that opened.
async fn open_all<F, Fut>(indices: impl Iterator<Item = usize>, open: F) -> Vec<Reader>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Option<Reader>> + Send + 'static,
{
    let tasks: Vec<_> = indices.map(|index| tokio::spawn(open(index))).collect();
    let mut readers = Vec::new();
    for task in tasks {
        if let Ok(Some(reader)) = task.await {
            readers.push(reader);
        }
    }
    readers
}

/// Opens `/hub/rooms/{room}` and waits for the endpoint's `: subscribed`.
async fn open_room(addr: SocketAddr, index: usize, room: usize) -> Option<Reader> {
    let path = format!("/hub/rooms/room-{room}");
    let mut reader = Reader::get_small(addr, index, &path).await.ok()?;
    let mut subscribed = false;
    while !subscribed {
        let mut on_event = |block: &[u8]| subscribed |= block.starts_with(b": subscribed");
        if !within(Duration::from_secs(30), reader.read(&mut on_event))
            .await?
            .ok()?
        {
            return None;
        }
    }
    Some(reader)
}

/// Opens the rooms `rooms` at once; those that subscribed.
async fn open_rooms(addr: SocketAddr, rooms: std::ops::Range<usize>) -> Vec<Reader> {
    open_all(rooms, |room| open_room(addr, room, room)).await
}

/// Polls `/hub/topics` until it reads 0 (up to 10 s); returns what it read last.
async fn topics_left(addr: SocketAddr) -> u64 {
    let mut left = u64::MAX;
    let _ = within(Duration::from_secs(10), async {
        loop {
            left = get_text(addr, "/hub/topics")
                .await
                .parse()
                .unwrap_or(u64::MAX);
            if left == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    left
}

/// Subscribes once to each of `rooms` distinct rooms, 500 at a time, and
/// leaves: the server's resident memory growth in MiB once they all left,
/// the topics its hub still holds, and how many subscribed.
pub async fn rooms_left(server: &Server, rooms: usize) -> (f64, u64, u64) {
    // A first batch warms code paths and allocator pools.
    drop(open_rooms(server.addr, rooms..rooms + 500).await);
    topics_left(server.addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.rss_kib();
    let mut subscribed = 0;
    for start in (0..rooms).step_by(500) {
        let batch = open_rooms(server.addr, start..(start + 500).min(rooms)).await;
        subscribed += batch.len() as u64;
    }
    let left = topics_left(server.addr).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let grown = server.rss_kib().saturating_sub(before) as f64 / 1024.0;
    (grown, left, subscribed)
}

/// Holds a subscriber on each of `rooms` distinct rooms of a server whose
/// hub is on `redis`: the Redis connections the server holds meanwhile
/// (every client Redis lists, less this one), the topics left once they
/// all left, and how many subscribed.
pub async fn rooms_on_redis(server: &Server, redis: SocketAddr, rooms: usize) -> (f64, u64, u64) {
    let mut readers = Vec::with_capacity(rooms);
    for start in (0..rooms).step_by(500) {
        readers.extend(open_rooms(server.addr, start..(start + 500).min(rooms)).await);
    }
    let subscribed = readers.len() as u64;
    let connections = redis_clients(redis)
        .await
        .map_or(f64::NAN, |n| (n - 1) as f64);
    drop(readers);
    let left = topics_left(server.addr).await;
    (connections, left, subscribed)
}

/// How many clients `CLIENT LIST` shows, over a connection of its own.
async fn redis_clients(redis: SocketAddr) -> Option<usize> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(redis).await.ok()?;
    socket
        .write_all(b"*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n")
        .await
        .ok()?;
    // A bulk string: `$<length>\r\n<text>\r\n`.
    let mut reply = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        reply.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&reply);
        let (length, rest) = text.strip_prefix('$')?.split_once("\r\n")?;
        let length: usize = length.parse().ok()?;
        if rest.len() >= length {
            return Some(rest[..length].lines().count());
        }
    }
}
