//! The streaming response over real TCP: headers, HEAD, errors, panics,
//! stream limits and `Last-Event-ID`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::routing::get;
use futures_util::stream;
use http::{HeaderName, HeaderValue, StatusCode};
use sse_runtime::{Event, LastEventId, Shutdown, SseResponse, StreamLimit};
use sse_test_support::{request, serve};
use tokio::io::AsyncWriteExt;

fn two_events() -> SseResponse<impl futures_util::Stream<Item = Event>> {
    SseResponse::new(stream::iter([Event::data("one"), Event::data("two")]))
}

#[tokio::test]
async fn headers_and_opening_frame() {
    let app = Router::new().route("/", get(|| async { two_events() }));
    let server = serve(app, Shutdown::new()).await;
    let (head, mut client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(head.header("cache-control"), Some("no-cache"));
    assert_eq!(head.header("x-accel-buffering"), Some("no"));
    assert_eq!(
        head.header("connection"),
        None,
        "illegal in HTTP/2, never sent"
    );
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: one\n\ndata: two\n\n"
    );
}

#[tokio::test]
async fn retry_line_opens_the_stream_and_headers_can_be_overridden() {
    let app = Router::new().route(
        "/",
        get(|| async {
            two_events()
                .retry(std::time::Duration::from_millis(1500))
                .status(StatusCode::CREATED)
                .header(
                    http::header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                )
                .header(
                    HeaderName::from_static("x-extra"),
                    HeaderValue::from_static("1"),
                )
                .header(
                    http::header::CONNECTION,
                    HeaderValue::from_static("keep-alive"),
                )
        }),
    );
    let server = serve(app, Shutdown::new()).await;
    let (head, mut client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(head.status, 201);
    assert_eq!(head.header("cache-control"), Some("no-store"));
    assert_eq!(head.header("x-extra"), Some("1"));
    assert_eq!(head.header("connection"), None);
    assert_eq!(
        client.read_to_end().await,
        "retry: 1500\n\ndata: one\n\ndata: two\n\n"
    );
}

#[tokio::test]
async fn head_gets_headers_and_never_starts_the_generator() {
    let started = Arc::new(AtomicBool::new(false));
    let flag = started.clone();
    let app = Router::new().route(
        "/",
        get(move || {
            let flag = flag.clone();
            async move {
                SseResponse::new(async_stream::stream! {
                    flag.store(true, Ordering::SeqCst);
                    yield Event::data("never");
                })
            }
        }),
    );
    let server = serve(app, Shutdown::new()).await;
    let (head, mut client) = request(server.addr, "HEAD", "/", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    // axum replaces a HEAD response's body before hyper writes the head, so
    // by now the stream has been dropped unpolled.
    assert!(
        !started.load(Ordering::SeqCst),
        "HEAD started the generator"
    );
    // The connection stays usable: no body bytes were sent after the head.
    client
        .socket
        .write_all(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let rest = client.read_raw_until("data: never").await;
    assert!(rest.starts_with("HTTP/1.1 200"), "{rest}");
}

#[tokio::test]
async fn error_from_a_fallible_stream_sends_error_event_and_ends() {
    let app = Router::new().route(
        "/",
        get(|| async {
            let items: Vec<Result<Event, std::io::Error>> = vec![
                Ok(Event::data("before")),
                Err(std::io::Error::other("database went away")),
                Ok(Event::data("never sent")),
            ];
            SseResponse::new(stream::iter(items))
                .error_event(|error| Some(Event::data(error.to_string()).event("error").unwrap()))
        }),
    );
    let server = serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: before\n\nevent: error\ndata: database went away\n\n"
    );
}

#[tokio::test]
async fn error_without_policy_just_ends_cleanly() {
    let app = Router::new().route(
        "/",
        get(|| async {
            let items: Vec<Result<Event, std::io::Error>> = vec![
                Ok(Event::data("before")),
                Err(std::io::Error::other("boom")),
            ];
            SseResponse::new(stream::iter(items))
        }),
    );
    let server = serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(client.read_to_end().await, ": \n\ndata: before\n\n");
}

#[tokio::test]
async fn json_that_cannot_be_serialised_is_an_error_not_empty_data() {
    use std::collections::HashMap;
    let app = Router::new().route(
        "/",
        get(|| async {
            let bad: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
            SseResponse::new(stream::iter([
                sse_runtime::Json(HashMap::new()),
                sse_runtime::Json(bad),
            ]))
            .error_event(|_| Some(Event::data("bad event").event("error").unwrap()))
        }),
    );
    let server = serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: {}\n\nevent: error\ndata: bad event\n\n"
    );
}

#[tokio::test]
async fn a_panicking_generator_ends_its_stream_only() {
    let app = Router::new()
        .route(
            "/panics",
            get(|| async {
                SseResponse::new(async_stream::stream! {
                    yield Event::data("first");
                    panic!("generator bug");
                })
            }),
        )
        .route("/fine", get(|| async { two_events() }));
    let server = serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/panics", &[]).await;
    assert_eq!(client.read_to_end().await, ": \n\ndata: first\n\n");
    let (head, mut client) = request(server.addr, "GET", "/fine", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: one\n\ndata: two\n\n"
    );
}

#[tokio::test]
async fn stream_limit_answers_503_with_retry_after_and_frees_on_close() {
    let limit = StreamLimit::new(1);
    let route_limit = limit.clone();
    let (ended_tx, mut ended) = tokio::sync::mpsc::unbounded_channel();
    let app = Router::new().route(
        "/",
        get(move || {
            let limit = route_limit.clone();
            let ended_tx = ended_tx.clone();
            async move {
                let counted = limit.clone();
                SseResponse::new(stream::pending::<Event>())
                    .limit(&limit)
                    .on_disconnect(move |_| {
                        // Read when the hook is called, not when it is polled.
                        let _ = ended_tx.send(counted.open_streams());
                        std::future::ready(())
                    })
            }
        }),
    );
    let server = serve(app, Shutdown::new()).await;
    let (first, mut first_client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(first.status, 200);
    first_client.read_until(": \n\n").await;
    let (refused, refused_client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("5"));
    assert!(String::from_utf8_lossy(&refused_client.body).contains("too many"));

    drop(first_client);
    let open_when_the_hook_ran = tokio::time::timeout(sse_test_support::PATIENCE, ended.recv())
        .await
        .expect("the disconnect hook ran");
    assert_eq!(
        open_when_the_hook_ran,
        Some(0),
        "the hook runs once the stream's place in the limit is free"
    );
    assert_eq!(limit.open_streams(), 0);
    let (again, _client) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(again.status, 200);
}

async fn echo_last_id(LastEventId(id): LastEventId<u64>) -> String {
    format!("{id:?}")
}

#[tokio::test]
async fn last_event_id_header_query_absent_and_invalid() {
    let app = Router::new().route("/", get(echo_last_id));
    let server = serve(app, Shutdown::new()).await;

    let (_, mut c) = request(server.addr, "GET", "/", &[("last-event-id", "41")]).await;
    assert_eq!(c.read_to_end().await, "Some(41)");
    let (_, mut c) = request(server.addr, "GET", "/?lastEventId=7&x=1", &[]).await;
    assert_eq!(c.read_to_end().await, "Some(7)");
    let (_, mut c) = request(
        server.addr,
        "GET",
        "/?lastEventId=7",
        &[("last-event-id", "8")],
    )
    .await;
    assert_eq!(
        c.read_to_end().await,
        "Some(8)",
        "the header wins over the query"
    );
    let (_, mut c) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(c.read_to_end().await, "None");

    let (head, mut c) = request(server.addr, "GET", "/", &[("last-event-id", "abc")]).await;
    assert_eq!(head.status, 400);
    let message = c.read_to_end().await;
    assert!(
        message.contains("invalid Last-Event-ID \"abc\""),
        "{message}"
    );
    let (head, _) = request(server.addr, "GET", "/", &[("last-event-id", "\u{e9}")]).await;
    assert_eq!(head.status, 400);
}

#[tokio::test]
async fn works_under_plain_axum_serve_too() {
    let app = Router::new().route("/", get(|| async { two_events() }));
    let addr = sse_test_support::serve_with_axum(app).await;
    let (head, mut client) = request(addr, "GET", "/", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: one\n\ndata: two\n\n"
    );
}
