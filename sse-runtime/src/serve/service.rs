//! The router as one connection's hyper service: it adds what handlers may
//! extract, and notes which response is an event stream.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response};
use hyper::body::Incoming;
use tower_service::Service;

use crate::response::Enforcement;
use crate::serve::current_stream::CurrentStream;
use crate::shutdown::Shutdown;

/// One connection's view of the router.
#[derive(Clone)]
pub(crate) struct RouterService {
    pub(crate) router: Router,
    pub(crate) shutdown: Shutdown,
    pub(crate) peer: SocketAddr,
    pub(crate) current: CurrentStream,
}

impl hyper::service::Service<Request<Incoming>> for RouterService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(self.shutdown.clone());
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let response = self.router.clone().call(request);
        let current = self.current.clone();
        Box::pin(async move {
            let response = response.await?;
            let stream = response.extensions().get::<Arc<Enforcement>>().cloned();
            if let Some(stream) = &stream {
                stream.mark_enforced();
            }
            current.set(stream);
            Ok(response)
        })
    }
}
