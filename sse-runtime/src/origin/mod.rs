//! [`OriginCheck`]: refuses requests from web pages of other sites (`403`),
//! and requests that reached this server under a host name it does not
//! serve, before any handler runs.
//!
//! A browser lets any page send `POST`s and open `EventSource`s to any
//! address, including `127.0.0.1`; it only withholds the answer unless CORS
//! allows it. A server on localhost that acts on requests (an MCP server
//! running tools, a dev server) must therefore refuse what other sites
//! send, whose `Origin` says where they come from. DNS rebinding goes
//! further: a page of `evil.example` whose name now resolves to 127.0.0.1 is
//! same-origin with it, so its requests carry `Host: evil.example:8000`;
//! checking `Host` stops those. Every name a request gives its host must be
//! allowed: its `Host` and, when the target has one (absolute-form, or
//! HTTP/2's `:authority`), the target's, since something further on may
//! read either. Two `Host` headers are refused outright (RFC 9112 §3.2 makes
//! such a request invalid). These host checks apply once hosts are checked:
//! with [`OriginCheck::localhost`] or an [`allow_host`](OriginCheck::allow_host).
//!
//! ```
//! use axum::{Router, routing::post};
//! use sse_runtime::origin::OriginCheck;
//!
//! async fn tool() -> &'static str { "ran" }
//!
//! // A local tool server: pages from anywhere but localhost get 403, and
//! // so does any request whose Host is not a loopback name.
//! let app: Router = Router::new()
//!     .route("/mcp", post(tool))
//!     .layer(OriginCheck::localhost());
//! # drop(app);
//!
//! // A deployed one: its own front end, under its own name.
//! let app: Router = Router::new()
//!     .route("/mcp", post(tool))
//!     .layer(
//!         OriginCheck::new()
//!             .allow_origin("https://app.example.com")
//!             .allow_host("api.example.com"),
//!     );
//! # drop(app);
//! ```
//!
//! A request without `Origin` (curl, SDK clients, server-to-server) is let
//! through: only browsers send it, and they always do on cross-origin
//! requests. `Origin: null` (sandboxed frames, `file:` pages) is refused
//! unless allowed by name.

mod names;
mod rules;

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use http::{Request, StatusCode, header};
use tower_layer::Layer;
use tower_service::Service;

use self::names::{Origin, host_names, origin};
use self::rules::Rules;

/// A layer that answers `403 Forbidden` to a request whose `Origin` or
/// `Host` it does not allow (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct OriginCheck {
    rules: Arc<Rules>,
}

impl OriginCheck {
    /// Allows no browser origin and any host: add what to allow with
    /// [`allow_origin`](Self::allow_origin) and [`allow_host`](Self::allow_host).
    pub fn new() -> Self {
        Self::default()
    }

    /// For a server on this machine: allows pages served from `localhost`,
    /// `127.0.0.1` or `[::1]` (any port, `http` or `https`), and only those
    /// names as `Host`, which stops DNS rebinding. Add more with the
    /// builder methods.
    pub fn localhost() -> Self {
        Self {
            rules: Arc::new(Rules {
                loopback: true,
                ..Rules::default()
            }),
        }
    }

    /// Also allows pages from `origin`, written as browsers send it:
    /// `scheme://host`, with `:port` unless it is the scheme's default
    /// (`https://app.example.com`, `http://localhost:5173`), or `null`.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        let origin = origin.into().trim_end_matches('/').to_ascii_lowercase();
        Arc::make_mut(&mut self.rules).origins.push(origin);
        self
    }

    /// Also allows `host` (`api.example.com`, or with a port:
    /// `api.example.com:8443`) as the request's `Host`. Once a host is
    /// allowed, any other is refused; without one (and without
    /// [`localhost`](Self::localhost)) every host is allowed.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        let host = host.into().to_ascii_lowercase();
        Arc::make_mut(&mut self.rules).hosts.push(host);
        self
    }

    /// Why `request` is refused, or `None` when it may go on.
    fn refusal<B>(&self, request: &Request<B>) -> Option<&'static str> {
        let rules = &self.rules;
        if rules.checks_hosts() {
            let names = match host_names(request) {
                Ok(names) => names,
                Err(why) => return Some(why),
            };
            let mut names = names.into_iter().flatten().peekable();
            if names.peek().is_none() || !names.all(|name| rules.allows_host(name)) {
                return Some("this server does not serve that host name");
            }
        }
        match origin(request.headers()) {
            Origin::Absent => None,
            Origin::Unreadable => Some("the Origin header is not a valid origin"),
            Origin::Present(origin) if rules.allows_origin(origin) => None,
            Origin::Present(_) => Some("requests from this origin are not allowed"),
        }
    }
}

impl<S> Layer<S> for OriginCheck {
    type Service = OriginChecked<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OriginChecked {
            inner,
            check: self.clone(),
        }
    }
}

/// The service [`OriginCheck`] wraps around an inner one.
#[derive(Debug, Clone)]
pub struct OriginChecked<S> {
    inner: S,
    check: OriginCheck,
}

