//! The servers under test: `bench-server` in its implementations, and
//! sse-starlette on uvicorn from the venv that `bench/run` creates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One implementation of the scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Implementation {
    /// Hand-written axum `Sse` + async-stream, served by `axum::serve`.
    Axum,
    /// `sse_runtime::SseResponse` used by hand, served by `sse_runtime::serve`
    /// with lean streams off (`.lean_streams(false)`): hyper's connection
    /// writes every stream to its end, as before lean streams existed.
    Runtime,
    /// `#[sse_endpoint]`, served by `sse_runtime::serve` with lean streams
    /// off, as `Runtime` is (the macro's cost, and nothing else, apart).
    Macro,
    /// sse-starlette 3.x on uvicorn.
    Starlette,
    /// Isolation: the axum `Sse` responses served by `sse_runtime::serve`
    /// (`TCP_NODELAY`, HTTP/1 only): the server's share of a difference.
    AxumOnOurServe,
    /// Isolation: the `SseResponse` responses served by `axum::serve` on an
    /// `SseListener` with `make_service`, as the docs set it up: the
    /// response's share of a difference.
    RuntimeOnAxumServe,
    /// Isolation: `SseResponse` whose stream is pending after every event,
    /// so each event is its own body frame: what coalescing ready events
    /// into one frame is worth.
    RuntimeOneEventPerFrame,
    /// The runtime's responses served by `sse_runtime::serve` with cleartext
    /// HTTP/2 on (`.http2(true)`), for the HTTP/2 rows.
    RuntimeHttp2,
    /// `sse_runtime::SseResponse` by hand, served by `sse_runtime::serve`
    /// with its default lean streams: each stream leaves hyper's connection
    /// once its head is out.
    RuntimeLean,
    /// The many-streams rows' baseline for a hub publish: this project's hub
    /// endpoint (an `#[sse_endpoint]` every bench server has) served by
    /// plain `axum::serve`, as `Axum` is; there is no axum `Sse` hub.
    HubOnAxumServe,
}

impl Implementation {
    /// The servers compared in the main table.
    pub const MAIN: [Implementation; 5] = [
        Implementation::Axum,
        Implementation::Runtime,
        Implementation::RuntimeLean,
        Implementation::Macro,
        Implementation::Starlette,
    ];

    /// The rows that take one difference at a time, beside the two ends.
    pub const ISOLATION: [Implementation; 5] = [
        Implementation::Axum,
        Implementation::AxumOnOurServe,
        Implementation::RuntimeOnAxumServe,
        Implementation::RuntimeOneEventPerFrame,
        Implementation::Runtime,
    ];

    /// Every implementation, for reading one back by its name.
    const ALL: [Implementation; 10] = [
        Implementation::Axum,
        Implementation::Runtime,
        Implementation::Macro,
        Implementation::Starlette,
        Implementation::AxumOnOurServe,
        Implementation::RuntimeOnAxumServe,
        Implementation::RuntimeOneEventPerFrame,
        Implementation::RuntimeHttp2,
        Implementation::RuntimeLean,
        Implementation::HubOnAxumServe,
    ];

    /// Its name, in the tables and in `bench/results.json`.
    pub fn name(self) -> &'static str {
        match self {
            Implementation::Axum => "axum Sse",
            Implementation::Runtime => "sse-runtime",
            Implementation::Macro => "#[sse_endpoint]",
            Implementation::Starlette => "sse-starlette",
            Implementation::AxumOnOurServe => "axum Sse on sse_runtime::serve",
            Implementation::RuntimeOnAxumServe => "sse-runtime on axum::serve",
            Implementation::RuntimeOneEventPerFrame => "sse-runtime, one event per frame",
            Implementation::RuntimeHttp2 => "sse-runtime, HTTP/2",
            Implementation::RuntimeLean => "sse-runtime, lean streams",
            Implementation::HubOnAxumServe => "sse-runtime hub on plain axum::serve",
        }
    }

    /// `bench-server`'s arguments: the responses, then the server.
    fn server_args(self) -> [&'static str; 2] {
        match self {
            Implementation::Axum => ["axum", "axum-serve"],
            Implementation::Runtime => ["runtime", "our-serve"],
            Implementation::Macro => ["macro", "our-serve"],
            Implementation::AxumOnOurServe => ["axum", "our-serve"],
            Implementation::RuntimeOnAxumServe => ["runtime", "axum-serve"],
            Implementation::RuntimeOneEventPerFrame => ["one-event-per-frame", "our-serve"],
            Implementation::RuntimeHttp2 => ["runtime", "our-serve-h2"],
            Implementation::RuntimeLean => ["runtime", "our-serve-lean"],
            // The hub's routes are the same in every bench server.
            Implementation::HubOnAxumServe => ["axum", "axum-serve"],
            Implementation::Starlette => unreachable!("not a bench-server implementation"),
        }
    }
}

