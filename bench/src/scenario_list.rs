//! BENCHMARKS.md's list of scenarios, written from the run it describes:
//! its sizes (`Run::sizes`) and the constants of the code that measures
//! each scenario, so that the prose around the list restates no count.

use std::fmt::Write as _;

use sse_bench::{GRACE_PERIOD, SLOW_EVERY};

use crate::fanout::PUBLISH_LIMIT;
use crate::run::Run;
use crate::scenarios::{OPEN_AT_ONCE, SHUTDOWN_LIMIT};

/// The scenarios section: how many rounds, how long the run took (where it
/// recorded that), then each scenario with its sizes.
pub fn scenarios(run: &Run) -> String {
    let sizes = &run.sizes;
    let mut out = format!(
        "Sizes of the run below (`bench/results.json`'s `sizes`; a full run's are `Sizes::full()` \
         in `bench/src/run.rs`): every scenario in {}",
        count(sizes.rounds as u64, "round")
    );
    if let Some(seconds) = run.wall_seconds {
        let minutes = (seconds + 30) / 60;
        let _ = write!(out, "; the whole run took {}", count(minutes, "minute"));
    }
    let (many_streams, many_publishes) = sizes.many;
    let _ = write!(
        out,
        ".\n\n\
         - **firehose**: one stream of small JSON events (`{{\"n\":1,\"name\":\"tick\"}}`) as fast \
         as possible; {} ({} for sse-starlette).\n\
         - **time to first byte**: {} clients connect at once to a stream that sends one event; \
         time until each has its first body byte.\n\
         - **idle memory**: the server's resident memory growth per open stream after {} \
         streams have each received one event (keep-alive on), and the time to open them all, \
         {OPEN_AT_ONCE} at a time, each until its first event.\n\
         - **many**: the same idle measurement and the hub fan-out ({}) at {} streams, for \
         `axum::serve`, `sse_runtime::serve` on hyper's path and with lean streams \
         (`bench/src/many.rs`), in a table of their own. A process needs a file per socket and \
         may open only as many as its limit (`ulimit -Hn`; the table says what it was on the \
         machine measured, where it could not be raised), so where one process may not hold \
         them all the rows are measured twice: in one server process at as many streams as it \
         may hold (the hub in memory), and at {} streams over as many server processes as that \
         needs, a share each, their hubs on one Redis so that one publish reaches all of them; \
         memory is the growth of all their resident sets together, and the clients are \
         processes of their own too (`sse-bench --hold-idle` opens a share of the idle streams, \
         all shares at once; `--load-worker` holds a share of the subscribers). `bench/run` \
         says what it measures when it splits.\n\
         - **fan-out**: {} subscribers; {}, one after another; time from publish to the last \
         subscriber having it, and deliveries per second. The subscribers are spread over one \
         load process per core (`sse-bench --load-worker`, single-threaded, `BENCH_LOAD_PROCS` \
         to change the count); each process reports only the worst latency per publish, so no \
         per-delivery message crosses a thread or a process (`bench/src/fanout.rs`). A round \
         that does not finish (a subscriber's stream ends, a publish is not delivered to every \
         subscriber within {} s) counts every delivery of the round as lost, and the run \
         records why.\n\
         - **hub fan-out**: the same publish-to-last-subscriber measurement through \
         `sse_runtime::hub::Hub` (an `#[sse_endpoint]` following a topic), in memory and on \
         Redis (a `redis-server` the harness starts on a free port, no persistence), at {} \
         subscribers.\n\
         - **disconnect**: {} open streams whose clients all close at once; time until the \
         server reports every generator dropped.\n\
         - **shutdown**: {} open streams (an event every {} ms each, no farewell hook, so they \
         run until the grace period, `sse_bench::GRACE_PERIOD`, {} s, ends them), SIGTERM; \
         time until the process exits (the scenario gives up after `SHUTDOWN_LIMIT`, {} s).\n\
         - **encoding**: in-process, no network, measured by criterion \
         (`bench/benches/encoding.rs`; alone: `cargo bench --manifest-path bench/Cargo.toml \
         --bench encoding`): events per second from axum's `Event` and from each way \
         sse-runtime produces events, for text, multi-line and JSON, with criterion's {}\
         confidence interval, and the bytes per event.\n",
        count(sizes.firehose_events, "event"),
        thousands(sizes.firehose_events_starlette),
        and(&sizes.connects),
        and(&sizes.idle),
        count(many_publishes as u64, "publish"),
        thousands(many_streams as u64),
        thousands(many_streams as u64),
        and(&sizes.fanout),
        count(sizes.publishes as u64, "publish"),
        PUBLISH_LIMIT.as_secs(),
        and(&sizes.fanout),
        and(&sizes.drain),
        and(&sizes.drain),
        SLOW_EVERY.as_millis(),
        GRACE_PERIOD.as_secs(),
        SHUTDOWN_LIMIT.as_secs(),
        run.encoding
            .as_ref()
            .map_or(String::new(), |encoding| format!("{} ", encoding.level())),
    );
    out
}

/// `1 round`, `3 rounds`, `20 publishes`, `1,000,000 events`.
fn count(n: u64, what: &str) -> String {
    let plural = if what.ends_with('h') { "es" } else { "s" };
    format!(
        "{} {what}{}",
        thousands(n),
        if n == 1 { "" } else { plural }
    )
}

/// `1,000 and 10,000`; `200`; `200, 1,000 and 10,000`.
fn and(sizes: &[usize]) -> String {
    let mut words: Vec<String> = sizes.iter().map(|&n| thousands(n as u64)).collect();
    let Some(last) = words.pop() else {
        return String::new();
    };
    if words.is_empty() {
        last
    } else {
        format!("{} and {last}", words.join(", "))
    }
}

/// 19000 as 19,000.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Sizes;

    #[test]
    fn the_section_gives_the_runs_sizes_and_length() {
        // The run on record loads (runs before `wall_seconds` and
        // `confidence_level` load too: both default), and a run without
        // its wall time says nothing of it.
        let mut run = Run::load().expect("bench/results.json loads");
        assert!(scenarios(&run).contains("every scenario in 3 rounds"));
        run.wall_seconds = None;
        assert!(scenarios(&run).contains("every scenario in 3 rounds.\n"));
        run.sizes = Sizes::quick();
        run.wall_seconds = Some(25 * 60 + 10);
        let text = scenarios(&run);
        for wanted in [
            "every scenario in 1 round; the whole run took 25 minutes.\n",
            "; 100,000 events (5,000 for sse-starlette).",
            "- **fan-out**: 200 subscribers; 5 publishes, one after another;",
            "hub fan-out (3 publishes) at 2,000 streams",
            "with criterion's 95% confidence interval",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in {text}");
        }
    }

    #[test]
    fn counts_are_written_as_the_prose_wrote_them() {
        assert_eq!(count(1, "round"), "1 round");
        assert_eq!(count(3, "round"), "3 rounds");
        assert_eq!(count(20, "publish"), "20 publishes");
        assert_eq!(count(1_000_000, "event"), "1,000,000 events");
        assert_eq!(and(&[200]), "200");
        assert_eq!(and(&[1_000, 10_000]), "1,000 and 10,000");
        assert_eq!(and(&[200, 1_000, 10_000]), "200, 1,000 and 10,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(19_000), "19,000");
    }
}