impl<S, B> Service<Request<B>> for OriginChecked<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<S::Future, Ready<Result<Response, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        match self.check.refusal(&request) {
            None => Either::Left(self.inner.call(request)),
            Some(why) => {
                tracing::warn!(
                    origin = ?request.headers().get(header::ORIGIN),
                    host = ?request.headers().get(header::HOST),
                    path = request.uri().path(),
                    why,
                    "request refused"
                );
                let response = (StatusCode::FORBIDDEN, Body::from(why)).into_response();
                Either::Right(ready(Ok(response)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: Option<&str>, origins: &[&str]) -> Request<()> {
        request_to("/mcp", host, origins)
    }

    fn request_to(target: &str, host: Option<&str>, origins: &[&str]) -> Request<()> {
        let mut builder = Request::builder().uri(target);
        if let Some(host) = host {
            builder = builder.header(header::HOST, host);
        }
        for origin in origins {
            builder = builder.header(header::ORIGIN, *origin);
        }
        builder.body(()).unwrap()
    }

    /// `request(Some(first), &[])` with a second `Host` header.
    fn two_hosts(first: &str, second: &str) -> Request<()> {
        let mut request = request(Some(first), &[]);
        request
            .headers_mut()
            .append(header::HOST, second.parse().unwrap());
        request
    }

    #[test]
    fn localhost_allows_loopback_pages_and_names_only() {
        let check = OriginCheck::localhost();
        for (host, origins) in [
            ("127.0.0.1:8000", &[][..]),
            ("localhost:8000", &["http://localhost:5173"][..]),
            ("LOCALHOST", &["https://127.0.0.1"][..]),
            ("[::1]:8000", &["http://[::1]:3000"][..]),
        ] {
            assert_eq!(
                check.refusal(&request(Some(host), origins)),
                None,
                "{host} {origins:?}"
            );
        }
        for (host, origins) in [
            // DNS rebinding: same origin as the page, a foreign host name.
            ("evil.example:8000", &["http://evil.example:8000"][..]),
            ("evil.example", &[][..]),
            ("127.0.0.1:8000", &["https://evil.example"][..]),
            ("127.0.0.1:8000", &["http://localhost.evil.example"][..]),
            ("127.0.0.1:8000", &["http://127.0.0.1.evil.example:80"][..]),
            ("127.0.0.1:8000", &["null"][..]),
            ("127.0.0.1:8000", &["ftp://localhost"][..]),
            (
                "127.0.0.1:8000",
                &["http://localhost", "http://localhost"][..],
            ),
            ("127.0.0.1:x", &[][..]),
        ] {
            assert!(
                check.refusal(&request(Some(host), origins)).is_some(),
                "{host} {origins:?}"
            );
        }
        assert!(
            check.refusal(&request(None, &[])).is_some(),
            "no host at all"
        );
    }

    #[test]
    fn every_name_the_request_gives_its_host_must_be_allowed() {
        let check = OriginCheck::localhost();
        assert!(
            check
                .refusal(&two_hosts("localhost", "evil.example"))
                .is_some()
        );
        assert!(
            check
                .refusal(&two_hosts("localhost", "localhost"))
                .is_some(),
            "two is never a browser"
        );

        let absolute = |target: &str, host: Option<&str>| request_to(target, host, &[]);
        for (target, host) in [
            ("http://evil.example/mcp", Some("localhost")),
            ("http://evil.example/mcp", None),
            ("http://localhost/mcp", Some("evil.example")),
        ] {
            assert!(
                check.refusal(&absolute(target, host)).is_some(),
                "{target} {host:?}"
            );
        }
        // A proxy's absolute-form, and HTTP/2's `:authority` with `Host`:
        // both names are this machine's, however spelled.
        for (target, host) in [
            ("http://LOCALHOST:8000/mcp", Some("localhost:8000")),
            ("http://127.0.0.1:8000/mcp", Some("localhost:8000")),
            ("http://localhost:80/mcp", Some("localhost")),
            ("http://localhost/mcp", None),
        ] {
            assert_eq!(
                check.refusal(&absolute(target, host)),
                None,
                "{target} {host:?}"
            );
        }
    }

    #[test]
    fn named_origins_and_hosts() {
        let check = OriginCheck::new()
            .allow_origin("https://App.example.com/")
            .allow_host("api.example.com");
        assert_eq!(
            check.refusal(&request(
                Some("api.example.com"),
                &["https://app.example.com"]
            )),
            None
        );
        assert_eq!(check.refusal(&request(Some("API.example.com"), &[])), None);
        assert!(
            check
                .refusal(&request(
                    Some("api.example.com"),
                    &["http://app.example.com"]
                ))
                .is_some()
        );
        assert!(check.refusal(&request(Some("localhost"), &[])).is_some());
        assert!(
            check
                .refusal(&two_hosts("api.example.com", "localhost"))
                .is_some(),
            "allowed hosts are not guessed either"
        );

        let any_host = OriginCheck::new().allow_origin("null");
        assert_eq!(check_any(&any_host, "anything", &["null"]), None);
        assert!(check_any(&any_host, "anything", &["http://localhost"]).is_some());
    }

    fn check_any(check: &OriginCheck, host: &str, origins: &[&str]) -> Option<&'static str> {
        check.refusal(&request(Some(host), origins))
    }
}
