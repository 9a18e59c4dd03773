//! Plain `axum::serve`: what the documented set-up (`SseListener` +
//! `make_service`) adds, and what a server without it is told. The lifecycle
//! guarantees themselves run under both servers in `tests/lifecycle.rs`.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use sse_runtime::{Event, Shutdown, SseListener, SseResponse, make_service, sse_endpoint};
use sse_test_support::{PATIENCE, logs_of, request};

async fn farewell() -> Vec<Event> {
    vec![Event::data("bye").event("shutdown").unwrap()]
}

// No send timeout: the one test here that serves it without the set-up must
// see only the missing coordinator explained (each explanation is logged
// once per process, and the tests of this file share one).
#[sse_endpoint(on_shutdown = farewell, send_timeout = "0s")]
async fn ticks() {
    for n in 0u64.. {
        yield_!(n);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn axum_stopping_to_accept_triggers_the_shutdown_whatever_its_signal() {
    // The signal given to axum is not the coordinator's: when it fires, axum
    // drops the listener, and that tells the streams.
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(30));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = Router::new().route("/", get(ticks));
    let server = tokio::spawn(
        axum::serve(SseListener::new(listener, &shutdown), make_service(app))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let (_, mut client) = request(addr, "GET", "/", &[]).await;
    client.read_until("data: 1\n\n").await;
    assert!(!shutdown.is_requested());
    stop.send(()).unwrap();
    let rest = tokio::time::timeout(PATIENCE, client.read_to_end())
        .await
        .expect("the stream ended once axum stopped accepting");
    assert!(rest.ends_with("event: shutdown\ndata: bye\n\n"), "{rest:?}");
    assert!(shutdown.is_requested());
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("axum::serve returned once the stream had said goodbye")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn make_service_hands_handlers_the_peer_and_the_coordinator() {
    let shutdown = Shutdown::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/",
        get(
            |ConnectInfo(peer): ConnectInfo<SocketAddr>, shutdown: Shutdown| async move {
                format!("{} {}", peer.ip(), shutdown.is_requested())
            },
        ),
    );
    tokio::spawn(
        axum::serve(SseListener::new(listener, &shutdown), make_service(app)).into_future(),
    );
    let (head, client) = request(addr, "GET", "/", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(String::from_utf8_lossy(&client.body), "127.0.0.1 false");
}

/// Opens two streams on `path` of `app` under plain `axum::serve` with a
/// plain `TcpListener` (nothing of ours) and reads their first event.
async fn two_streams_without_set_up(app: Router, path: &str) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app).into_future());
    for _ in 0..2 {
        let (head, mut client) = request(addr, "GET", path, &[]).await;
        assert_eq!(head.status, 200);
        client.read_until("data: ").await;
    }
    server.abort();
}

#[tokio::test]
async fn an_endpoint_served_without_a_coordinator_is_explained_once_with_the_fix() {
    let app = Router::new().route("/", get(ticks));
    let logs = logs_of(two_streams_without_set_up(app, "/")).await;
    let explained = logs
        .lines()
        .filter(|line| line.contains("no shutdown coordinator"))
        .collect::<Vec<_>>();
    assert_eq!(explained.len(), 1, "{logs}");
    assert!(explained[0].contains("ERROR"), "{logs}");
    assert!(
        explained[0].contains("sse_runtime::make_service(app)"),
        "the line names the fix: {logs}"
    );
}

#[tokio::test]
async fn a_send_timeout_nothing_enforces_is_explained_once_with_the_fix() {
    let app = Router::new().route(
        "/",
        get(|| async {
            SseResponse::new(futures_util::stream::iter([Event::data("hello")]))
                .send_timeout(Duration::from_secs(1))
        }),
    );
    let logs = logs_of(two_streams_without_set_up(app, "/")).await;
    let explained = logs
        .lines()
        .filter(|line| line.contains("is not enforced"))
        .collect::<Vec<_>>();
    assert_eq!(explained.len(), 1, "{logs}");
    assert!(explained[0].contains("ERROR"), "{logs}");
    assert!(explained[0].contains("SseListener::new"), "{logs}");
}

#[tokio::test]
async fn a_drain_under_axum_serve_keeps_accepting_with_ready_failing_until_it_is_over() {
    // As the documentation says: axum's signal is `trigger_on(signal)`,
    // which completes after the drain delay.
    let drain = Duration::from_secs(2);
    let shutdown = Shutdown::new()
        .with_drain_delay(drain)
        .with_grace_period(Duration::from_secs(30));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = Router::new()
        .route("/", get(ticks))
        .route("/ready", get(sse_runtime::shutdown::ready));
    let signal = async {
        let _ = stopped.await;
    };
    let server = tokio::spawn(
        axum::serve(SseListener::new(listener, &shutdown), make_service(app))
            .with_graceful_shutdown(shutdown.clone().trigger_on(signal))
            .into_future(),
    );
    let (_, mut client) = request(addr, "GET", "/", &[]).await;
    client.read_until("data: 1\n\n").await;
    let (ready, _) = request(addr, "GET", "/ready", &[]).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.header("connection"), None, "kept alive while ready");
    let signalled = std::time::Instant::now();
    stop.send(()).unwrap();
    while !shutdown.is_requested() && shutdown.is_ready() {
        tokio::task::yield_now().await;
    }
    // New connections are still accepted and told to go elsewhere; the
    // stream goes on. A keep-alive connection is closed after its answer.
    let (ready, _) = request(addr, "GET", "/ready", &[]).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.header("connection"), Some("close"), "{ready:?}");
    let (head, mut second) = request(addr, "GET", "/", &[]).await;
    assert_eq!(head.status, 200, "a new stream during the drain");
    second.read_until("data: 1\n\n").await;
    assert!(signalled.elapsed() < drain, "checked within the drain");
    assert!(
        !shutdown.is_requested(),
        "the streams are told after the drain"
    );
    let rest = client.read_to_end().await;
    assert!(rest.ends_with("event: shutdown\ndata: bye\n\n"), "{rest:?}");
    assert!(
        signalled.elapsed() >= drain,
        "told after the drain, not before"
    );
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("axum::serve returned once the streams had said goodbye")
        .unwrap()
        .unwrap();
}
