//! The README's compression caveat, checked: tower-http's `CompressionLayer`
//! forced onto event streams (`compress_when(SizeAbove::new(0))`) still
//! delivers each event when it is yielded, because it flushes the encoder
//! at every body frame.

use std::io::Write as _;

use axum::Router;
use axum::routing::get;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use sse_runtime::{Event, Shutdown, SseResponse};
use sse_test_support::{PATIENCE, serve};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;

#[tokio::test]
async fn a_compressed_stream_still_delivers_each_event_when_it_is_yielded() {
    // The second event is held back until the client has decoded the first:
    // if compression buffered, the first would never arrive and this test
    // would time out.
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let released = std::sync::Arc::new(std::sync::Mutex::new(Some(released)));
    let app = Router::new()
        .route(
            "/",
            get(move || {
                let released = released.lock().unwrap().take();
                async move {
                    SseResponse::new(async_stream::stream! {
                        yield Event::data("first");
                        if let Some(released) = released {
                            let _ = released.await;
                        }
                        yield Event::data("second");
                    })
                }
            }),
        )
        .layer(CompressionLayer::new().compress_when(SizeAbove::new(0)));
    let server = serve(app, Shutdown::new()).await;

    let socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(socket))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("/")
        .header("accept-encoding", "gzip")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut decoded = flate2::write::GzDecoder::new(Vec::new());

    let mut read_until = async |text: &str, decoded: &mut flate2::write::GzDecoder<Vec<u8>>| {
        tokio::time::timeout(PATIENCE, async {
            while !String::from_utf8_lossy(decoded.get_ref()).contains(text) {
                let frame = body.frame().await.expect("the stream went on").unwrap();
                if let Ok(data) = frame.into_data() {
                    decoded.write_all(&data).unwrap();
                    decoded.flush().unwrap();
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{text:?} never arrived, compressed: the encoder held it"));
    };
    read_until("data: first\n\n", &mut decoded).await;
    release.send(()).unwrap();
    read_until("data: second\n\n", &mut decoded).await;
    assert_eq!(
        String::from_utf8_lossy(decoded.get_ref()),
        ": \n\ndata: first\n\ndata: second\n\n"
    );
}