impl Serialize for Implementation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Implementation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Implementation::ALL
            .into_iter()
            .find(|i| i.name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("no implementation {name:?}")))
    }
}

/// A running server.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
}

fn python() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// What sse-starlette runs on here, for the run's stamp (`sse-starlette
/// 3.7.0 on uvicorn 0.54.0 with uvloop 0.22.1 and httptools 0.9.0`), or
/// `None` where it cannot run. uvicorn's defaults pick uvloop and httptools
/// whenever they are installed, as `uvicorn[standard]` does.
pub async fn starlette_stack() -> Option<String> {
    const STACK: &str = "\
import importlib.metadata as m, importlib.util as u
import sse_starlette, uvicorn
fast = [f'{n} {m.version(n)}' for n in ('uvloop', 'httptools') if u.find_spec(n)]
print(f\"sse-starlette {m.version('sse-starlette')} on uvicorn {m.version('uvicorn')}\", end='')
print(' with ' + ' and '.join(fast) if fast else ' (asyncio and h11: without uvloop and httptools)')
";
    let out = Command::new(python())
        .args(["-c", STACK])
        .stderr(Stdio::null())
        .output()
        .await
        .ok()?;
    let stack = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !stack.is_empty()).then_some(stack)
}

impl Server {
    pub async fn start(implementation: Implementation) -> Server {
        Self::start_with_env(implementation, &[]).await
    }

    /// Starts `implementation` with extra environment variables.
    pub async fn start_with_env(implementation: Implementation, env: &[(&str, &str)]) -> Server {
        let (mut child, port) = match implementation {
            Implementation::Starlette => {
                let port = free_port();
                let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("starlette_app.py");
                let child = Command::new(python())
                    .arg(script)
                    .arg(port.to_string())
                    .stdout(Stdio::piped())
                    // uvicorn logs every stream a client closes as an error.
                    .stderr(Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .expect("start the sse-starlette app");
                (child, port)
            }
            rust => {
                let binary = std::env::current_exe()
                    .expect("own path")
                    .with_file_name("bench-server");
                let mut child = Command::new(&binary)
                    .args(rust.server_args())
                    .env("RUST_LOG", "warn")
                    .envs(env.iter().copied())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .kill_on_drop(true)
                    .spawn()
                    .unwrap_or_else(|error| panic!("start {}: {error}", binary.display()));
                let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
                let line = lines.next_line().await.unwrap().expect("READY line");
                let port = line.strip_prefix("READY ").expect(&line).parse().unwrap();
                (child, port)
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_until_accepting(addr).await;
        let pid = child.id().expect("running");
        // Keep stdout drained so the server never blocks on it.
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(_)) = lines.next_line().await {}
            });
        }
        Server { child, addr, pid }
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        crate::c1m::rss_kib(self.pid)
    }

    /// Sends SIGTERM and returns how long the process took to exit, or `None`
    /// if it had not exited after `limit` (it is then killed).
    pub async fn terminate(mut self, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(_) => Some(started.elapsed()),
            Err(_) => {
                let _ = self.child.kill().await;
                None
            }
        }
    }

    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A `redis-server` on a free port, without persistence, for the hub
/// scenario; `None` if it is not installed.
pub struct Redis {
    child: Child,
    pub url: String,
}

impl Redis {
    pub async fn start() -> Option<Redis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        wait_until_accepting(SocketAddr::from(([127, 0, 0, 1], port))).await;
        Some(Redis {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        })
    }

    /// Its process id (0 once it is gone).
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        let port = self.url.rsplit(':').next().and_then(|p| p.parse().ok());
        SocketAddr::from(([127, 0, 0, 1], port.unwrap_or(6379)))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

async fn wait_until_accepting(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "server at {addr} never accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
