//! An example program run as a process, as a user runs it: `PORT=0`, its
//! URL read from stdout, its log from stderr, stopped with SIGTERM.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::PATIENCE;

/// A running example program.
pub struct Example {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Everything it logged on stderr so far.
    pub log: Arc<Mutex<String>>,
    /// What it printed on stdout after its URL, so far (read as it comes, so
    /// that a program printing more never blocks on a full pipe).
    pub output: Arc<Mutex<String>>,
    /// The task copying stderr into `log`; done once the process has exited.
    logging: JoinHandle<()>,
}

impl Example {
    /// Starts example `name` on a free port.
    pub async fn start(name: &str) -> Example {
        Self::start_with(name, &[]).await
    }

    /// Where example `name`'s program is: `cargo test` builds the examples
    /// next to the test binaries.
    pub fn binary(name: &str) -> std::path::PathBuf {
        let deps = std::env::current_exe().unwrap();
        let target = deps.parent().unwrap().parent().unwrap();
        target.join("examples").join(name)
    }

    /// Starts example `name` with extra environment variables.
    pub async fn start_with(name: &str, env: &[(&str, &str)]) -> Example {
        let binary = Self::binary(name);
        let mut child = Command::new(&binary)
            .env("PORT", "0")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start {} ({error}); `cargo test` builds the examples, \
                     or run `cargo build --examples` first",
                    binary.display()
                )
            });
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(PATIENCE, stdout.next_line())
            .await
            .expect("the example printed its URL")
            .unwrap()
            .expect("a line on stdout");
        let url = first
            .strip_prefix("listening on http://")
            .or_else(|| first.strip_prefix("listening on https://"))
            .expect(&first);
        let addr = url.split('/').next().unwrap().parse().unwrap();

        let output = Arc::new(Mutex::new(String::new()));
        let printed = output.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stdout.next_line().await {
                let mut output = printed.lock().unwrap();
                output.push_str(&line);
                output.push('\n');
            }
        });
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = log.clone();
        let logging = tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Example {
            child,
            addr,
            log,
            output,
            logging,
        }
    }

    /// Waits until the example's log contains `text`.
    pub async fn wait_for_log(&self, text: &str) {
        self.wait_for_log_count(text, 1).await;
    }

    /// Waits until the example's log contains `text` at least `count` times.
    pub async fn wait_for_log_count(&self, text: &str, count: usize) {
        let found = tokio::time::timeout(PATIENCE, async {
            while self.log.lock().unwrap().matches(text).count() < count {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(
            found.is_ok(),
            "log never said {text:?} {count} times:\n{}",
            self.log.lock().unwrap()
        );
    }

    /// The process's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// Sends SIGTERM and waits for the process to exit; how long it took.
    pub async fn terminate(self) -> Duration {
        let started = Instant::now();
        self.sigterm();
        self.wait_for_exit().await;
        started.elapsed()
    }

    /// Sends SIGTERM, and returns at once.
    pub fn sigterm(&self) {
        let pid = self.child.id().unwrap().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, which it must do successfully.
    pub async fn wait_for_exit(mut self) {
        let exit = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(exit.success(), "exit status {exit}");
        // Everything the process logged is in `log` once its stderr closed.
        let _ = tokio::time::timeout(PATIENCE, self.logging).await;
    }
}
