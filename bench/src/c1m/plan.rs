//! The paper plan for ten million streams across machines like this one,
//! computed from the run's own figures (nothing restated by hand): what a
//! stream costs a server machine (its server's memory and one socket, the
//! client being elsewhere), how many such machines ten million need, what
//! the Redis between them carries, and the publish rate the measured
//! delivery rate allows.

use std::fmt::Write as _;

use super::C1m;
use super::render::lean_rows;
use crate::scenario_list::thousands;

/// The streams the plan is for, and the machines it spreads them over.
pub const TARGET: u64 = 10_000_000;
pub const MACHINES: u64 = 10;

pub fn plan(run: &C1m) -> String {
    let Some(row) = lean_rows(run)
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
    let servers_cpu = cpu.servers.0 + cpu.servers.1;
    // The share of the box's busy time the servers had: alone on a machine
    // they could have it all.
    let share = if cpu.machine > 0.0 {
        servers_cpu / cpu.machine
    } else {
        f64::NAN
    };
    let alone = delivery.per_second / share;
    let mut out = String::from("\n### Ten million, on paper\n\n");
    let _ = write!(
        out,
        "From the {} row above: a stream costs a server machine its server's {:.2} KiB and one \
         socket's {:.0} bytes of kernel memory ({:.0} bytes in all; its client is elsewhere). \
         A machine like this one ({:.1} GiB) holds {} streams in nine tenths of its memory, so \
         {} streams need {} such machines by memory; the plan below spreads them over {}.\n\n\
         | per machine | streams | memory | server processes | Redis subscriber connections \
         (all machines) | deliveries/s (measured with clients on the box → servers alone) | \
         publishes/s to every stream |\n|---|---:|---:|---:|---:|---:|---:|\n\
         | {MACHINES} machines | {} | {:.1} GiB ({:.0}%) | {} | {} | {:.2} M → {:.2} M | {:.2} \
         |\n\n",
        thousands(row.streams as u64),
        row.server_kib,
        row.kernel_per_socket() + row.tcp_buffers,
        per_stream,
        memory / f64::from(1 << 30),
        thousands(fits),
        thousands(TARGET),
        needed,
        MACHINES,
        thousands(each),
        each as f64 * per_stream / f64::from(1 << 30),
        100.0 * each as f64 * per_stream / memory,
        processes,
        processes * MACHINES,
        delivery.per_second / 1e6,
        alone / 1e6,
        alone / each as f64,
    );
    let _ = write!(
        out,
        "A publish costs Redis one message per server process, not per stream: at the rate \
         above that is {:.0} messages a second over {} connections, a small fraction of what \
         one Redis moves (the hub ceilings above), so one primary with a replica under \
         Sentinel (failover) serves the ten machines; a Redis Cluster buys nothing here until \
         publishes, not streams, outgrow one core. The publish rate is the delivery rate's: \
         a machine delivers {:.2} M events a second at most (servers alone: the share of CPU \
         the clients and the kernel took for them here, {:.0}%, goes to the servers), so \
         every event to every stream of a machine holding {} takes {:.2} s.\n",
        alone / each as f64 * (processes * MACHINES) as f64,
        processes * MACHINES,
        alone / 1e6,
        100.0 * (1.0 - share),
        thousands(each),
        each as f64 / alone,
    );
    out
}
