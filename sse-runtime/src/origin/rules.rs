//! What an [`OriginCheck`](super::OriginCheck) allows: origins and hosts by
//! name, and this machine's names on any port.

#[derive(Debug, Clone, Default)]
pub(super) struct Rules {
    /// `scheme://host[:port]`, lowercase.
    pub(super) origins: Vec<String>,
    /// `host[:port]`, lowercase; empty: any host.
    pub(super) hosts: Vec<String>,
    /// Origins and hosts that name this machine, on any port.
    pub(super) loopback: bool,
}

impl Rules {
    /// Whether `Host` is checked: once a host is named, or for localhost.
    pub(super) fn checks_hosts(&self) -> bool {
        self.loopback || !self.hosts.is_empty()
    }

    pub(super) fn allows_origin(&self, origin: &str) -> bool {
        if self
            .origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        if !self.loopback {
            return false;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
            && is_loopback_authority(authority)
    }

    pub(super) fn allows_host(&self, host: &str) -> bool {
        self.hosts
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host))
            || (self.loopback && is_loopback_authority(host))
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, with an optional numeric port.
fn is_loopback_authority(authority: &str) -> bool {
    let name = match authority.rsplit_once(':') {
        // `[::1]` alone has colons inside the brackets, and no port.
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !name.ends_with(':') =>
        {
            name
        }
        _ => authority,
    };
    name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "[::1]"
}
