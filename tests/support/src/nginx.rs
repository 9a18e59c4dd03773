//! A real nginx (Debian's package) on a free loopback port, proxying to a
//! server under test with a generated configuration: nginx's defaults
//! (`proxy_buffering on`, `proxy_read_timeout 60s`) plus
//! `proxy_http_version 1.1`, as a plain `proxy_pass` location has them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::PATIENCE;
use crate::skip::Requirement;

/// What the nginx tests need; `SSE_SKIP_NGINX_TESTS=1` skips them on purpose.
pub const REQUIREMENT: Requirement = Requirement {
    what: "nginx",
    skip_variable: "SSE_SKIP_NGINX_TESTS",
    install: "`apt-get install nginx`",
};

/// A running nginx.
pub struct Nginx {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    dir: PathBuf,
}

/// How nginx listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    /// HTTP/1.1.
    Http1,
    /// HTTP/2 without TLS (prior knowledge), HTTP/1.1 to the upstream: the
    /// shape of a TLS-terminating proxy, without the certificates.
    Http2,
}

impl Nginx {
    /// Starts nginx in front of `upstream`. Without nginx installed this
    /// fails, saying how to install it, unless the run opted out with
    /// `SSE_SKIP_NGINX_TESTS=1`: then `None`, and the caller returns.
    pub async fn start(upstream: SocketAddr, listen: Listen) -> Option<Nginx> {
        if let Err(error) = Command::new(binary()).arg("-v").output().await {
            REQUIREMENT.unmet(&error);
            return None;
        }
        for _ in 0..5 {
            if let Some(nginx) = Self::try_start(upstream, listen).await {
                return Some(nginx);
            }
        }
        panic!("nginx did not start (see its error.log in the temp dir)");
    }

    async fn try_start(upstream: SocketAddr, listen: Listen) -> Option<Nginx> {
        // A free port, released for nginx to take (retried if another
        // process takes it meanwhile).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("sse-nginx-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let user = if running_as_root() { "user root;" } else { "" };
        let http2 = if listen == Listen::Http2 {
            " http2"
        } else {
            ""
        };
        let d = dir.display();
        let config = format!(
            "{user}
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port}{http2};
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
        }}
    }}
}}
"
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).unwrap();
        let mut child = Command::new(binary())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nginx runs");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return None; // the port was taken: try another
            }
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Some(Nginx { child, addr, dir });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// What nginx logged.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `nginx` on the `PATH`, or Debian's `/usr/sbin/nginx` (not on a user's
/// `PATH`).
fn binary() -> &'static str {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("nginx").is_file()));
    if on_path { "nginx" } else { "/usr/sbin/nginx" }
}

/// Whether this process runs as root (nginx's workers then need `user`).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
