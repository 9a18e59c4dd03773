//! Behind a real nginx with its defaults (`proxy_buffering on`, a 60 s
//! `proxy_read_timeout`) and `proxy_http_version 1.1`, as production runs:
//! each event passes at once, a stuck client reaches our send timeout
//! because of our `X-Accel-Buffering: no` (without it nginx absorbs the
//! stream and hides the client), a client that leaves runs our disconnect hook,
//! keep-alive outlasts the read timeout, shutdown farewells pass, and
//! HTTP/2 from the client to nginx works. The README's nginx snippet is
//! this configuration.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sse_runtime::{Disconnect, Event, KeepAlive, Shutdown, SseResponse};
use sse_test_support::nginx::{Listen, Nginx};
use sse_test_support::{PATIENCE, request, request_small_buffer, serve};
use tokio::sync::{broadcast, mpsc};

#[derive(Clone)]
struct App {
    events: broadcast::Sender<u32>,
    ended: mpsc::UnboundedSender<Disconnect>,
    shutdown: Shutdown,
}

/// The events the test releases, one by one.
fn released(app: &App) -> impl futures_util::Stream<Item = Event> + Send + 'static {
    let mut events = app.events.subscribe();
    async_stream::stream! {
        while let Ok(n) = events.recv().await {
            yield Event::data(n.to_string());
        }
    }
}

async fn paced(State(app): State<App>) -> Response {
    let ended = app.ended.clone();
    SseResponse::new(released(&app))
        .shutdown(app.shutdown.clone())
        .on_shutdown(|| async { vec![Event::data("bye").event("shutdown").unwrap()] })
        .on_disconnect(move |end| {
            let ended = ended.clone();
            async move {
                let _ = ended.send(end);
            }
        })
        .into_response()
}

/// The same stream without `X-Accel-Buffering: no`, as a server that does
/// not send it.
async fn unmarked(State(app): State<App>) -> Response {
    let mut response = SseResponse::new(released(&app)).into_response();
    response.headers_mut().remove("x-accel-buffering");
    response
}

/// The same stream without keep-alive.
async fn silent(State(app): State<App>) -> Response {
    SseResponse::new(released(&app))
        .keep_alive(KeepAlive::disabled())
        .into_response()
}

struct Setup {
    app: App,
    ended: mpsc::UnboundedReceiver<Disconnect>,
    nginx: Nginx,
    server: sse_test_support::TestServer,
}

async fn setup(listen: Listen) -> Option<Setup> {
    let (ended_tx, ended) = mpsc::unbounded_channel();
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(2));
    let app = App {
        events: broadcast::channel(64).0,
        ended: ended_tx,
        shutdown: shutdown.clone(),
    };
    let router = Router::new()
        .route("/paced", get(paced))
        .route("/unmarked", get(unmarked))
        .route("/silent", get(silent))
        .with_state(app.clone());
    let server = serve(router, shutdown).await;
    let nginx = Nginx::start(server.addr, listen).await?;
    Some(Setup {
        app,
        ended,
        nginx,
        server,
    })
}

