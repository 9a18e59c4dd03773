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
//! checking `Host` stops those. A request that names its host twice,
//! differently (two `Host` headers, or an absolute-form target or HTTP/2
//! `:authority` that disagrees with `Host`), is refused rather than
//! guessed: something further on may read the other name.
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

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use http::{HeaderMap, Request, StatusCode, header};
use tower_layer::Layer;
use tower_service::Service;

/// A layer that answers `403 Forbidden` to a request whose `Origin` or
/// `Host` it does not allow (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct OriginCheck {
    rules: Arc<Rules>,
}

#[derive(Debug, Clone, Default)]
struct Rules {
    /// `scheme://host[:port]`, lowercase.
    origins: Vec<String>,
    /// `host[:port]`, lowercase; empty: any host.
    hosts: Vec<String>,
    /// Origins and hosts that name this machine, on any port.
    loopback: bool,
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
    /// [`localhost`](Self::localhost)) every host is.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        let host = host.into().to_ascii_lowercase();
        Arc::make_mut(&mut self.rules).hosts.push(host);
        self
    }

    /// Why `request` is refused, or `None` when it may go on.
    fn refusal<B>(&self, request: &Request<B>) -> Option<&'static str> {
        let rules = &self.rules;
        if rules.loopback || !rules.hosts.is_empty() {
            let host = match host(request) {
                Host::Ambiguous => {
                    return Some("the request names its host more than once, differently");
                }
                Host::Named(host) => Some(host),
                Host::Unnamed => None,
            };
            let allowed = host.is_some_and(|host| rules.allows_host(host));
            if !allowed {
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

enum Host<'a> {
    Unnamed,
    Named(&'a str),
    /// Two `Host` headers, or a target's authority (absolute-form, or
    /// HTTP/2's `:authority`) and a `Host` that disagree: a proxy or a
    /// server further on may read the other one, so no name is trusted.
    Ambiguous,
}

fn host<B>(request: &Request<B>) -> Host<'_> {
    let mut values = request.headers().get_all(header::HOST).iter();
    let header = match (values.next(), values.next()) {
        (_, Some(_)) => return Host::Ambiguous,
        (None, None) => None,
        (Some(value), None) => match value.to_str() {
            Ok(value) => Some(value),
            Err(_) => return Host::Ambiguous,
        },
    };
    let target = request
        .uri()
        .authority()
        .map(|authority| authority.as_str());
    match (target, header) {
        (Some(target), Some(header)) if !target.eq_ignore_ascii_case(header) => Host::Ambiguous,
        (Some(name), _) | (None, Some(name)) => Host::Named(name),
        (None, None) => Host::Unnamed,
    }
}

enum Origin<'a> {
    Absent,
    Unreadable,
    Present(&'a str),
}

fn origin(headers: &HeaderMap) -> Origin<'_> {
    let mut values = headers.get_all(header::ORIGIN).iter();
    match (values.next(), values.next()) {
        (None, _) => Origin::Absent,
        (Some(value), None) => value.to_str().map_or(Origin::Unreadable, Origin::Present),
        // Browsers send one; two is not a browser, and not to be guessed.
        (Some(_), Some(_)) => Origin::Unreadable,
    }
}

impl Rules {
    fn allows_origin(&self, origin: &str) -> bool {
        if self
            .origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        if !self.loopback {
            return false;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
            && is_loopback_authority(authority)
    }

    fn allows_host(&self, host: &str) -> bool {
        self.hosts
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host))
            || (self.loopback && is_loopback_authority(host))
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, with an optional numeric port.
fn is_loopback_authority(authority: &str) -> bool {
    let name = match authority.rsplit_once(':') {
        // `[::1]` alone has colons inside the brackets, and no port.
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !name.ends_with(':') =>
        {
            name
        }
        _ => authority,
    };
    name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "[::1]"
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
        let mut builder = Request::builder().uri("/mcp");
        if let Some(host) = host {
            builder = builder.header(header::HOST, host);
        }
        for origin in origins {
            builder = builder.header(header::ORIGIN, *origin);
        }
        builder.body(()).unwrap()
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
    fn a_host_named_twice_differently_is_refused() {
        let check = OriginCheck::localhost();
        let mut twice = request(Some("localhost"), &[]);
        twice
            .headers_mut()
            .append(header::HOST, "evil.example".parse().unwrap());
        assert!(check.refusal(&twice).is_some(), "two Host headers");
        let mut same_twice = request(Some("localhost"), &[]);
        same_twice
            .headers_mut()
            .append(header::HOST, "localhost".parse().unwrap());
        assert!(
            check.refusal(&same_twice).is_some(),
            "two is never a browser"
        );

        let absolute = |host: Option<&str>| {
            let mut builder = Request::builder().uri("http://evil.example/mcp");
            if let Some(host) = host {
                builder = builder.header(header::HOST, host);
            }
            builder.body(()).unwrap()
        };
        assert!(check.refusal(&absolute(Some("localhost"))).is_some());
        assert!(
            check.refusal(&absolute(None)).is_some(),
            "the target names evil.example"
        );
        let agreeing = Request::builder()
            .uri("http://LOCALHOST:8000/mcp")
            .header(header::HOST, "localhost:8000")
            .body(())
            .unwrap();
        assert_eq!(
            check.refusal(&agreeing),
            None,
            "HTTP/2's :authority with its Host"
        );
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
        let mut twice = request(Some("api.example.com"), &[]);
        twice
            .headers_mut()
            .append(header::HOST, "localhost".parse().unwrap());
        assert!(
            check.refusal(&twice).is_some(),
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
