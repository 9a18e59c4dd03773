//! Every lifecycle guarantee per HTTP/2 *stream*, over TLS (ALPN `h2`) and
//! cleartext HTTP/2 (prior knowledge), with hyper's HTTP/2 client over real
//! sockets: many streams on one connection; a stream whose client stopped
//! reading is reset after its send timeout while the others go on; a
//! client's `RST_STREAM` runs the hook; shutdown sends every stream its
//! farewell, then `GOAWAY`, within the grace; keep-alive per stream; the
//! stream limit counts streams. The numbers are printed (`--nocapture`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use http_body_util::BodyExt;
use sse_runtime::serve::Tls;
use sse_runtime::{
    Disconnect, DisconnectReason, Event, KeepAlive, Shutdown, SseResponse, StreamLimit,
};
use sse_test_support::PATIENCE;
use sse_test_support::h2_client::{
    H2Connection, STREAM_WINDOW, connect_h2, next_block, read_to_end, read_until, self_signed,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;

/// How the client reaches the server.
#[derive(Clone, Copy, Debug)]
enum Transport {
    /// HTTPS, HTTP/2 agreed by ALPN.
    Tls,
    /// Cleartext HTTP/2 with prior knowledge (`Serve::http2(true)`).
    Cleartext,
}

/// Each check runs over both transports.
macro_rules! over_both_transports {
    ($($check:ident),* $(,)?) => {
        mod over_tls {
            $(#[tokio::test]
            async fn $check() {
                super::$check(super::Transport::Tls).await
            })*
        }
        mod over_cleartext_h2 {
            $(#[tokio::test]
            async fn $check() {
                super::$check(super::Transport::Cleartext).await
            })*
        }
    };
}

over_both_transports!(
    a_hundred_streams_share_one_connection,
    a_stream_whose_client_stops_reading_is_reset_after_the_send_timeout_and_the_others_go_on,
    a_client_reset_runs_that_streams_hook_and_the_connection_goes_on,
    shutdown_says_goodbye_on_every_stream_then_goaway_within_the_grace,
    keep_alive_pings_each_idle_stream,
    the_stream_limit_counts_streams_not_connections,
);

/// A server under test and what a client needs to reach it.
struct Server {
    addr: SocketAddr,
    transport: Transport,
    /// The self-signed certificate the client trusts.
    certificate: rustls::pki_types::CertificateDer<'static>,
    shutdown: Shutdown,
    task: JoinHandle<std::io::Result<()>>,
}

async fn serve(transport: Transport, router: Router, shutdown: Shutdown) -> Server {
    let (cert_pem, key_pem, certificate) = self_signed();
    let tls = Tls::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = sse_runtime::serve(listener, router).with_shutdown(shutdown.clone());
    let serve = match transport {
        Transport::Tls => serve.tls(tls),
        Transport::Cleartext => serve.http2(true),
    };
    Server {
        addr,
        transport,
        certificate,
        shutdown,
        task: tokio::spawn(std::future::IntoFuture::into_future(serve)),
    }
}

async fn connect(server: &Server) -> H2Connection {
    let certificate = match server.transport {
        Transport::Tls => Some(&server.certificate),
        Transport::Cleartext => None,
    };
    connect_h2(server.addr, certificate).await
}

type Ends = mpsc::UnboundedReceiver<(Disconnect, Instant)>;

/// The hook of every stream of an app sends its end here.
fn hook(
    ends: &mpsc::UnboundedSender<(Disconnect, Instant)>,
) -> impl Fn(Disconnect) -> std::future::Ready<()> + Send + Sync + 'static {
    let ends = ends.clone();
    move |end| {
        let _ = ends.send((end, Instant::now()));
        std::future::ready(())
    }
}

async fn next_end(ends: &mut Ends) -> (Disconnect, Instant) {
    tokio::time::timeout(PATIENCE, ends.recv())
        .await
        .expect("a disconnect hook ran in time")
        .expect("hook channel open")
}

