//! Independent Rust clients against `interop-server`: LaunchDarkly's
//! `eventsource-client` (which also reports comments) and
//! `eventsource-stream`. Every case of `/cases.json` must arrive exactly as
//! listed. With `INTEROP_RESULTS=DIR`, each client's per-case results are
//! written to `DIR/<client>.json` for `interop/run`'s matrix.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use sse_test_support::{Ending, PATIENCE, request};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Server {
    _child: Child,
    addr: SocketAddr,
}

async fn start() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interop-server"))
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start interop-server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next_line().await.unwrap().expect("READY line");
    let port: u16 = ready.split(' ').nth(1).unwrap().parse().unwrap();
    Server {
        _child: child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

/// `(type, data, lastEventId)` as a client dispatched it.
type Received = (String, String, String);

async fn cases(addr: SocketAddr) -> Vec<Value> {
    let (_, mut client) = request(addr, "GET", "/cases.json", &[]).await;
    let list: Value = serde_json::from_str(&client.read_to_end().await).unwrap();
    list["cases"].as_array().unwrap().clone()
}

fn expected(case: &Value) -> Vec<Received> {
    case["expected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["data"].as_str().unwrap().to_owned(),
                e["lastEventId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Compares and records every case; fails listing every mismatch.
fn report(client: &str, results: BTreeMap<String, Result<(), String>>) {
    if let Ok(dir) = std::env::var("INTEROP_RESULTS") {
        let json: BTreeMap<_, _> = results
            .iter()
            .map(|(case, result)| {
                let value = match result {
                    Ok(()) => "pass".to_owned(),
                    Err(why) => format!("fail: {why}"),
                };
                (case.clone(), value)
            })
            .collect();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            format!("{dir}/{client}.json"),
            serde_json::to_string_pretty(&json).unwrap(),
        )
        .unwrap();
    }
    let failures: Vec<_> = results
        .iter()
        .filter_map(|(case, result)| result.as_ref().err().map(|why| format!("{case}: {why}")))
        .collect();
    assert!(failures.is_empty(), "{client}:\n{}", failures.join("\n"));
}

fn compare(got: &[Received], want: &[Received]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        let short = |events: &[Received]| {
            events
                .iter()
                .map(|(t, d, id)| {
                    format!(
                        "({t}, {:?}, id {id:?})",
                        d.chars().take(40).collect::<String>()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(format!("got [{}], want [{}]", short(got), short(want)))
    }
}

#[tokio::test]
async fn eventsource_stream_receives_every_case() {
    let server = start().await;
    let mut results = BTreeMap::new();
    for case in cases(server.addr).await {
        let (head, mut client) =
            request(server.addr, "GET", case["path"].as_str().unwrap(), &[]).await;
        assert_eq!(head.header("content-type"), Some("text/event-stream"));
        let mut body = client.read_to_end().await.into_bytes();
        // A streaming parser holds a final lone CR until the next byte; on a
        // live stream the next ping delivers it.
        body.extend_from_slice(b":\n");
        let events: Vec<Received> =
            eventsource_stream::EventStream::new(futures_util::stream::iter([Ok::<
                _,
                std::convert::Infallible,
            >(body)]))
            .map(|event| {
                let event = event.expect("parses");
                (event.event, event.data, event.id)
            })
            .collect()
            .await;
        results.insert(
            case["name"].as_str().unwrap().to_owned(),
            compare(&events, &expected(&case)),
        );
    }
    report("eventsource-stream", results);
}

#[tokio::test]
async fn launchdarkly_eventsource_client_receives_every_case() {
    use eventsource_client::{Client, ClientBuilder, ReconnectOptionsBuilder, SSE};

    let server = start().await;
    let mut results = BTreeMap::new();
    let mut comments = 0;
    for case in cases(server.addr).await {
        let want = expected(&case);
        let url = format!("http://{}{}", server.addr, case["path"].as_str().unwrap());
        let transport = launchdarkly_sdk_transport::HyperTransport::builder()
            .build_http()
            .expect("an HTTP transport");
        let client = ClientBuilder::for_url(&url)
            .unwrap()
            .reconnect(ReconnectOptionsBuilder::new(false).build())
            .build_with_transport(transport);
        let mut stream = client.stream();
        let mut got = Vec::new();
        let mut last_id = String::new();
        // To the end of the stream, not to the expected count: an extra
        // event, of any type, must show.
        let outcome = tokio::time::timeout(PATIENCE, async {
            loop {
                match stream.next().await {
                    Some(Ok(SSE::Event(event))) => {
                        // The client reports the id of each event; the last
                        // event id persists as the spec says.
                        if let Some(id) = event.id {
                            last_id = id;
                        }
                        got.push((event.event_type, event.data, last_id.clone()));
                    }
                    Some(Ok(SSE::Comment(_))) => comments += 1,
                    Some(Ok(SSE::Connected(_))) => {}
                    // Reconnection is off: the end of the response ends it.
                    Some(Err(eventsource_client::Error::Eof)) | None => break,
                    Some(Err(error)) => return Err(format!("error: {error:?}")),
                }
            }
            Ok(())
        })
        .await;
        let result = match outcome {
            Err(_) => Err("timed out".to_owned()),
            Ok(Err(why)) => Err(why),
            Ok(Ok(())) => compare(&got, &want),
        };
        results.insert(case["name"].as_str().unwrap().to_owned(), result);
    }
    assert!(
        comments > 0,
        "keep-alive comments were sent and must be visible to this client"
    );
    report("eventsource-client", results);
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let server = start().await;
    let (head, client) = request(server.addr, "HEAD", "/cases/unnamed", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert!(client.body.is_empty());
}

/// A proxy with a read timeout, as nginx (`proxy_read_timeout`) or a load
/// balancer has: it closes the connection when the upstream is silent for
/// `timeout`. Returns the address clients connect to.
async fn proxy_with_read_timeout(upstream: SocketAddr, timeout: Duration) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let server = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(
                    async move { tokio::io::copy(&mut client_read, &mut server_write).await },
                );
                let mut buf = vec![0; 16 * 1024];
                // Upstream silent for longer than the timeout: cut it off.
                while let Ok(Ok(n)) =
                    tokio::time::timeout(timeout, server_read.read(&mut buf)).await
                {
                    if n == 0 || client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn keep_alive_outlives_a_proxy_read_timeout_and_silence_does_not() {
    let server = start().await;
    let proxy = proxy_with_read_timeout(server.addr, Duration::from_millis(400)).await;

    // Pings every 100 ms: the stream survives 1.5 s of no events.
    let (_, mut client) = request(proxy, "GET", "/idle/100", &[]).await;
    let body = client.read_to_end().await;
    assert!(body.ends_with("data: still connected\n\n"), "{body}");

    // No pings: the proxy drops the silent stream before the event.
    let (_, mut client) = request(proxy, "GET", "/idle/0", &[]).await;
    let (body, ending) = client.read_to_close().await;
    assert!(!body.contains("still connected"), "{body}");
    assert_ne!(ending, Ending::Finished, "cut off by the proxy: {body}");
}

#[tokio::test]
async fn raw_field_cases_per_the_parsing_rules() {
    // The bytes another server could send (web-platform-tests
    // format-field-retry and format-field-id-null), through eventsource-stream.
    let server = start().await;
    let (_, mut client) = request(server.addr, "GET", "/wpt/raw-fields", &[]).await;
    let body = client.read_to_end().await.into_bytes();
    let events: Vec<_> =
        eventsource_stream::EventStream::new(futures_util::stream::iter([Ok::<
            _,
            std::convert::Infallible,
        >(body)]))
        .map(|event| event.unwrap())
        .collect()
        .await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].retry,
        Some(Duration::from_millis(3000)),
        "retry:03000 applies"
    );
    assert_eq!(
        (events[0].id.as_str(), events[1].id.as_str()),
        ("9", "9"),
        "a NUL id is ignored"
    );
}

#[tokio::test]
async fn keep_alive_holds_an_idle_connection_open() {
    let server = start().await;
    let (_, mut client) = request(server.addr, "GET", "/idle", &[]).await;
    let body = tokio::time::timeout(
        Duration::from_secs(10),
        client.read_until("data: still connected\n\n"),
    )
    .await
    .expect("in time");
    assert!(body.matches(": ping\n\n").count() >= 10, "{body}");
}
