//! Disconnect detection, graceful shutdown and send timeouts over real TCP,
//! with clients that close, keep reading, or stop reading.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use futures_util::{StreamExt as _, stream};
use sse_runtime::{Disconnect, DisconnectReason, Event, Shutdown, SseResponse};
use sse_test_support::{
    Ending, PATIENCE, ServeWith, request, request_pipelined, request_small_buffer, serve,
    serve_with,
};
use tokio::sync::mpsc;

/// Each check below runs as a test under `sse_runtime::serve` (with its
/// defaults, and with lean streams off) and as one under plain `axum::serve` with the
/// documented set-up: the guarantees are the same.
macro_rules! under_both_servers {
    ($($check:ident),* $(,)?) => {
        mod under_sse_runtime_serve {
            $(#[tokio::test]
            async fn $check() {
                super::$check(sse_test_support::ServeWith::SseRuntime).await
            })*
        }
        mod under_sse_runtime_serve_without_lean_streams {
            $(#[tokio::test]
            async fn $check() {
                super::$check(sse_test_support::ServeWith::SseRuntimeHyperPath).await
            })*
        }
        mod under_axum_serve {
            $(#[tokio::test]
            async fn $check() {
                super::$check(sse_test_support::ServeWith::AxumServe).await
            })*
        }
    };
}

under_both_servers!(
    client_close_drops_the_generator_and_runs_the_hook,
    completed_stream_reports_completed,
    generator_can_watch_shutdown_cooperatively,
    shutdown_sends_farewell_and_the_server_exits,
    grace_period_ends_streams_that_ignore_shutdown_even_unread_ones,
    grace_period_ends_a_read_stream_that_ignores_shutdown_cleanly,
    send_timeout_drops_a_client_that_stops_reading,
    a_reading_client_is_never_timed_out,
);

type Ends = mpsc::UnboundedSender<(Disconnect, Instant)>;

fn report_to(ends: &Ends) -> impl Fn(Disconnect) -> std::future::Ready<()> + Send + Sync + 'static {
    let ends = ends.clone();
    move |end| {
        let _ = ends.send((end, Instant::now()));
        std::future::ready(())
    }
}

/// A router serving `response(shutdown)` at `/`, each stream reporting its
/// end on the returned channel.
fn reporting_app<S, F>(response: F) -> (Router, mpsc::UnboundedReceiver<(Disconnect, Instant)>)
where
    F: Fn(Shutdown) -> SseResponse<S> + Clone + Send + Sync + 'static,
    S: sse_runtime::EventStream + Send + 'static,
{
    let (ends, ended) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/",
        get(move |shutdown: Shutdown| {
            let (ends, response) = (ends.clone(), response.clone());
            async move { response(shutdown).on_disconnect(report_to(&ends)) }
        }),
    );
    (app, ended)
}

async fn next_end(
    ends: &mut mpsc::UnboundedReceiver<(Disconnect, Instant)>,
) -> (Disconnect, Instant) {
    tokio::time::timeout(PATIENCE, ends.recv())
        .await
        .expect("the disconnect hook ran in time")
        .expect("hook channel open")
}

async fn client_close_drops_the_generator_and_runs_the_hook(with: ServeWith) {
    let (ends, mut ended) = mpsc::unbounded_channel();
    let (dropped_tx, mut dropped) = mpsc::unbounded_channel::<Instant>();
    let app = Router::new().route(
        "/",
        get(move || {
            let ends = ends.clone();
            let dropped_tx = dropped_tx.clone();
            async move {
                struct OnDrop(mpsc::UnboundedSender<Instant>);
                impl Drop for OnDrop {
                    fn drop(&mut self) {
                        let _ = self.0.send(Instant::now());
                    }
                }
                let guard = OnDrop(dropped_tx);
                let events = async_stream::stream! {
                    let _guard = guard;
                    yield Event::data("hello").id("1").unwrap();
                    // Then nothing is pending: only a disconnect can end this.
                    std::future::pending::<()>().await;
                };
                SseResponse::new(events).on_disconnect(report_to(&ends))
            }
        }),
    );
    let server = serve_with(with, app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    client.read_until("data: hello\n\n").await;
    let closed_at = Instant::now();
    drop(client);

    let generator_dropped = tokio::time::timeout(PATIENCE, dropped.recv())
        .await
        .unwrap()
        .unwrap();
    let (end, hook_ran) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::ClientGone);
    assert_eq!(end.stats.events, 1);
    assert_eq!(end.stats.last_id.as_deref(), Some("1"));
    assert!(end.stats.bytes >= "data: hello\n\n".len() as u64);
    assert!(
        hook_ran >= generator_dropped,
        "the hook runs after the generator is dropped"
    );
    eprintln!(
        "disconnect detection: generator dropped {:?} after the client closed",
        generator_dropped - closed_at
    );
}

