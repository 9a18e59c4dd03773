//! A real PostgreSQL server of its own (Debian's `postgresql`, whichever
//! version is installed), in a fresh data directory on a free port, killed
//! and its directory removed with the test. Run as the `postgres` user when
//! the tests run as root (the server refuses root).
//!
//! ```text
//! let Some(postgres) = Postgres::start().await else { return };
//! let pool = sqlx::PgPool::connect(&postgres.url()).await?;
//! ```

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::PATIENCE;
use crate::redis::free_port;
use crate::skip::Requirement;

/// What the PostgreSQL tests need; `SSE_SKIP_POSTGRES_TESTS=1` skips them
/// on purpose.
pub const REQUIREMENT: Requirement = Requirement {
    what: "PostgreSQL (initdb and postgres)",
    skip_variable: "SSE_SKIP_POSTGRES_TESTS",
    install: "`apt-get install postgresql`",
};

/// A running server and its data directory.
pub struct Postgres {
    child: Option<Child>,
    port: u16,
    bin: PathBuf,
    dir: PathBuf,
    owner: Option<(u32, u32)>,
}

impl Postgres {
    /// A new database cluster, started. Without PostgreSQL installed this
    /// fails, saying how to install it, unless the run opted out with
    /// `SSE_SKIP_POSTGRES_TESTS=1`: then `None`, and the caller returns.
    pub async fn start() -> Option<Postgres> {
        let bin = match binaries() {
            Ok(bin) => bin,
            Err(why) => {
                REQUIREMENT.unmet(&why);
                return None;
            }
        };
        let owner = if running_as_root() {
            Some(user_ids("postgres").expect("the postgres user, made by Debian's package"))
        } else {
            None
        };
        let dir = std::env::temp_dir().join(format!(
            "sse-postgres-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown");
        }
        let mut postgres = Postgres {
            child: None,
            port: 0,
            bin,
            dir,
            owner,
        };
        let initdb = postgres
            .command("initdb")
            .arg("-D")
            .arg(postgres.data())
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C", "--no-instructions"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .await
            .expect("initdb runs");
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        for _ in 0..5 {
            if postgres.start_on(free_port()).await {
                return Some(postgres);
            }
        }
        panic!("no free port for PostgreSQL after 5 tries")
    }

    /// Starts the server again on its port, with the data it had.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        assert!(
            self.start_on(self.port).await,
            "PostgreSQL did not start again on {}",
            self.port
        );
    }

    /// Stops it at once, as a crash would (`SIGQUIT`: every connection cut,
    /// no shutdown checkpoint, recovery at the next start), and waits for it
    /// to exit. Its data stays for [`restart`](Self::restart).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().expect("running").to_string();
            let quit = Command::new("kill").args(["-QUIT", &pid]).status().await;
            assert!(
                quit.is_ok_and(|status| status.success()),
                "kill -QUIT {pid}"
            );
            let _ = child.wait().await;
        }
        // Its backends notice the postmaster is gone; wait until the port
        // is free so that a restart can bind it.
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let freed = tokio::time::timeout(PATIENCE, async {
            while tokio::net::TcpStream::connect(addr).await.is_ok() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(freed.is_ok(), "PostgreSQL still listens on {}", self.port);
    }

    /// Where to reach it: the `postgres` database as the `postgres` role.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// Where to reach `database` (`template1` is always there).
    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command.current_dir(&self.dir);
        command
    }

    /// Whether it started on `port` (`false`: another server holds it).
    async fn start_on(&mut self, port: u16) -> bool {
        let mut child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(&self.dir)
            // A test server: durability is not what is tested here.
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("postgres starts");
        let mut log = BufReader::new(child.stderr.take().expect("piped")).lines();
        let ready = tokio::time::timeout(PATIENCE, async {
            let mut seen = String::new();
            while let Ok(Some(line)) = log.next_line().await {
                if line.contains("ready to accept connections") {
                    return Ok(());
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(seen)
        })
        .await
        .expect("PostgreSQL started in time");
        match ready {
            Ok(()) => {
                // The log goes on; read it so the server never blocks on it.
                tokio::spawn(async move { while let Ok(Some(_)) = log.next_line().await {} });
                self.child = Some(child);
                self.port = port;
                true
            }
            Err(seen) if seen.contains("could not bind") || seen.contains("already in use") => {
                let _ = child.wait().await;
                false
            }
            Err(seen) => panic!("PostgreSQL did not start:\n{seen}"),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest installed version's programs.
fn binaries() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|error| format!("{}: {error}", root.display()))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no server under {}", root.display()))
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// The uid and gid of `user`, from `/etc/passwd`.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
            .flatten()
    })
}
