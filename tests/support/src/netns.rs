//! A client machine of its own: a network namespace joined to this one by a
//! veth pair, whose link can be cut so that its packets vanish (no FIN, no
//! RST), as when a laptop lid closes. Needs root and iproute2's `ip`, as in
//! CI; removed when dropped.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;

use crate::skip::Requirement;

/// What the dead-peer tests need; `SSE_SKIP_NETNS_TESTS=1` skips them on
/// purpose where network namespaces cannot be made (not root, no `ip`).
pub const REQUIREMENT: Requirement = Requirement {
    what: "a network namespace (root and iproute2's `ip`)",
    skip_variable: "SSE_SKIP_NETNS_TESTS",
    install: "run as root with `apt-get install iproute2`",
};

/// A namespace `10.213.N.2` whose host side is `10.213.N.1`.
pub struct ClientMachine {
    name: String,
    host_link: String,
    client_link: String,
    /// Where the server binds, on this side of the pair.
    pub host_ip: IpAddr,
    /// The namespace's own address.
    pub client_ip: IpAddr,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|error| format!("ip {}: {error}", args.join(" ")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

impl ClientMachine {
    /// Makes the namespace; `None` only when the run opted out with
    /// `SSE_SKIP_NETNS_TESTS=1` (otherwise a failure to make one fails the test,
    /// saying why).
    pub fn create() -> Option<ClientMachine> {
        // Unique per test process: names are at most 15 bytes.
        let id = std::process::id() % 100_000;
        let subnet = (id % 250) as u8 + 1;
        let machine = ClientMachine {
            name: format!("sse-ns-{id}"),
            host_link: format!("sseh{id}"),
            client_link: format!("ssec{id}"),
            host_ip: IpAddr::V4(Ipv4Addr::new(10, 213, subnet, 1)),
            client_ip: IpAddr::V4(Ipv4Addr::new(10, 213, subnet, 2)),
        };
        match machine.set_up() {
            Ok(()) => Some(machine),
            Err(error) => {
                REQUIREMENT.unmet(&error);
                None
            }
        }
    }

    fn set_up(&self) -> Result<(), String> {
        let (ns, host, client) = (&self.name, &self.host_link, &self.client_link);
        let host_cidr = format!("{}/24", self.host_ip);
        let client_cidr = format!("{}/24", self.client_ip);
        ip(&["netns", "add", ns])?;
        ip(&["link", "add", host, "type", "veth", "peer", "name", client])?;
        ip(&["link", "set", client, "netns", ns])?;
        ip(&["addr", "add", &host_cidr, "dev", host])?;
        ip(&["link", "set", host, "up"])?;
        ip(&[
            "netns",
            "exec",
            ns,
            "ip",
            "addr",
            "add",
            &client_cidr,
            "dev",
            client,
        ])?;
        ip(&["netns", "exec", ns, "ip", "link", "set", client, "up"])?;
        ip(&["netns", "exec", ns, "ip", "link", "set", "lo", "up"])
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: &str) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// Cuts the namespace's link: from now on its packets vanish without a
    /// trace, and the server's go unanswered.
    pub fn vanish(&self) {
        ip(&[
            "netns",
            "exec",
            &self.name,
            "ip",
            "link",
            "set",
            &self.client_link,
            "down",
        ])
        .expect("cut the client's link");
    }
}

impl Drop for ClientMachine {
    fn drop(&mut self) {
        let _ = ip(&["link", "del", &self.host_link]);
        let _ = ip(&["netns", "del", &self.name]);
    }
}
