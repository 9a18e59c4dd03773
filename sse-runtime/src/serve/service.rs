//! The router as one connection's service (hyper's under `sse_runtime::serve`,
//! tower's under `axum::serve`): it adds what handlers may extract, and notes
//! which response is an event stream.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response};
use hyper::body::Incoming;
use tower_service::Service;

use crate::response::Enforcement;
use crate::serve::body_timeout::RequestBodyTimeout;
use crate::serve::h2;
use crate::serve::socket::CurrentStream;
use crate::shutdown::Shutdown;

/// One connection's view of the router, as [`MakeService`](crate::serve::MakeService)
/// makes it for each connection `axum::serve` accepts from an
/// [`SseListener`](crate::serve::SseListener). Nothing to build or call by hand.
///
/// ```
/// fn a_tower_service<S: tower_service::Service<axum::extract::Request>>() {}
/// a_tower_service::<sse_runtime::serve::RouterService>();
/// ```
#[derive(Clone, Debug)]
pub struct RouterService {
    pub(crate) router: Router,
    pub(crate) shutdown: Shutdown,
    pub(crate) peer: SocketAddr,
    pub(crate) current: CurrentStream,
    /// Each frame of a request body is due within this, once read.
    pub(crate) body_timeout: RequestBodyTimeout,
}

impl RouterService {
    /// The router's response to `request`, passed through `finish` once
    /// made (the lean path's hook, `http1::LeanService`).
    pub(crate) fn respond_with<F>(&self, request: Request<Body>, finish: F) -> RouterFuture
    where
        F: FnOnce(Response<Body>) -> Response<Body> + Send + 'static,
    {
        let mut request = self.body_timeout.apply(request);
        request.extensions_mut().insert(self.shutdown.clone());
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let http1 = request.version() < http::Version::HTTP_2;
        let response = self.router.clone().call(request);
        let current = self.current.clone();
        let shutdown = self.shutdown.clone();
        Box::pin(async move {
            let mut response = response.await?;
            let stream = response.extensions().get::<Arc<Enforcement>>().cloned();
            if http1 && stream.is_none() && !shutdown.is_ready() {
                // Draining: a proxy's pooled connection is closed after this
                // answer, so that its next request opens one it can route
                // elsewhere, rather than racing the close when accepting
                // stops. (An event stream ends with the drain anyway.)
                response.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
            }
            // An HTTP/2 stream's own task enforces its send timeout; otherwise
            // the connection's socket does, for the one stream it carries.
            let own_task = stream.as_ref().is_some_and(h2::attach);
            if let Some(stream) = &stream {
                stream.mark_enforced();
            }
            if !own_task {
                current.set(stream);
            }
            Ok(finish(response))
        })
    }

    fn respond(&self, request: Request<Body>) -> RouterFuture {
        self.respond_with(request, std::convert::identity)
    }
}

/// What the service answers with.
pub(crate) type RouterFuture =
    Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for RouterService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = RouterFuture;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.respond(request.map(Body::new))
    }
}

impl Service<Request<Body>> for RouterService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = RouterFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        self.respond(request)
    }
}
