//! Run with: cargo run --example tls
//!
//! HTTPS with HTTP/2, so that one page can hold 50 `EventSource`s. Over
//! HTTP/1.1 a browser opens about six connections per origin, shared by every
//! tab, and the seventh stream waits for one of them to close; over HTTP/2
//! they are all streams of one connection.
//!
//! Open <https://localhost:8000/> (accept the self-signed certificate): the
//! page opens 50 streams and counts those that receive events. With
//! `TLS_HTTP2=0` the server offers HTTP/1.1 only, and the same page gets 6.
//!
//! Give a certificate with `TLS_CERT=cert.pem TLS_KEY=key.pem`; without them
//! a self-signed one for `localhost` and `127.0.0.1` is made at start-up.

mod common;

use std::time::Duration;

use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use axum::{Router, http::Version};
use serde::{Deserialize, Serialize};
use sse_runtime::serve::Tls;
use sse_runtime::{Shutdown, routes, sse_endpoint};

#[derive(Deserialize)]
struct Which {
    stream: u32,
}

#[derive(Serialize)]
struct Tick {
    stream: u32,
    protocol: &'static str,
    n: u64,
}

/// A tick every 500 ms, saying which stream it is and how it travels.
#[sse_endpoint(get "/events")]
async fn events(Query(Which { stream }): Query<Which>, version: Version) {
    let protocol = match version {
        Version::HTTP_2 => "h2",
        _ => "http/1.1",
    };
    let mut interval = tokio::time::interval(Duration::from_millis(500));
    for n in 1.. {
        interval.tick().await;
        yield_!(Tick {
            stream,
            protocol,
            n
        });
    }
}

/// The certificate given by `TLS_CERT`/`TLS_KEY`, or a self-signed one.
fn certificate() -> Result<Tls, Box<dyn std::error::Error>> {
    if let (Ok(cert), Ok(key)) = (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        return Ok(Tls::from_pem_files(cert, key)?);
    }
    tracing::info!("no TLS_CERT/TLS_KEY: using a self-signed certificate for localhost");
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let self_signed = rcgen::generate_simple_self_signed(names)?;
    Ok(Tls::from_pem(
        self_signed.cert.pem().as_bytes(),
        self_signed.signing_key.serialize_pem().as_bytes(),
    )?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::log_to_stderr();
    let http2 = std::env::var("TLS_HTTP2").map_or(true, |value| value != "0");
    let tls = certificate()?;
    let app: Router = routes![events].route("/", get(|| async { Html(PAGE) }));

    let listener = sse_runtime::bind(common::address()?).await?;
    println!("listening on https://{}/", listener.local_addr()?);
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(3));
    tokio::spawn(shutdown.clone().trigger_on(sse_runtime::shutdown_signal()));
    sse_runtime::serve(listener, app)
        .tls(tls)
        .http2(http2)
        .with_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Opens `?streams=N` event sources (50 by default) and counts those that
/// receive events; `window.streams` holds the count for a test to read.
const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>50 streams over HTTP/2</title>
<h1><span id="live">0</span> of <span id="total">0</span> streams receive events</h1>
<p>Protocol: <span id="protocol">?</span></p>
<script>
  const total = Number(new URLSearchParams(location.search).get("streams") || 50);
  document.getElementById("total").textContent = total;
  const live = new Set();
  window.streams = { total, live: 0, protocols: [] };
  for (let i = 0; i < total; i++) {
    const source = new EventSource(`/events?stream=${i}`);
    source.onmessage = (message) => {
      const tick = JSON.parse(message.data);
      if (!live.has(tick.stream)) {
        live.add(tick.stream);
        window.streams.live = live.size;
        window.streams.protocols.push(tick.protocol);
        document.getElementById("live").textContent = live.size;
        document.getElementById("protocol").textContent = tick.protocol;
      }
    };
  }
</script>
"#;
