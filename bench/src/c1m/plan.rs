//! The paper plan for ten million streams across machines like this one,
//! computed from the run's own figures (nothing restated by hand): what a
//! stream costs a server machine (its server's memory and one socket, the
//! client being elsewhere), how many such machines ten million need, what
//! the Redis between them carries, and the publish rate that what a
//! delivery cost the servers allows.

use std::fmt::Write as _;

use super::C1m;
use crate::scenario_list::thousands;

/// The streams the plan is for, and the machines it spreads them over.
pub const TARGET: u64 = 10_000_000;
pub const MACHINES: u64 = 10;

pub fn plan(run: &C1m) -> String {
    let Some(row) = run
        .lean_rows()
        .filter(|row| row.delivery.is_some())
        .max_by_key(|row| row.streams)
    else {
        return String::new();
    };
    let delivery = row.delivery.as_ref().expect("filtered");
    let per_stream = row.server_kib * 1024.0 + row.kernel_per_socket() + row.tcp_buffers;
    let each = TARGET / MACHINES;
    let memory = run.memory as f64;
    let fits = (0.9 * memory / per_stream) as u64;
    let needed = TARGET.div_ceil(fits.max(1));
    let processes = each.div_ceil(run.sizes.per_process as u64);
    let cpu = &delivery.cpu;
    // What a delivery costs the servers, from the publishes measured: the
    // events one core of server delivers in a second.
    let server_seconds = cpu.servers.0 + cpu.servers.1;
    let per_core = delivery.delivered as f64 / server_seconds;
    // The measured machine's, from the run's stamp (`2 cores, …`), not the
    // one rendering it.
    let cores: f64 = run
        .stamp
        .machine
        .split(' ')
        .next()
        .and_then(|cores| cores.parse().ok())
        .unwrap_or(f64::NAN);
    let machine_rate = per_core * cores;
    let publishes = machine_rate / each as f64;
    let connections = processes * MACHINES;
    // At a steady rate a stream's events go out together (one write, one
    // read for several), so the box delivers more than one publish at a
    // time shows: the largest size whose steady rate arrived in full, with
    // its clients on the box.
    let steady = run
        .lean_rows()
        .filter_map(|row| Some((row.streams, row.sustained.as_ref()?)))
        .filter(|(_, steady)| steady.delivered == steady.expected && steady.published > 0)
        .max_by_key(|(streams, _)| *streams)
        .map(|(streams, steady)| (streams, steady.delivered as f64 / steady.seconds as f64));
    let highest = steady.map_or(publishes, |(_, rate)| publishes.max(rate / each as f64));
    let mut out = String::from("\n### Ten million, on paper\n\n");
    let _ = write!(
        out,
        "From the {} row above: a stream costs a server machine its server's {:.2} KiB and one \
         socket's {:.0} bytes of kernel memory ({:.0} bytes in all; its client is elsewhere). \
         A machine like this one ({:.1} GiB, {cores} cores) holds {} streams in nine tenths of \
         its memory, so {} streams need {} such machines by memory; the plan spreads them over \
         {MACHINES}. Delivering cost the servers {:.1} CPU seconds for {} deliveries, {:.2} M \
         deliveries a second of one core, so a machine whose cores all serve streams delivers \
         {:.2} M a second and, one publish at a time, sustains {:.2} publishes a second to \
         every one of its streams.\n\n\
         | machines | streams each | memory each | server processes each | Redis subscriber \
         connections | deliveries/s each | publishes/s to every stream |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n\
         | {MACHINES} | {} | {:.1} GiB ({:.0}%) | {} | {} | {:.2} M | {:.2} |\n\n",
        thousands(row.streams as u64),
        row.server_kib,
        row.kernel_per_socket() + row.tcp_buffers,
        per_stream,
        memory / f64::from(1 << 30),
        thousands(fits),
        thousands(TARGET),
        needed,
        server_seconds,
        thousands(delivery.delivered),
        per_core / 1e6,
        machine_rate / 1e6,
        publishes,
        thousands(each),
        each as f64 * per_stream / f64::from(1 << 30),
        100.0 * each as f64 * per_stream / memory,
        processes,
        connections,
        machine_rate / 1e6,
        publishes,
    );
    let _ = writeln!(
        out,
        "{}A publish costs Redis one message per server process, not per stream: at the highest \
         rate above, {:.2} publishes a second, that is {:.0} messages a second over \
         {connections} connections (what one Redis moves is in the hub ceilings above). The plan's Redis is one primary with a replica under Sentinel, \
         for failover; a Redis Cluster would spread publishes, which here are few, not \
         streams.",
        steady.map_or(String::new(), |(streams, rate)| format!(
            "That bound is one publish at a time. At a steady rate the box did better: with \
             {} streams it delivered {:.2} M events a second, every one in time, its clients on \
             the box as well (each stream's events leave and arrive together, one write and one \
             read for several); at that rate a machine holding {} streams sustains \
             {:.2} publishes a second to every stream.\n\n",
            thousands(streams as u64),
            rate / 1e6,
            thousands(each),
            rate / each as f64
        )),
        highest,
        highest * connections as f64,
    );
    out
}