async fn completed_stream_reports_completed(with: ServeWith) {
    let (app, mut ended) =
        reporting_app(|_| SseResponse::new(stream::iter([Event::data("a"), Event::data("b")])));
    let server = serve_with(with, app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    client.read_to_end().await;
    let (end, _) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::Completed);
    assert_eq!(end.stats.events, 2);
}

fn endless() -> impl futures_util::Stream<Item = Event> + Send + 'static {
    async_stream::stream! {
        let mut n = 0u64;
        loop {
            n += 1;
            yield Event::data(n.to_string());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// An endless stream that says `event: shutdown` / `data: bye` on shutdown.
fn farewell_app() -> (Router, mpsc::UnboundedReceiver<(Disconnect, Instant)>) {
    reporting_app(|shutdown| {
        SseResponse::new(endless())
            .shutdown(shutdown)
            .on_shutdown(|| async { vec![Event::data("bye").event("shutdown").unwrap()] })
    })
}

async fn shutdown_sends_farewell_and_the_server_exits(with: ServeWith) {
    let (app, mut ended) = farewell_app();
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(30));
    let server = serve_with(with, app, shutdown.clone()).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
        client.read_until("data: 1\n\n").await;
        clients.push(client);
    }
    let started = Instant::now();
    shutdown.trigger();
    for client in &mut clients {
        let rest = client.read_to_end().await;
        assert!(rest.ends_with("event: shutdown\ndata: bye\n\n"), "{rest:?}");
    }
    tokio::time::timeout(PATIENCE, server.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "did not wait for the grace period"
    );
    for _ in 0..3 {
        let (end, _) = next_end(&mut ended).await;
        assert_eq!(end.reason, DisconnectReason::Shutdown);
    }
}

/// Under `sse_runtime::serve` only: under `axum::serve`, its own connection
/// task tells hyper to finish up when its `select!` picks the signal, before
/// or after hyper has gone on to a request it holds, which is axum's to
/// decide (README, "Keeping `axum::serve`").
mod a_shutdown_ends_the_connection_with_its_stream {
    use sse_test_support::ServeWith;

    #[tokio::test]
    async fn under_sse_runtime_serve() {
        super::a_request_behind_a_stream_ended_by_a_shutdown_is_not_answered(ServeWith::SseRuntime)
            .await;
    }

    #[tokio::test]
    async fn under_sse_runtime_serve_without_lean_streams() {
        super::a_request_behind_a_stream_ended_by_a_shutdown_is_not_answered(
            ServeWith::SseRuntimeHyperPath,
        )
        .await;
    }
}

/// A shutdown ends the stream, which is then its connection's last
/// response: a request the client pipelined behind it (in the server's read
/// buffer since the stream's request) is not answered, whichever path wrote
/// the stream; the connection closes after the farewell. (hyper's path
/// answered it while its guard told hyper to finish up only after polling
/// it, by when the stream had ended and hyper gone on: found by
/// `tests/differential.rs`.)
async fn a_request_behind_a_stream_ended_by_a_shutdown_is_not_answered(with: ServeWith) {
    let (app, mut ended) = reporting_app(|shutdown| {
        let quiet = stream::once(async { Event::data("1") }).chain(stream::pending());
        SseResponse::new(quiet)
            .shutdown(shutdown)
            .on_shutdown(|| async { vec![Event::data("bye").event("shutdown").unwrap()] })
    });
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(30));
    let server = serve_with(with, app, shutdown.clone()).await;
    let (_, mut client) = request_pipelined(
        server.addr,
        "/",
        "GET /missing HTTP/1.1\r\nhost: test\r\n\r\n",
    )
    .await;
    client.read_until("data: 1\n\n").await;
    shutdown.trigger();
    let rest = client.read_to_end().await;
    assert!(rest.ends_with("event: shutdown\ndata: bye\n\n"), "{rest:?}");
    let after = client.rest_until_close().await;
    assert!(
        after.is_empty(),
        "the connection answered more after the stream a shutdown ended: {:?}",
        String::from_utf8_lossy(&after)
    );
    let (end, _) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::Shutdown);
}