/// Waits until exactly `count` streams are subscribed to the released
/// events (after some left: their streams dropped).
async fn subscribed_exactly(app: &App, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    while app.events.receiver_count() != count {
        assert!(
            Instant::now() < deadline,
            "{} streams subscribed, not {count}",
            app.events.receiver_count()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until `count` streams are subscribed to the released events.
async fn subscribed(app: &App, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    while app.events.receiver_count() < count {
        assert!(
            Instant::now() < deadline,
            "{count} streams never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn each_event_passes_nginx_at_once() {
    let Some(setup) = setup(Listen::Http1).await else {
        return;
    };
    let (head, mut client) = request(setup.nginx.addr, "GET", "/paced", &[]).await;
    assert_eq!(head.status, 200);
    subscribed(&setup.app, 1).await;
    let mut latencies = Vec::new();
    for n in 0..20 {
        let sent = Instant::now();
        setup.app.events.send(n).unwrap();
        client.read_until(&format!("data: {n}\n\n")).await;
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    println!(
        "through nginx, yield to arrival: median {:?}, max {:?}",
        latencies[10], latencies[19]
    );
    assert!(latencies[19] < Duration::from_millis(50), "{latencies:?}");
    drop(client);
    subscribed_exactly(&setup.app, 0).await;

    // Without the header the same events pass as promptly (nginx relays
    // each chunk while the client keeps up); what the header changes is the
    // next test: back-pressure. First, that `/unmarked` really lacks it
    // (nginx swallows X-Accel-* headers, so ask the server directly).
    let (head, direct) = request(setup.server.addr, "GET", "/unmarked", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-accel-buffering"), None);
    drop(direct);
    let (head, direct) = request(setup.server.addr, "GET", "/paced", &[]).await;
    assert_eq!(head.header("x-accel-buffering"), Some("no"));
    drop(direct);
    // Their streams gone, the one subscriber below is nginx's.
    subscribed_exactly(&setup.app, 0).await;
    let (_, mut unmarked) = request(setup.nginx.addr, "GET", "/unmarked", &[]).await;
    subscribed(&setup.app, 1).await;
    let sent = Instant::now();
    setup.app.events.send(100).unwrap();
    unmarked.read_until("data: 100\n\n").await;
    let took = sent.elapsed();
    println!("without X-Accel-Buffering: {took:?}");
    assert!(took < Duration::from_millis(50), "{took:?}");
}

const FLOOD_EVENTS: u64 = 1024;

/// 64 KiB events as fast as the connection takes them, 64 MiB in all;
/// counts the events the response has taken.
fn flood(taken: Arc<AtomicU64>) -> impl futures_util::Stream<Item = Event> + Send + 'static {
    let chunk = "x".repeat(64 * 1024);
    async_stream::stream! {
        for _ in 0..FLOOD_EVENTS {
            yield Event::data(chunk.clone());
            taken.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A client that stops reading, behind nginx: with our header nginx passes
/// back-pressure on, so the send timeout drops the stream; without it nginx
/// takes the whole stream into its buffers and temp files, and the stuck
/// client is invisible to us.
#[tokio::test]
async fn x_accel_buffering_lets_our_send_timeout_see_a_stuck_client_behind_nginx() {
    let (ended_tx, mut ended) = mpsc::unbounded_channel::<Disconnect>();
    let (marked, unmarked) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let router = Router::new()
        .route(
            "/flood",
            get({
                let taken = marked.clone();
                move || async move {
                    let ended = ended_tx.clone();
                    SseResponse::new(flood(taken))
                        .send_timeout(Duration::from_secs(1))
                        .on_disconnect(move |end| {
                            let ended = ended.clone();
                            async move {
                                let _ = ended.send(end);
                            }
                        })
                        .into_response()
                }
            }),
        )
        .route(
            "/flood-unmarked",
            get({
                let taken = unmarked.clone();
                move || async move {
                    let mut response = SseResponse::new(flood(taken))
                        .send_timeout(Duration::from_secs(1))
                        .into_response();
                    response.headers_mut().remove("x-accel-buffering");
                    response
                }
            }),
        );
    let server = serve(router, Shutdown::new()).await;
    let Some(nginx) = Nginx::start(server.addr, Listen::Http1).await else {
        return;
    };
    // Neither client reads past the head.
    let (_, stuck) = request_small_buffer(nginx.addr, "/flood").await;
    let (_, stuck_unmarked) = request_small_buffer(nginx.addr, "/flood-unmarked").await;

    let end = tokio::time::timeout(PATIENCE, ended.recv())
        .await
        .expect("the send timeout dropped the stream")
        .expect("open");
    assert_eq!(end.reason.as_str(), "send_timeout");
    let taken = marked.load(Ordering::Relaxed);
    let deadline = Instant::now() + PATIENCE;
    while unmarked.load(Ordering::Relaxed) < FLOOD_EVENTS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let taken_unmarked = unmarked.load(Ordering::Relaxed);
    println!(
        "stuck client behind nginx: with X-Accel-Buffering: no, {taken} of {FLOOD_EVENTS} 64 KiB events \
         taken, then the send timeout; without, {taken_unmarked} taken"
    );
    assert!(
        taken < FLOOD_EVENTS / 4,
        "back-pressure reached us: {taken}"
    );
    assert_eq!(
        taken_unmarked, FLOOD_EVENTS,
        "nginx absorbed the whole stream"
    );
    drop((stuck, stuck_unmarked));
}

#[tokio::test]
async fn a_client_leaving_nginx_runs_our_disconnect_hook() {
    let Some(mut setup) = setup(Listen::Http1).await else {
        return;
    };
    let (_, mut client) = request(setup.nginx.addr, "GET", "/paced", &[]).await;
    subscribed(&setup.app, 1).await;
    setup.app.events.send(1).unwrap();
    client.read_until("data: 1\n\n").await;
    let left = Instant::now();
    drop(client);
    let end = tokio::time::timeout(PATIENCE, setup.ended.recv())
        .await
        .expect("the hook ran")
        .expect("open");
    println!(
        "through nginx, client gone to disconnect hook: {:?}",
        left.elapsed()
    );
    assert_eq!(end.reason.as_str(), "client_gone");
    assert!(
        left.elapsed() < Duration::from_millis(100),
        "{:?}",
        left.elapsed()
    );
}

#[tokio::test]
async fn shutdown_farewells_pass_through_nginx() {
    let Some(setup) = setup(Listen::Http1).await else {
        return;
    };
    let (_, mut client) = request(setup.nginx.addr, "GET", "/paced", &[]).await;
    subscribed(&setup.app, 1).await;
    setup.app.shutdown.trigger();
    let rest = tokio::time::timeout(PATIENCE, client.read_to_end())
        .await
        .expect("the stream ends within the grace");
    assert!(rest.ends_with("event: shutdown\ndata: bye\n\n"), "{rest:?}");
}

#[tokio::test]
async fn keep_alive_outlasts_nginxs_60_second_read_timeout() {
    // Real time: nginx's default timeout is 60 s, our default ping 15 s;
    // the stream is idle for 90 s.
    let Some(setup) = setup(Listen::Http1).await else {
        return;
    };
    let (_, mut pinged) = request(setup.nginx.addr, "GET", "/paced", &[]).await;
    let (_, mut silent) = request(setup.nginx.addr, "GET", "/silent", &[]).await;
    subscribed(&setup.app, 2).await;
    let started = Instant::now();
    // Without pings nginx gives up on the upstream after 60 s.
    let cut = silent.read_to_end_within(Duration::from_secs(80)).await;
    assert!(cut.is_some(), "nginx closed the silent stream");
    let cut_at = started.elapsed();
    assert!(cut_at >= Duration::from_secs(59), "cut at {cut_at:?}");
    tokio::time::sleep(Duration::from_secs(90).saturating_sub(started.elapsed())).await;
    setup.app.events.send(90).unwrap();
    let body = tokio::time::timeout(PATIENCE, pinged.read_until("data: 90\n\n"))
        .await
        .expect("the pinged stream is open after 90 s");
    let pings = body.matches(": ping\n\n").count();
    assert!(
        pings >= 5,
        "pings at 15, 30, .. 75 s (and maybe 90): {body:?}"
    );
    println!(
        "silent stream cut by nginx at {cut_at:?}; pinged stream open at {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn http2_to_nginx_and_http1_upstream_carries_events_at_once() {
    use http_body_util::BodyExt;
    let Some(setup) = setup(Listen::Http2).await else {
        return;
    };
    let socket = tokio::net::TcpStream::connect(setup.nginx.addr)
        .await
        .unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(socket),
    )
    .await
    .expect("HTTP/2 with prior knowledge");
    tokio::spawn(connection);
    let request = http::Request::get(format!("http://{}/paced", setup.nginx.addr))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    let mut body = response.into_body();
    subscribed(&setup.app, 1).await;
    let mut received = String::new();
    for n in 0..5 {
        let sent = Instant::now();
        setup.app.events.send(n).unwrap();
        let want = format!("data: {n}\n\n");
        while !received.contains(&want) {
            let frame = tokio::time::timeout(PATIENCE, body.frame())
                .await
                .expect("a frame in time")
                .expect("open")
                .expect("no error");
            if let Ok(data) = frame.into_data() {
                received.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
        assert!(
            sent.elapsed() < Duration::from_millis(50),
            "{:?}",
            sent.elapsed()
        );
    }
}
