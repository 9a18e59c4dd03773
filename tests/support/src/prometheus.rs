//! A real Prometheus server (Debian's `prometheus` package) scraping one
//! target on loopback every quarter second, and its HTTP query API.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::PATIENCE;
use crate::redis::free_port;
use crate::skip::Requirement;

/// What the Prometheus tests need; `SSE_SKIP_PROMETHEUS_TESTS=1` skips them
/// on purpose.
pub const REQUIREMENT: Requirement = Requirement {
    what: "prometheus",
    skip_variable: "SSE_SKIP_PROMETHEUS_TESTS",
    install: "`apt-get install --no-install-recommends prometheus`",
};

/// How often Prometheus scrapes the target.
pub const SCRAPE_INTERVAL: &str = "250ms";

/// One series of a query's answer: its labels and its value.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The series' labels (`__name__` among them for a plain selector).
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// The value at the query's time.
    pub value: f64,
}

/// A running `prometheus`, with its data in a directory of its own.
pub struct Prometheus {
    child: Child,
    addr: SocketAddr,
    dir: std::path::PathBuf,
}

impl Prometheus {
    /// Starts one scraping `target`'s `/metrics`. Without `prometheus`
    /// installed this fails, saying how to install it, unless the run opted
    /// out with `SSE_SKIP_PROMETHEUS_TESTS=1`: then `None`.
    pub async fn scraping(target: SocketAddr) -> Option<Prometheus> {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-prometheus-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: {SCRAPE_INTERVAL}\n  scrape_timeout: {SCRAPE_INTERVAL}\n\
                 scrape_configs:\n  - job_name: sse\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let spawned = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                REQUIREMENT.unmet(&error);
                return None;
            }
        };
        let prometheus = Prometheus {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        let ready = tokio::time::timeout(PATIENCE, async {
            loop {
                if let Ok((200, _)) = prometheus.get("/-/ready").await {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(ready.is_ok(), "prometheus did not become ready on {port}");
        Some(prometheus)
    }

    async fn get(&self, path: &str) -> std::io::Result<(u16, String)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(self.addr).await?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
            self.addr
        );
        socket.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        socket.read_to_end(&mut response).await?;
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        Ok((
            status,
            if chunked {
                dechunk(body)
            } else {
                body.to_owned()
            },
        ))
    }

    /// Evaluates `promql` now: the series it returns, or Prometheus' error.
    pub async fn query(&self, promql: &str) -> Result<Vec<Sample>, String> {
        let (status, body) = self
            .get(&format!("/api/v1/query?query={}", percent_encode(promql)))
            .await
            .map_err(|error| error.to_string())?;
        let answer: serde_json::Value =
            serde_json::from_str(&body).map_err(|error| format!("{status} {error}: {body}"))?;
        if answer["status"] != "success" {
            return Err(format!("{status}: {body}"));
        }
        let data = &answer["data"];
        let result = match data["resultType"].as_str() {
            Some("vector") => data["result"].as_array().cloned().unwrap_or_default(),
            Some("scalar") => vec![serde_json::json!({"metric": {}, "value": data["result"]})],
            other => return Err(format!("a {other:?} result: {body}")),
        };
        Ok(result
            .into_iter()
            .map(|series| Sample {
                labels: series["metric"].as_object().cloned().unwrap_or_default(),
                value: series["value"][1]
                    .as_str()
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(f64::NAN),
            })
            .collect())
    }

    /// The value of the one series `promql` returns once `holds` is true of
    /// it, querying until then (Prometheus has it only after a scrape);
    /// fails the test with the last answer after [`PATIENCE`].
    pub async fn value_once(&self, promql: &str, holds: impl Fn(f64) -> bool) -> f64 {
        let mut last = Err("not queried".to_owned());
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                last = self.query(promql).await;
                if let Ok([sample]) = last.as_deref()
                    && holds(sample.value)
                {
                    return sample.value;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("Prometheus never answered {promql} as expected: {last:?}"))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}
