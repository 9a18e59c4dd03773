//! Where hyper's HTTP/1 connection meets the [`Handover`] on the lean path:
//! its service offers each event stream that may leave ([`LeanService`]),
//! and its socket tells of each flush ([`LeanIo`]), so that the stream
//! leaves once its head is out. Only lean connections are built with them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use http::Request;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::serve::http1::handover::{Handover, request_allows, response_allows};
use crate::serve::service::{RouterFuture, RouterService};
use crate::serve::socket::WatchedIo;

/// The router as a lean connection's service: an event stream answering a
/// request that may go lean is offered to the handover, and hyper gets its
/// placeholder.
pub(crate) struct LeanService {
    pub(crate) router: RouterService,
    pub(crate) handover: Handover,
}

impl hyper::service::Service<Request<Incoming>> for LeanService {
    type Response = http::Response<Body>;
    type Error = std::convert::Infallible;
    type Future = RouterFuture;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let handover = request_allows(&request).then(|| self.handover.clone());
        self.router
            .respond_with(request.map(Body::new), move |response| match handover {
                Some(handover) if response_allows(&response) => {
                    response.map(|body| handover.offer(body))
                }
                _ => response,
            })
    }
}

pin_project_lite::pin_project! {
    /// A lean connection's socket: tells the handover of each completed
    /// flush, since an event stream may leave hyper's connection only once
    /// everything hyper wrote is out.
    pub(crate) struct LeanIo {
        #[pin]
        io: WatchedIo,
        handover: Handover,
    }
}

impl LeanIo {
    pub(crate) fn new(io: WatchedIo, handover: Handover) -> Self {
        Self { io, handover }
    }

    pub(crate) fn into_inner(self) -> WatchedIo {
        self.io
    }
}

impl AsyncRead for LeanIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().io.poll_read(cx, buf)
    }
}

impl AsyncWrite for LeanIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let flushed = this.io.poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            this.handover.note_flushed();
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}