async fn generator_can_watch_shutdown_cooperatively(with: ServeWith) {
    let app = Router::new().route(
        "/",
        get(|shutdown: Shutdown| async move {
            let events = async_stream::stream! {
                yield Event::data("working");
                shutdown.requested().await;
                yield Event::data("saving state, bye").event("shutdown").unwrap();
            };
            SseResponse::new(events)
        }),
    );
    let shutdown = Shutdown::new();
    let server = serve_with(with, app, shutdown.clone()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    client.read_until("data: working\n\n").await;
    shutdown.trigger();
    assert_eq!(
        client.read_to_end().await,
        "event: shutdown\ndata: saving state, bye\n\n"
    );
    tokio::time::timeout(PATIENCE, server.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

async fn grace_period_ends_streams_that_ignore_shutdown_even_unread_ones(with: ServeWith) {
    let (app, mut ended) = reporting_app(|shutdown| {
        // Big events as fast as possible: a client that does not read fills
        // its socket and hyper stops polling this body.
        let big = "x".repeat(64 * 1024);
        SseResponse::new(stream::repeat_with(move || Event::data(big.clone()))).shutdown(shutdown)
    });
    let grace = Duration::from_millis(300);
    let shutdown = Shutdown::new().with_grace_period(grace);
    let server = serve_with(with, app, shutdown.clone()).await;
    let (_, mut stuck) = request_small_buffer(server.addr, "/").await;
    stuck.read_until("xxxx").await;
    // The stuck client reads no more: the endless producer fills its socket
    // within the grace period, and hyper stops polling the body.

    let started = Instant::now();
    shutdown.trigger();
    let took = exits_after_the_grace_period(server.task, started, grace).await;
    let (end, _) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::Shutdown);
    // The socket was full: the connection was cut mid-stream, since a body
    // that could still be polled would have ended with its last chunk.
    let (_, ending) = stuck.read_to_close().await;
    assert_ne!(
        ending,
        Ending::Finished,
        "the stream ended by itself: the client's socket never filled, so the \
         forced end of a connection that cannot be written to was not tested"
    );
    eprintln!("forced shutdown with an unread client took {took:?} (grace {grace:?})");
}

/// A stream that goes on after the shutdown asks it to finish (no farewell,
/// a generator that never ends) and a client that reads it: at the end of
/// the grace period the stream ends as streams end, with its last chunk, so
/// the client sees a complete response (not one cut off mid-body, which
/// clients report as an error: curl's "transfer closed").
async fn grace_period_ends_a_read_stream_that_ignores_shutdown_cleanly(with: ServeWith) {
    let (app, mut ended) = reporting_app(|shutdown| {
        let events = async_stream::stream! {
            yield Event::data("hello");
            std::future::pending::<()>().await;
        };
        SseResponse::new(events).shutdown(shutdown)
    });
    let grace = Duration::from_millis(300);
    let shutdown = Shutdown::new().with_grace_period(grace);
    let server = serve_with(with, app, shutdown.clone()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    client.read_until("data: hello\n\n").await;

    let started = Instant::now();
    shutdown.trigger();
    let rest = client.read_to_end().await;
    assert!(
        client.last_chunk,
        "the stream was cut off at the end of the grace period, not ended \
         (after {:?}; read {rest:?} after the first event)",
        started.elapsed()
    );
    exits_after_the_grace_period(server.task, started, grace).await;
    let (end, _) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::Shutdown);
}

/// Waits for a server whose shutdown was triggered at `started` and checks
/// the documented contract: it exits after the grace period, and within
/// grace + 1 s. How long it took.
async fn exits_after_the_grace_period(
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    started: Instant,
    grace: Duration,
) -> Duration {
    tokio::time::timeout(PATIENCE, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let took = started.elapsed();
    assert!(took >= grace, "ended before the grace period: {took:?}");
    assert!(
        took < grace + Duration::from_secs(1),
        "the server took {took:?} to exit after a grace period of {grace:?}"
    );
    took
}

async fn send_timeout_drops_a_client_that_stops_reading(with: ServeWith) {
    let timeout = Duration::from_millis(200);
    let (app, mut ended) = reporting_app(move |_| {
        let big = "y".repeat(64 * 1024);
        SseResponse::new(stream::repeat_with(move || Event::data(big.clone())))
            .send_timeout(timeout)
    });
    let server = serve_with(with, app, Shutdown::new()).await;
    let (_, mut stuck) = request_small_buffer(server.addr, "/").await;
    stuck.read_until("yyyy").await;
    // Stop reading: the server's writes block, and after the send timeout
    // the connection is dropped.
    let stopped_reading = Instant::now();
    let (end, dropped_at) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::SendTimeout);
    assert!(end.stats.bytes > 64 * 1024);
    // The documented contract: dropped within the send timeout + 1 s of the
    // client's last read (its writes block a little after it, never before).
    let took = dropped_at - stopped_reading;
    assert!(
        took < timeout + Duration::from_secs(1),
        "a client that stopped reading was dropped after {took:?} (send timeout {timeout:?})"
    );
    // The server is still fine.
    let (head, _) = request(server.addr, "GET", "/", &[]).await;
    assert_eq!(head.status, 200);
}

async fn a_reading_client_is_never_timed_out(with: ServeWith) {
    let (app, mut ended) = reporting_app(|_| {
        let big = "z".repeat(16 * 1024);
        SseResponse::new(stream::iter(
            (0..200).map(move |_| Event::data(big.clone())),
        ))
        .send_timeout(Duration::from_millis(50))
    });
    let server = serve_with(with, app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/", &[]).await;
    let body = client.read_to_end().await;
    assert_eq!(body.matches("data: ").count(), 200);
    let (end, _) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::Completed);
}

#[tokio::test]
async fn two_servers_in_one_process_shut_down_independently() {
    let app = || {
        Router::new().route(
            "/",
            get(|shutdown: Shutdown| async move {
                SseResponse::new(endless())
                    .shutdown(shutdown)
                    .on_shutdown(|| async { vec![Event::data("bye")] })
            }),
        )
    };
    let first = serve(app(), Shutdown::new()).await;
    let second = serve(app(), Shutdown::new()).await;
    let (_, mut on_second) = request(second.addr, "GET", "/", &[]).await;
    on_second.read_until("data: 1\n\n").await;

    first.shutdown.trigger();
    tokio::time::timeout(PATIENCE, first.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // The second server's stream keeps going.
    on_second.read_until("data: 3\n\n").await;
    assert!(!second.shutdown.is_requested());
}

#[tokio::test]
async fn http2_stream_reset_runs_the_hook_and_keeps_the_connection() {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let (app, mut ended) = reporting_app(|_| SseResponse::new(stream::pending::<Event>()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sse_runtime::serve(listener, app).http2(true).into_future());

    let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(socket))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = || {
        http::Request::get(format!("http://{addr}/"))
            .body(Empty::<bytes::Bytes>::new())
            .unwrap()
    };
    let response = sender.send_request(request()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("connection"), None);
    let mut body = response.into_body();
    let opening = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&opening[..], b": \n\n");
    // Dropping the body resets the HTTP/2 stream (RST_STREAM), not the
    // connection.
    drop(body);
    let (end, _) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::ClientGone);
    let again = sender.send_request(request()).await.unwrap();
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn shutdown_layer_under_plain_axum_serve_sends_farewells_and_the_server_exits() {
    let (app, mut ended) = farewell_app();
    let shutdown = Shutdown::new().with_grace_period(Duration::from_secs(30));
    let app = app.layer(shutdown.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async {
        let _ = stopped.await;
    };
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.clone().trigger_on(signal))
            .into_future(),
    );
    let (_, mut client) = request(addr, "GET", "/", &[]).await;
    client.read_until("data: 1\n\n").await;
    stop.send(()).unwrap();
    let rest = client.read_to_end().await;
    assert!(rest.ends_with("event: shutdown\ndata: bye\n\n"), "{rest:?}");
    assert!(client.last_chunk, "the stream ended as a response does");
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("axum::serve returned once the stream had said goodbye")
        .unwrap()
        .unwrap();
    let (end, _) = next_end(&mut ended).await;
    assert_eq!(end.reason, DisconnectReason::Shutdown);
}

/// With no `send_timeout` set, a client that stops reading is still dropped,
/// after [`sse_runtime::DEFAULT_SEND_TIMEOUT`] (tokio's clock is paused, so
/// the 30 s pass at once once everything waits).
async fn the_default_send_timeout_drops_a_client_that_stops_reading(with: ServeWith) {
    let (app, mut ended) = reporting_app(|_| {
        let big = "d".repeat(64 * 1024);
        SseResponse::new(stream::repeat_with(move || Event::data(big.clone())))
    });
    let server = serve_with(with, app, Shutdown::new()).await;
    let (_, mut stuck) = request_small_buffer(server.addr, "/").await;
    stuck.read_until("dddd").await;
    let stopped_reading = tokio::time::Instant::now();
    // `next_end`'s patience is shorter than the default, in tokio time.
    let (end, _) = tokio::time::timeout(Duration::from_secs(120), ended.recv())
        .await
        .expect("dropped at all")
        .unwrap();
    let took = stopped_reading.elapsed();
    assert_eq!(end.reason, DisconnectReason::SendTimeout);
    let default = sse_runtime::DEFAULT_SEND_TIMEOUT;
    assert!(
        took >= default && took < default + Duration::from_secs(1),
        "dropped after {took:?} of tokio time; the default send timeout is {default:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_default_send_timeout_under_sse_runtime_serve() {
    the_default_send_timeout_drops_a_client_that_stops_reading(ServeWith::SseRuntime).await;
}

#[tokio::test(start_paused = true)]
async fn the_default_send_timeout_under_axum_serve() {
    the_default_send_timeout_drops_a_client_that_stops_reading(ServeWith::AxumServe).await;
}

#[tokio::test(start_paused = true)]
async fn the_default_send_timeout_under_sse_runtime_serve_without_lean_streams() {
    the_default_send_timeout_drops_a_client_that_stops_reading(ServeWith::SseRuntimeHyperPath)
        .await;
}