/// `/ticks`: an event every 20 ms; `/firehose`: 1 KiB events as fast as
/// they are taken, with `send_timeout`; `/idle`: nothing. Every stream
/// reports its end, and says goodbye at shutdown.
fn app(keep_alive: KeepAlive, send_timeout: Duration) -> (Router, Ends) {
    let (ends, ended) = mpsc::unbounded_channel();
    let farewell = || async { vec![Event::data("goodbye").event("shutdown").unwrap()] };
    let ticks = {
        let ends = ends.clone();
        let keep_alive = keep_alive.clone();
        move |shutdown: Shutdown| {
            let (ends, keep_alive) = (ends.clone(), keep_alive.clone());
            async move {
                let ticks = async_stream::stream! {
                    let mut interval = tokio::time::interval(Duration::from_millis(20));
                    for n in 0u64.. {
                        interval.tick().await;
                        yield Event::data(n.to_string());
                    }
                };
                SseResponse::new(ticks)
                    .keep_alive(keep_alive)
                    .shutdown(shutdown)
                    .on_shutdown(farewell)
                    .on_disconnect(hook(&ends))
            }
        }
    };
    let firehose = {
        let ends = ends.clone();
        move |shutdown: Shutdown| {
            let ends = ends.clone();
            async move {
                let kib = "x".repeat(1024);
                let events = futures_util::stream::repeat_with(move || Event::data(kib.clone()));
                SseResponse::new(events)
                    .send_timeout(send_timeout)
                    .shutdown(shutdown)
                    .on_shutdown(farewell)
                    .on_disconnect(hook(&ends))
            }
        }
    };
    let idle = {
        let ends = ends.clone();
        move |shutdown: Shutdown| {
            let (ends, keep_alive) = (ends.clone(), keep_alive.clone());
            async move {
                SseResponse::new(futures_util::stream::pending::<Event>())
                    .keep_alive(keep_alive)
                    .shutdown(shutdown)
                    .on_shutdown(farewell)
                    .on_disconnect(hook(&ends))
            }
        }
    };
    let router = Router::new()
        .route("/ticks", get(ticks))
        .route("/firehose", get(firehose))
        .route("/idle", get(idle));
    (router, ended)
}

async fn a_hundred_streams_share_one_connection(transport: Transport) {
    let (router, _ends) = app(KeepAlive::default(), Duration::from_secs(1));
    let server = serve(transport, router, Shutdown::new()).await;
    let mut connection = connect(&server).await;
    let mut bodies = Vec::new();
    for _ in 0..100 {
        bodies.push(connection.get("/ticks").await);
    }
    let started = Instant::now();
    for (status, body) in &mut bodies {
        assert_eq!(*status, 200);
        read_until(body, &mut String::new(), "data: 2\n\n").await;
    }
    eprintln!(
        "{transport:?}: 100 streams on one connection, each at its third event after {:?}",
        started.elapsed()
    );
}

async fn a_stream_whose_client_stops_reading_is_reset_after_the_send_timeout_and_the_others_go_on(
    transport: Transport,
) {
    let (router, mut ends) = app(KeepAlive::default(), Duration::from_secs(1));
    let server = serve(transport, router, Shutdown::new()).await;
    let mut connection = connect(&server).await;
    let (_, mut ticks) = connection.get("/ticks").await;
    // Never read: the stream's window (64 KiB) runs out at once.
    let started = Instant::now();
    let (_, mut stuck) = connection.get("/firehose").await;

    // Meanwhile the other stream on the same connection is read throughout.
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let (end, ended_at) = loop {
        tokio::select! {
            end = ends.recv() => break end.expect("hook channel open"),
            frame = ticks.frame() => {
                let data = frame.expect("ticks go on").unwrap().into_data().unwrap();
                text.push_str(std::str::from_utf8(&data).unwrap());
            }
            () = tokio::time::sleep_until(deadline) => panic!("the stuck stream was never dropped"),
        }
    };
    let took = ended_at - started;
    assert_eq!(end.reason, DisconnectReason::SendTimeout, "{end:?}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(2),
        "the stuck stream was dropped {took:?} after it opened (send timeout 1 s, + 1 s slack)"
    );
    let sent_before = text.matches("data: ").count();

    // The stuck stream was reset: reading it now gets its 64 KiB, then an error.
    let (received, clean) = read_to_end(&mut stuck).await;
    assert!(!clean, "the stuck stream is reset, not ended cleanly");
    assert!(received.len() >= STREAM_WINDOW as usize - 1024);
    // The other stream on the connection goes on.
    let mut pending = String::new();
    for _ in 0..5 {
        let block = next_block(&mut ticks, &mut pending).await;
        assert!(block.starts_with("data: "), "{block:?}");
    }
    assert!(
        !connection.driver.is_finished(),
        "the connection is still open"
    );
    eprintln!(
        "{transport:?}: stuck stream reset {took:?} after it opened (send timeout 1 s); \
         {sent_before} events of the other stream read meanwhile, and it goes on"
    );
}

