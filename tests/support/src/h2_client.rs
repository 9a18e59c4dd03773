//! An HTTP/2 client over a real socket, HTTPS (ALPN `h2`, trusting one
//! certificate) or cleartext with prior knowledge: hyper's, with a small
//! stream window so that a stream it stops reading runs out of window after
//! 64 KiB. And a bare TLS connection, for tests that send raw bytes.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;

use crate::PATIENCE;

/// The stream window the client advertises.
pub const STREAM_WINDOW: u32 = 65_535;

/// A self-signed certificate for `localhost` and `127.0.0.1`: its PEM
/// certificate and key, and the certificate for a client to trust.
pub fn self_signed() -> (String, String, CertificateDer<'static>) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    (
        certified.cert.pem(),
        certified.signing_key.serialize_pem(),
        certified.cert.der().clone(),
    )
}

/// One HTTP/2 connection.
pub struct H2Connection {
    /// Opens streams.
    pub requests: SendRequest<Empty<Bytes>>,
    /// Drives the connection; ends when it does.
    pub driver: JoinHandle<()>,
}

/// Connects to `addr`: over TLS trusting `certificate` (which must name
/// `localhost`), or in cleartext with prior knowledge when it is `None`.
pub async fn connect_h2(
    addr: SocketAddr,
    certificate: Option<&CertificateDer<'static>>,
) -> H2Connection {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(16 * 1024 * 1024);
    let Some(certificate) = certificate else {
        let (requests, connection) = builder.handshake(TokioIo::new(tcp)).await.unwrap();
        let driver = tokio::spawn(async move { drop(connection.await) });
        return H2Connection { requests, driver };
    };
    let tls = tls_handshake(tcp, certificate, b"h2").await;
    let (requests, connection) = builder.handshake(TokioIo::new(tls)).await.unwrap();
    let driver = tokio::spawn(async move { drop(connection.await) });
    H2Connection { requests, driver }
}

/// A TLS connection to `addr`, trusting `certificate` (which must name
/// `localhost`) and agreeing to `alpn` (`b"h2"` or `b"http/1.1"`), for a
/// test to speak raw bytes over.
pub async fn connect_tls(
    addr: SocketAddr,
    certificate: &CertificateDer<'static>,
    alpn: &[u8],
) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    tls_handshake(tcp, certificate, alpn).await
}

async fn tls_handshake(
    tcp: TcpStream,
    certificate: &CertificateDer<'static>,
    alpn: &[u8],
) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(alpn),
        "the server agreed to {} by ALPN",
        String::from_utf8_lossy(alpn)
    );
    tls
}

impl H2Connection {
    /// Opens a stream: `GET path`, its status and body.
    pub async fn get(&mut self, path: &str) -> (u16, Incoming) {
        self.requests.ready().await.unwrap();
        let request = http::Request::get(format!("https://localhost{path}"))
            .body(Empty::new())
            .unwrap();
        let response = self.requests.send_request(request).await.unwrap();
        assert_eq!(response.version(), http::Version::HTTP_2);
        let status = response.status().as_u16();
        (status, response.into_body())
    }
}

/// Reads `body` until `text` contains `pattern`.
pub async fn read_until(body: &mut Incoming, text: &mut String, pattern: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !text.contains(pattern) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| panic!("no {pattern:?} in time; got {text:?}"))
            .unwrap_or_else(|| panic!("the stream ended before {pattern:?}; got {text:?}"))
            .unwrap_or_else(|error| panic!("the stream failed before {pattern:?}: {error}"));
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

/// The next block (up to its blank line) of `body`; `pending` keeps what
/// was read past it.
pub async fn next_block(body: &mut Incoming, pending: &mut String) -> String {
    read_until(body, pending, "\n\n").await;
    let end = pending.find("\n\n").unwrap() + 2;
    pending.drain(..end).collect()
}

/// Reads `body` to its end: what it said, and whether it ended cleanly
/// (rather than by a reset).
pub async fn read_to_end(body: &mut Incoming) -> (String, bool) {
    let mut text = String::new();
    loop {
        match tokio::time::timeout(PATIENCE, body.frame()).await {
            Err(_) => panic!("the stream did not end in time; got {text:?}"),
            Ok(None) => return (text, true),
            Ok(Some(Err(_))) => return (text, false),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    text.push_str(std::str::from_utf8(&data).unwrap());
                }
            }
        }
    }
}
