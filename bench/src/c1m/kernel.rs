//! What the machine holds, read from `/proc`: the kernel's slab caches that
//! grow with sockets, `/proc/net/sockstat`'s TCP buffer pages, the memory
//! still available, and CPU time (each process's, and the whole machine's
//! by kind), so that the `c1m` accounting sees every byte and every tick.

use serde::{Deserialize, Serialize};

/// The slab caches a socket's life allocates from: the TCP socket, its inode,
/// its file, its dentry, and epoll's entry for it.
pub const SOCKET_CACHES: [&str; 6] = [
    "TCP",
    "sock_inode_cache",
    "filp",
    "dentry",
    "eventpoll_epi",
    "eventpoll_pwq",
];

/// A moment's reading of the machine.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Bytes in use in each of [`SOCKET_CACHES`] (active objects × size).
    pub slab: Vec<(String, u64)>,
    /// `/proc/net/sockstat`'s `TCP: … mem`, in bytes (pages × 4096).
    pub tcp_buffers: u64,
    /// `MemAvailable`, in bytes.
    pub available: u64,
    /// `MemTotal` − `MemFree` − `Buffers` − `Cached`, in bytes: what
    /// processes and the kernel hold, slab caches whole (`MemAvailable`
    /// counts the reclaimable ones, sockets' dentries and inodes among
    /// them, as partly free).
    pub used: u64,
}

impl Snapshot {
    pub fn now() -> Snapshot {
        let slabinfo = std::fs::read_to_string("/proc/slabinfo").unwrap_or_default();
        let slab = SOCKET_CACHES
            .iter()
            .map(|cache| ((*cache).to_owned(), slab_bytes(&slabinfo, cache)))
            .collect();
        let sockstat = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
        let tcp_buffers = sockstat
            .lines()
            .find_map(|line| line.strip_prefix("TCP:"))
            .and_then(|fields| {
                let words: Vec<&str> = fields.split_whitespace().collect();
                let at = words.iter().position(|word| *word == "mem")?;
                words.get(at + 1)?.parse::<u64>().ok()
            })
            .unwrap_or(0)
            * 4096;
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let field = |name: &str| meminfo_bytes(&meminfo, name);
        Snapshot {
            slab,
            tcp_buffers,
            available: field("MemAvailable"),
            used: field("MemTotal")
                .saturating_sub(field("MemFree") + field("Buffers") + field("Cached")),
        }
    }

    /// Whether `/proc/slabinfo` could be read (it needs root).
    pub fn has_slab(&self) -> bool {
        self.slab.iter().any(|(_, bytes)| *bytes > 0)
    }
}

/// A `/proc/meminfo` field, in bytes.
pub fn meminfo_bytes(meminfo: &str, name: &str) -> u64 {
    kib_field(meminfo, name) * 1024
}

/// The value in kB of the line `NAME: <value> kB` in a `/proc` file's text
/// (`/proc/meminfo`, `/proc/<pid>/status`); 0 without it.
fn kib_field(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Active objects × object size of `cache` in `/proc/slabinfo`.
fn slab_bytes(slabinfo: &str, cache: &str) -> u64 {
    slabinfo
        .lines()
        .find_map(|line| {
            let mut fields = line.split_whitespace();
            (fields.next()? == cache).then(|| {
                let active: u64 = fields.next()?.parse().ok()?;
                let _total = fields.next()?;
                let size: u64 = fields.next()?.parse().ok()?;
                Some(active * size)
            })?
        })
        .unwrap_or(0)
}

/// The resident memory of process `pid`, in KiB (0 once it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    kib_field(&status, "VmRSS")
}

/// CPU time of process `pid` so far, user and system, in clock ticks.
pub fn process_ticks(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command's closing parenthesis: fields 3 on; utime and
    // stime are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return (0, 0);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(0);
    (field(14), field(15))
}

/// The whole machine's CPU time in clock ticks: (interrupts and soft
/// interrupts, every tick not idle nor waiting for I/O).
pub fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().find(|line| line.starts_with("cpu ")) else {
        return (0, 0);
    };
    let values: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let softirq = values.get(6).copied().unwrap_or(0) + values.get(5).copied().unwrap_or(0);
    let all: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (softirq, all.saturating_sub(idle))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
pub const TICKS_PER_SECOND: f64 = 100.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let now = Snapshot::now();
        assert!(now.available > 0);
        assert!(rss_kib(std::process::id()) > 0);
        let (_, busy) = machine_ticks();
        assert!(busy > 0);
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        assert!(now.used > 0 && now.used < meminfo_bytes(&meminfo, "MemTotal"));
        let slabinfo = "TCP                  400    420   2368   13    8 : tunables 0 0 0\n";
        assert_eq!(slab_bytes(slabinfo, "TCP"), 400 * 2368);
        assert_eq!(slab_bytes(slabinfo, "filp"), 0);
    }
}
