//! What a client and the log see when something fails at run time: errors
//! that leak nothing by default, panics in hooks caught like panics in the
//! body, ids that never wrap, and logs that do not multiply.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use sse_runtime::{
    Disconnect, DisconnectReason, Event, KeepAlive, Shutdown, SseResponse, StreamLimit,
    sse_endpoint,
};
use sse_test_support::{PATIENCE, logs_of, request, serve};

#[derive(Debug)]
struct Overdrawn {
    account: &'static str,
}

impl std::fmt::Display for Overdrawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SELECT balance FROM accounts WHERE id = '{}'",
            self.account
        )
    }
}

impl std::error::Error for Overdrawn {}

fn overdrawn_event(error: &Overdrawn) -> Event {
    Event::json(&serde_json::json!({ "code": "overdrawn", "account": error.account }))
        .unwrap()
        .event("failure")
        .unwrap()
}

#[sse_endpoint(get "/typed", error_event = overdrawn_event)]
async fn typed() -> Result<(), Overdrawn> {
    yield_!(1);
    Err(Overdrawn { account: "a-17" })
}

#[tokio::test]
async fn error_event_can_be_a_function_of_the_endpoints_error_type() {
    let server = serve(typed::route(), Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/typed", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: 1\n\nevent: failure\ndata: {\"account\":\"a-17\",\"code\":\"overdrawn\"}\n\n"
    );
}

#[tokio::test]
async fn a_panicking_keep_alive_factory_costs_the_stream_its_custom_pings_only() {
    let (ends, mut ended) = tokio::sync::mpsc::unbounded_channel::<Disconnect>();
    let app = Router::new().route(
        "/",
        get(move || {
            let ends = ends.clone();
            async move {
                let events = futures_util::stream::iter([Event::data("hello")])
                    .chain(futures_util::stream::pending());
                SseResponse::new(events)
                    .keep_alive(
                        KeepAlive::every(Duration::from_millis(50))
                            .event(|| panic!("the factory broke")),
                    )
                    .on_disconnect(move |end| {
                        let _ = ends.send(end);
                        async {}
                    })
            }
        }),
    );
    use futures_util::StreamExt as _;
    let server = serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    client.read_until("data: hello\n\n").await;
    // The first ping would have been the factory's: a comment instead, and
    // the stream goes on pinging.
    client.read_until(": ping\n\n").await;
    client.read_until(": ping\n\n").await;
    drop(client);
    let end = tokio::time::timeout(PATIENCE, ended.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(end.reason, DisconnectReason::ClientGone);
}

async fn panicking_farewell() -> Vec<Event> {
    panic!("the farewell broke")
}

#[tokio::test]
async fn a_panicking_farewell_still_ends_the_stream_as_a_shutdown_does() {
    let ended = Arc::new(Mutex::new(None));
    let report = ended.clone();
    let app = Router::new().route(
        "/",
        get(move |shutdown: Shutdown| {
            let report = report.clone();
            async move {
                SseResponse::new(
                    futures_util::stream::iter([Event::data("hello")])
                        .chain(futures_util::stream::pending()),
                )
                .shutdown(shutdown)
                .on_shutdown(panicking_farewell)
                .on_disconnect(move |end| {
                    *report.lock().unwrap() = Some(end.reason);
                    async {}
                })
            }
        }),
    );
    use futures_util::StreamExt as _;
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(30));
    let server = serve(app, shutdown.clone()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    client.read_until("data: hello\n\n").await;
    shutdown.trigger();
    let rest = tokio::time::timeout(PATIENCE, client.read_to_end())
        .await
        .expect("the stream ended");
    assert_eq!(rest, "");
    assert!(client.last_chunk, "ended with its last chunk, not cut");
    tokio::time::timeout(PATIENCE, server.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(*ended.lock().unwrap(), Some(DisconnectReason::Shutdown));
}

#[sse_endpoint(get "/numbered", id = sequential)]
async fn numbered() {
    for n in 0..3 {
        yield_!(n);
    }
}

#[tokio::test]
async fn sequential_ids_never_wrap() {
    let server = serve(numbered::route(), Shutdown::new()).await;
    // One id is left: it is used, and the stream ends rather than go on
    // with 0, 1, ...
    let (_, mut client) = request(
        server.addr,
        "GET",
        "/numbered",
        &[("last-event-id", "18446744073709551614")],
    )
    .await;
    let body = client.read_to_end().await;
    assert_eq!(body, ": \n\nid: 18446744073709551615\ndata: 0\n\n");
    // Resuming after the last id is refused, which makes an EventSource stop
    // reconnecting.
    let (head, client) = request(
        server.addr,
        "GET",
        "/numbered",
        &[("last-event-id", "18446744073709551615")],
    )
    .await;
    assert_eq!(head.status, 400);
    assert!(
        String::from_utf8_lossy(&client.body).contains("largest id"),
        "{:?}",
        String::from_utf8_lossy(&client.body)
    );
}

#[tokio::test]
async fn a_refused_last_event_id_is_not_echoed_whole() {
    let app = Router::new().route(
        "/",
        get(
            |sse_runtime::LastEventId(id): sse_runtime::LastEventId<u64>| async move {
                format!("{id:?}")
            },
        ),
    );
    let server = serve(app, Shutdown::new()).await;
    let long = "x".repeat(10_000);
    let (head, client) = request(server.addr, "GET", "/", &[("last-event-id", &long)]).await;
    assert_eq!(head.status, 400);
    let body = String::from_utf8_lossy(&client.body).into_owned();
    assert!(body.len() < 300, "{} bytes: {body}", body.len());
    assert!(body.contains("10000 bytes"), "{body}");
}

#[tokio::test]
async fn a_flood_of_refused_streams_logs_one_line() {
    static LIMIT: std::sync::LazyLock<StreamLimit> =
        std::sync::LazyLock::new(|| StreamLimit::new(1));
    let app = Router::new().route(
        "/",
        get(|| async { SseResponse::new(futures_util::stream::pending::<Event>()).limit(&LIMIT) }),
    );
    let logs = logs_of(async {
        let server = serve(app, Shutdown::new()).await;
        let (head, _held) = request(server.addr, "GET", "/", &[]).await;
        assert_eq!(head.status, 200);
        for _ in 0..50 {
            let (head, _) = request(server.addr, "GET", "/", &[]).await;
            assert_eq!(head.status, 503);
        }
    })
    .await;
    let lines = logs.matches("stream limit reached").count();
    assert_eq!(lines, 1, "{logs}");
}
