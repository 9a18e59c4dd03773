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

/// Opens `streams` idle streams and returns the server's resident memory
/// growth per opened stream in KiB, and how many opened.
pub async fn idle_memory(server: &Server, streams: usize) -> (f64, u64) {
    // One stream first, so code paths and allocator pools are warm.
    let Some(warm) = open_stream(server.addr, 0, "/idle").await else {
        return (f64::NAN, 0);
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.rss_kib();
    let mut readers = Vec::with_capacity(streams);
    for chunk in (1..=streams).collect::<Vec<_>>().chunks(500) {
        readers.extend(open_streams(server, chunk.iter().copied(), "/idle").await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_kib();
    let opened = readers.len();
    drop(readers);
    drop(warm);
    if opened == 0 {
        return (f64::NAN, 0);
    }
    (
        after.saturating_sub(before) as f64 / opened as f64,
        opened as u64,
    )
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

/// Opens `streams` streams on `/slow`, sends SIGTERM and measures the time to
/// process exit (`None` past 10 s), and how many streams were open.
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
    let exit = server.terminate(Duration::from_secs(10)).await;
    for drain in drains {
        drain.abort();
    }
    (exit.map(|took| took.as_secs_f64() * 1000.0), opened)
}

/// Opens a stream from source index `index` and reads until its first event
/// (30 s at most).
async fn open_stream(addr: SocketAddr, index: usize, path: &str) -> Option<Reader> {
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
    let tasks: Vec<_> = indices
        .map(|index| tokio::spawn(open_stream(addr, index, path)))
        .collect();
    let mut readers = Vec::new();
    for task in tasks {
        if let Ok(Some(reader)) = task.await {
            readers.push(reader);
        }
    }
    readers
}
