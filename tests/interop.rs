//! Independent Rust clients against `interop-server`: LaunchDarkly's
//! `eventsource-client` (which also reports comments) and
//! `eventsource-stream`. Every case of `/cases.json` must arrive exactly as
//! listed; then each client's behaviour checks (keep-alive on an idle
//! stream, closing runs the server's disconnect hook, and for
//! eventsource-client its `Connected` before the first event). With
//! `INTEROP_RESULTS=DIR`, each client's results are written to
//! `DIR/<client>.json` for `interop/run`'s matrix.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use eventsource_client::{Client, ClientBuilder, ReconnectOptionsBuilder, SSE};
use futures_util::{Stream, StreamExt};
use http_body_util::BodyExt;
use serde_json::Value;
use sse_test_support::{PATIENCE, request};
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

/// Why a check did not pass that is the client's, not the server's: the
/// server's bytes are right and the client departs from the spec (≈ in
/// INTEROP.md, listed there; not a failure).
const DEVIATION: &str = "deviation: ";

/// Records every check's result; fails listing every failure. An `Err`
/// starting with [`DEVIATION`] is the client's deviation, not a failure.
fn report(client: &str, results: BTreeMap<String, Result<(), String>>) {
    let deviates = |why: &str| why.starts_with(DEVIATION);
    if let Ok(dir) = std::env::var("INTEROP_RESULTS") {
        let json: BTreeMap<_, _> = results
            .iter()
            .map(|(case, result)| {
                let value = match result {
                    Ok(()) => "pass".to_owned(),
                    Err(why) if deviates(why) => why.clone(),
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
        .filter_map(|(case, result)| result.as_ref().err().map(|why| (case, why)))
        .filter(|(_, why)| !deviates(why))
        .map(|(case, why)| format!("{case}: {why}"))
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
async fn eventsource_stream_checks() {
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
    results.insert(
        "keep-alive-idle-connection".to_owned(),
        eventsource_stream_keep_alive(server.addr).await,
    );
    results.insert(
        "close-runs-disconnect-hook".to_owned(),
        eventsource_stream_close(server.addr).await,
    );
    report("eventsource-stream", results);
}

#[tokio::test]
async fn launchdarkly_eventsource_client_checks() {
    let server = start().await;
    let mut results = BTreeMap::new();
    let mut comments = 0;
    for case in cases(server.addr).await {
        let want = expected(&case);
        let client = launchdarkly(server.addr, case["path"].as_str().unwrap(), None);
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
    results.insert(
        "open-before-first-event".to_owned(),
        launchdarkly_open_before_first_event(server.addr).await,
    );
    results.insert(
        "keep-alive-idle-connection".to_owned(),
        launchdarkly_keep_alive(server.addr).await,
    );
    results.insert(
        "close-runs-disconnect-hook".to_owned(),
        launchdarkly_close(server.addr).await,
    );
    results.insert(
        "reconnect-resumes-with-last-event-id".to_owned(),
        launchdarkly_reconnect_resumes(server.addr).await,
    );
    results.insert(
        "retry-sets-reconnect-delay".to_owned(),
        launchdarkly_retry(server.addr).await,
    );
    results.insert(
        "204-stops-reconnecting".to_owned(),
        launchdarkly_204(server.addr).await,
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

/// eventsource-client for `path`, reconnection off, with a read timeout on
/// its transport if given.
fn launchdarkly(
    addr: SocketAddr,
    path: &str,
    read_timeout: Option<Duration>,
) -> impl Client + use<> {
    let mut transport = launchdarkly_sdk_transport::HyperTransport::builder();
    if let Some(timeout) = read_timeout {
        transport = transport.read_timeout(timeout);
    }
    ClientBuilder::for_url(&format!("http://{addr}{path}"))
        .unwrap()
        .reconnect(ReconnectOptionsBuilder::new(false).build())
        .build_with_transport(transport.build_http().expect("an HTTP transport"))
}

/// eventsource-client for `path`, reconnecting after `delay` (no backoff)
/// until the server's `retry` says otherwise.
fn launchdarkly_reconnecting(addr: SocketAddr, path: &str, delay: Duration) -> impl Client + use<> {
    let transport = launchdarkly_sdk_transport::HyperTransport::builder()
        .build_http()
        .expect("an HTTP transport");
    let reconnect = ReconnectOptionsBuilder::new(true)
        .delay(delay)
        .backoff_factor(1)
        .delay_max(delay)
        .build();
    ClientBuilder::for_url(&format!("http://{addr}{path}"))
        .unwrap()
        .reconnect(reconnect)
        .build_with_transport(transport)
}

/// Each response ends after two events (sequential ids, `retry: 100ms`):
/// the client reconnects with `Last-Event-ID` and the endpoint resumes with
/// no gap and no duplicate.
async fn launchdarkly_reconnect_resumes(addr: SocketAddr) -> Result<(), String> {
    let session = "eventsource-client";
    let client = launchdarkly_reconnecting(
        addr,
        &format!("/resume/{session}"),
        Duration::from_millis(100),
    );
    let mut stream = client.stream();
    let mut got = Vec::new();
    let outcome = tokio::time::timeout(PATIENCE, async {
        while got.len() < 6 {
            match stream.next().await {
                Some(Ok(SSE::Event(event))) => got.push((event.id.unwrap_or_default(), event.data)),
                Some(Ok(_)) | Some(Err(eventsource_client::Error::Eof)) => {}
                Some(Err(error)) => return Err(format!("{error:?}")),
                None => return Err("the stream ended".to_owned()),
            }
        }
        Ok(())
    })
    .await
    .unwrap_or_else(|_| Err("timed out".to_owned()));
    drop(stream);
    let connects = poll(addr, &format!("/connects/{session}")).await;
    let want: Vec<_> = (1..=6).map(|n| (n.to_string(), n.to_string())).collect();
    match outcome {
        Ok(()) if got == want && connects.parse::<usize>().is_ok_and(|n| n >= 3) => Ok(()),
        outcome => Err(format!(
            "(id, data) {got:?}, {connects} connections, {outcome:?}"
        )),
    }
}

/// `retry: 500` must replace the client's 3 s reconnection delay. This
/// client departs from the spec twice here, the same way every run: it
/// applies `retry` only from a block that also has `data` (the server sends
/// `retry` in a block of its own, as the spec allows), so it waits its own
/// delay; and it jitters any delay to between half of it and all of it (the
/// spec waits the whole delay, or longer). Either is a deviation; a delay
/// in neither range, or no reconnect, fails.
async fn launchdarkly_retry(addr: SocketAddr) -> Result<(), String> {
    let client = launchdarkly_reconnecting(addr, "/retry", Duration::from_secs(3));
    let mut stream = client.stream();
    let mut ended = None;
    let delay = tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.next().await {
                Some(Err(eventsource_client::Error::Eof)) => {
                    ended.get_or_insert_with(tokio::time::Instant::now);
                }
                Some(Ok(SSE::Connected(_))) => {
                    if let Some(ended) = ended {
                        return Ok(ended.elapsed());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(format!("{error:?}")),
                None => return Err("the stream ended".to_owned()),
            }
        }
    })
    .await
    .unwrap_or_else(|_| Err("no reconnect".to_owned()))?;
    let millis = delay.as_millis();
    match millis {
        225..700 => Err(format!(
            "{DEVIATION}`retry` applies, jittered to between half of it and all of it"
        )),
        1400..3300 => Err(format!(
            "{DEVIATION}`retry` in a block without `data` is dropped: it reconnected after its own delay"
        )),
        _ => Err(format!(
            "reconnected after {millis} ms: neither `retry: 500` nor its own 3 s delay, jittered"
        )),
    }
}

/// A `204 No Content` must stop reconnection: the spec fails the
/// connection. eventsource-client takes any 2xx for a stream (`Connected`,
/// then the end of an empty body) and reconnects: its deviation.
async fn launchdarkly_204(addr: SocketAddr) -> Result<(), String> {
    let session = "eventsource-client";
    let client = launchdarkly_reconnecting(
        addr,
        &format!("/no-content/{session}"),
        Duration::from_millis(100),
    );
    let mut stream = client.stream();
    let mut opened = false;
    let _ = tokio::time::timeout(Duration::from_millis(1500), async {
        while let Some(item) = stream.next().await {
            opened |= matches!(item, Ok(SSE::Connected(_)));
        }
    })
    .await;
    drop(stream);
    let connects = poll(addr, &format!("/connects/{session}")).await;
    match (opened, connects.as_str()) {
        (false, "1") => Ok(()),
        (true, connects) if connects != "1" => Err(format!(
            "{DEVIATION}a 204 opens the stream (`Connected`) and the client reconnects"
        )),
        (opened, connects) => Err(format!("opened: {opened}, {connects} connections in 1.5 s")),
    }
}

/// What eventsource-client yields for `path` until the response ends, in
/// order: `open` (`Connected`), `:<comment>`, and each event's data; the
/// stream is dropped (the client's close) after an event with data `until`.
/// `Err` when it ended with an error other than the response's end.
async fn launchdarkly_items(
    addr: SocketAddr,
    path: &str,
    read_timeout: Option<Duration>,
    until: Option<&str>,
) -> (Vec<String>, Result<(), String>) {
    let client = launchdarkly(addr, path, read_timeout);
    let mut stream = client.stream();
    let mut items = Vec::new();
    let ended = tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.next().await {
                Some(Ok(SSE::Connected(_))) => items.push("open".to_owned()),
                // The comment as it was on the wire: the client keeps the space.
                Some(Ok(SSE::Comment(comment))) => items.push(format!(":{comment}")),
                Some(Ok(SSE::Event(event))) => {
                    let last = until == Some(event.data.as_str());
                    items.push(event.data);
                    if last {
                        return Ok(());
                    }
                }
                Some(Err(eventsource_client::Error::Eof)) | None => return Ok(()),
                Some(Err(error)) => return Err(format!("{error:?}")),
            }
        }
    })
    .await
    .unwrap_or_else(|_| Err("timed out".to_owned()));
    (items, ended)
}

/// `Connected` (the client's `open`) comes before the first event, which
/// `/late` sends 300 ms after the head.
async fn launchdarkly_open_before_first_event(addr: SocketAddr) -> Result<(), String> {
    let (items, ended) = launchdarkly_items(addr, "/late", None, None).await;
    let order: Vec<_> = items.iter().filter(|item| !item.starts_with(':')).collect();
    match (order.as_slice(), ended) {
        ([open, late], Ok(())) if *open == "open" && *late == "late" => Ok(()),
        (_, ended) => Err(format!("order {order:?}, {ended:?}")),
    }
}

/// A 400 ms read timeout on the client's transport: the idle stream
/// outlives it because of its pings, which the client reports as comments
/// (at least ten in 1.5 s), and the server says it sent them; the same
/// stream without pings must time out, or the timeout proves nothing.
async fn launchdarkly_keep_alive(addr: SocketAddr) -> Result<(), String> {
    let timeout = Some(Duration::from_millis(400));
    let tag = "eventsource-client";
    let (items, ended) =
        launchdarkly_items(addr, &format!("/idle/tagged/{tag}"), timeout, None).await;
    let pings = items.iter().filter(|item| *item == ": ping").count();
    let events: Vec<_> = items
        .iter()
        .filter(|item| *item != "open" && !item.starts_with(':'))
        .collect();
    if events != ["still connected"] || pings < 10 || ended.is_err() {
        return Err(format!(
            "with pings: events {events:?}, {pings} pings, {ended:?}"
        ));
    }
    let (items, ended) = launchdarkly_items(addr, "/idle/0", timeout, None).await;
    if items.iter().any(|item| item == "still connected") || ended.is_ok() {
        return Err(format!(
            "without pings the read timeout must end the stream: {items:?}, {ended:?}"
        ));
    }
    idle_bytes_show_pings(addr, tag).await
}

/// Dropping the stream after its first event (the client's close) makes the
/// server's disconnect hook run, with the reason `client_gone`.
async fn launchdarkly_close(addr: SocketAddr) -> Result<(), String> {
    let tag = "eventsource-client";
    let (items, ended) =
        launchdarkly_items(addr, &format!("/until-closed/{tag}"), None, Some("open")).await;
    if items.last().map(String::as_str) != Some("open") || ended.is_err() {
        return Err(format!("no first event: {items:?}, {ended:?}"));
    }
    closed_by_client(addr, tag).await
}

/// `GET path` over HTTP/1.1 (hyper): the body as it arrives, for
/// eventsource-stream to parse as a live stream.
async fn live_body(
    addr: SocketAddr,
    path: &str,
) -> impl Stream<Item = Result<Bytes, hyper::Error>> + use<> {
    let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(socket))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get(path)
        .header("host", addr.to_string())
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    response.into_body().into_data_stream()
}

/// The data of each event eventsource-stream parses from `path`, live, to
/// the end of the response; `Err` when the stream failed (cut off).
async fn live_events(addr: SocketAddr, path: &str) -> (Vec<String>, Result<(), String>) {
    let mut events = eventsource_stream::EventStream::new(live_body(addr, path).await);
    let mut got = Vec::new();
    let ended = tokio::time::timeout(PATIENCE, async {
        while let Some(event) = events.next().await {
            got.push(event.map_err(|error| error.to_string())?.data);
        }
        Ok(())
    })
    .await
    .unwrap_or_else(|_| Err("timed out".to_owned()));
    (got, ended)
}

/// The idle stream, read live through a proxy with a 400 ms read timeout:
/// its pings carry it past the timeout and are not events, and the server
/// says it sent them; the same stream without pings must be cut off by the
/// proxy, or the proxy proves nothing.
async fn eventsource_stream_keep_alive(addr: SocketAddr) -> Result<(), String> {
    let proxy = proxy_with_read_timeout(addr, Duration::from_millis(400)).await;
    let tag = "eventsource-stream";
    let (got, ended) = live_events(proxy, &format!("/idle/tagged/{tag}")).await;
    if got != ["still connected"] || ended.is_err() {
        return Err(format!("with pings: events {got:?}, {ended:?}"));
    }
    let (got, ended) = live_events(proxy, "/idle/0").await;
    if !got.is_empty() || ended.is_ok() {
        return Err(format!(
            "without pings the proxy must cut the stream: events {got:?}, {ended:?}"
        ));
    }
    idle_bytes_show_pings(addr, tag).await
}

/// Dropping the parser after its first event drops the body it reads, so
/// the connection closes: the server's disconnect hook runs with the reason
/// `client_gone`.
async fn eventsource_stream_close(addr: SocketAddr) -> Result<(), String> {
    let tag = "eventsource-stream";
    let body = live_body(addr, &format!("/until-closed/{tag}")).await;
    let mut events = eventsource_stream::EventStream::new(body);
    match tokio::time::timeout(PATIENCE, events.next()).await {
        Ok(Some(Ok(event))) if event.data == "open" => {}
        other => return Err(format!("first event: {other:?}")),
    }
    drop(events);
    closed_by_client(addr, tag).await
}

/// What the server reports at `path` once it has something (at most
/// `PATIENCE`): the reports are written when a stream ends.
async fn poll(addr: SocketAddr, path: &str) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (_, mut client) = request(addr, "GET", path, &[]).await;
        let text = client.read_to_end().await;
        if !text.is_empty() || tokio::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `/idle/tagged/{tag}` sent at least the opening `: ` line, the event and
/// ten `: ping` comments: a stream without pings sends fewer bytes.
async fn idle_bytes_show_pings(addr: SocketAddr, tag: &str) -> Result<(), String> {
    let least = ": \n\n".len() + "data: still connected\n\n".len() + 10 * ": ping\n\n".len();
    let sent = poll(addr, &format!("/idle-bytes/{tag}")).await;
    match sent.parse::<usize>() {
        Ok(bytes) if bytes >= least => Ok(()),
        _ => Err(format!("{sent:?} bytes sent (at least {least} with pings)")),
    }
}

/// The server's disconnect hook ran for `/until-closed/{tag}` with the
/// reason `client_gone`.
async fn closed_by_client(addr: SocketAddr, tag: &str) -> Result<(), String> {
    let reason = poll(addr, &format!("/disconnect-reason/{tag}")).await;
    if reason == "client_gone" {
        Ok(())
    } else {
        Err(format!("disconnect reason {reason:?}"))
    }
}