async fn a_client_reset_runs_that_streams_hook_and_the_connection_goes_on(transport: Transport) {
    let (router, mut ends) = app(KeepAlive::default(), Duration::from_secs(1));
    let server = serve(transport, router, Shutdown::new()).await;
    let mut connection = connect(&server).await;
    let (_, mut kept) = connection.get("/ticks").await;
    let (_, mut cancelled) = connection.get("/idle").await;
    read_until(&mut cancelled, &mut String::new(), ":").await;
    // Dropping a response body sends RST_STREAM (CANCEL).
    let reset_at = Instant::now();
    drop(cancelled);
    let (end, ended_at) = next_end(&mut ends).await;
    let took = ended_at - reset_at;
    assert_eq!(end.reason, DisconnectReason::ClientGone);
    assert!(
        took < Duration::from_millis(100),
        "the hook ran {took:?} after the client's RST_STREAM"
    );
    read_until(&mut kept, &mut String::new(), "data: 3\n\n").await;
    let (status, mut another) = connection.get("/ticks").await;
    assert_eq!(status, 200);
    read_until(&mut another, &mut String::new(), "data: 0\n\n").await;
    eprintln!("{transport:?}: RST_STREAM → disconnect hook in {took:?}");
}

async fn shutdown_says_goodbye_on_every_stream_then_goaway_within_the_grace(transport: Transport) {
    let (router, mut ends) = app(KeepAlive::default(), Duration::from_secs(60));
    let grace = Duration::from_secs(1);
    let server = serve(transport, router, Shutdown::new().with_grace_period(grace)).await;
    let mut connection = connect(&server).await;
    let mut streams = Vec::new();
    for _ in 0..20 {
        let (_, mut body) = connection.get("/ticks").await;
        read_until(&mut body, &mut String::new(), "data: 0\n\n").await;
        streams.push(body);
    }
    // One stream nobody reads: its farewell cannot get through, and the grace
    // period must end it.
    let (_, _stuck) = connection.get("/firehose").await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let triggered = Instant::now();
    server.shutdown.trigger();
    for body in &mut streams {
        let (text, clean) = read_to_end(body).await;
        assert!(clean, "each stream ends cleanly: {text:?}");
        assert!(
            text.ends_with("event: shutdown\ndata: goodbye\n\n"),
            "each stream gets its farewell: {text:?}"
        );
    }
    let farewells = triggered.elapsed();
    tokio::time::timeout(grace + Duration::from_secs(1), server.task)
        .await
        .expect("the server exits within the grace + 1 s")
        .unwrap()
        .unwrap();
    let exited = triggered.elapsed();
    tokio::time::timeout(PATIENCE, connection.driver)
        .await
        .expect("the client's connection ends")
        .unwrap();
    let mut reasons = Vec::new();
    while let Ok(end) = ends.try_recv() {
        reasons.push(end.0.reason);
    }
    assert_eq!(reasons.len(), 21, "{reasons:?}");
    assert!(
        reasons.iter().all(|r| *r == DisconnectReason::Shutdown),
        "{reasons:?}"
    );
    assert!(
        connection.requests.is_closed(),
        "GOAWAY: no new stream can be opened"
    );
    eprintln!(
        "{transport:?}: 20 farewells in {farewells:?}; with one unread stream, exited in {exited:?} \
         (grace {grace:?})"
    );
}

async fn keep_alive_pings_each_idle_stream(transport: Transport) {
    let (router, _ends) = app(
        KeepAlive::every(Duration::from_millis(100)),
        Duration::from_secs(1),
    );
    let server = serve(transport, router, Shutdown::new()).await;
    let mut connection = connect(&server).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(connection.get("/idle").await.1);
    }
    // A busy stream on the same connection does not stand in for them.
    let (_, _busy) = connection.get("/ticks").await;
    for body in &mut idle {
        let mut pending = String::new();
        // The opening comment, then two pings, and nothing else.
        assert_eq!(next_block(body, &mut pending).await, ": \n\n");
        for _ in 0..2 {
            let block = next_block(body, &mut pending).await;
            assert_eq!(block, ": ping\n\n", "only pings on an idle stream");
        }
    }
}

async fn the_stream_limit_counts_streams_not_connections(transport: Transport) {
    let limit = StreamLimit::new(3);
    let router = Router::new().route(
        "/",
        get(move || {
            let limit = limit.clone();
            async move { SseResponse::new(futures_util::stream::pending::<Event>()).limit(&limit) }
        }),
    );
    let server = serve(transport, router, Shutdown::new()).await;
    let mut connection = connect(&server).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let (status, body) = connection.get("/").await;
        assert_eq!(status, 200);
        open.push(body);
    }
    let (status, _) = connection.get("/").await;
    assert_eq!(
        status, 503,
        "the 4th stream on the same connection is refused"
    );
    // Closing one stream frees its place for another on the same connection.
    drop(open.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, body) = connection.get("/").await;
        if status == 200 {
            open.push(body);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed place was never reused"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
