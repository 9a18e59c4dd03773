//! [`SseResponse`]: any stream of events as an axum response, and its
//! builder.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

use crate::event::{Event, LineEnding};
use crate::response::body::SseBody;
use crate::response::config::Config;
use crate::response::disconnect::Disconnect;
use crate::response::enforcement::Enforcement;
use crate::response::keep_alive::KeepAlive;
use crate::response::limit::StreamLimit;
use crate::response::max_duration::MaxDuration;
use crate::response::stream::{BoxError, EventStream};
use crate::shutdown::Shutdown;

/// A `text/event-stream` response that writes every item of `stream` as one
/// event.
///
/// The stream may yield anything that implements
/// [`SseEvent`](crate::SseEvent) ([`Event`], [`Json`](crate::Json),
/// `String`, `&'static str`, derived event types), or `Result`s of those.
///
/// | setting | default |
/// |---|---|
/// | [`status`](Self::status) | `200 OK` |
/// | headers | `content-type: text/event-stream`, `cache-control: no-cache`, `x-accel-buffering: no`; [`header`](Self::header) adds or overrides |
/// | [`retry`](Self::retry) | none (browsers wait about 3 s) |
/// | [`keep_alive`](Self::keep_alive) | `: ping` after [`DEFAULT_KEEP_ALIVE`](crate::DEFAULT_KEEP_ALIVE) idle |
/// | [`line_ending`](Self::line_ending) | `\n` |
/// | [`send_timeout`](Self::send_timeout) | [`DEFAULT_SEND_TIMEOUT`](crate::DEFAULT_SEND_TIMEOUT); `Duration::ZERO` turns it off |
/// | [`shutdown`](Self::shutdown) | none |
/// | [`on_shutdown`](Self::on_shutdown) | none: the generator keeps running until it ends or the grace period passes |
/// | [`on_disconnect`](Self::on_disconnect) | none |
/// | [`error_event`](Self::error_event) | none: an error is logged and the stream ends |
/// | [`limit`](Self::limit) | none |
///
/// The body starts with a frame of its own (the `retry:` line, or an empty
/// comment) so that headers reach the client at once and a browser's `open`
/// fires before the first event. A `HEAD` request gets the headers only: axum
/// drops the body unpolled, so the stream is never started.
///
/// ```
/// use axum::{Router, routing::get};
/// use futures_core::Stream;
/// use sse_runtime::{Event, SseResponse};
/// use std::time::Duration;
///
/// async fn countdown() -> SseResponse<impl Stream<Item = Event>> {
///     let events = async_stream::stream! {
///         for n in (1..=3).rev() {
///             yield Event::data(n.to_string());
///             tokio::time::sleep(Duration::from_secs(1)).await;
///         }
///         yield Event::data("liftoff").event("done").expect("a valid literal name");
///     };
///     SseResponse::new(events)
///         .retry(Duration::from_secs(5))
///         .send_timeout(Duration::from_secs(10))
///         .on_disconnect(|end| async move { tracing::info!(reason = %end.reason, "gone") })
/// }
///
/// let app: Router = Router::new().route("/countdown", get(countdown));
/// # drop(app);
/// ```
#[must_use = "a response does nothing unless returned from a handler"]
pub struct SseResponse<S> {
    events: S,
    config: Config,
}

impl<S> SseResponse<S>
where
    S: EventStream + Send + 'static,
{
    /// A response streaming `events`, with the defaults in the table above.
    pub fn new(events: S) -> Self {
        Self {
            events,
            config: Config::default(),
        }
    }
}

impl<S> SseResponse<S> {
    /// Sets the status code (default `200`). Browsers only accept a stream
    /// with `200`; `204` tells them to stop reconnecting.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.config.status = status;
        self
    }

    /// Adds a header, replacing a default one of the same name
    /// (`cache-control: no-store`, say).
    ///
    /// `content-type` can be replaced too, but browsers then refuse the
    /// stream; `connection` is dropped because HTTP/2 forbids it.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        if name == header::CONNECTION {
            tracing::warn!("ignoring a `connection` header on an event stream: HTTP/2 forbids it");
            return self;
        }
        self.config.headers.insert(name, value);
        self
    }

    /// Sends `retry: <ms>` first, setting how long the client waits before it
    /// reconnects.
    pub fn retry(mut self, retry: Duration) -> Self {
        self.config.retry = Some(retry);
        self
    }

    /// Sets the keep-alive (default: `: ping` after [`DEFAULT_KEEP_ALIVE`](crate::DEFAULT_KEEP_ALIVE) without a frame).
    /// [`KeepAlive::disabled`] turns it off.
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.config.keep_alive = keep_alive;
        self
    }

    /// Sets the line ending written after every line (default `\n`).
    pub fn line_ending(mut self, line_ending: LineEnding) -> Self {
        self.config.line_ending = line_ending;
        self
    }

    /// Drops the client when one write (of an event or a ping) waits longer
    /// than `timeout` because the client stopped reading. Its memory is freed
    /// and `on_disconnect` runs with
    /// [`DisconnectReason::SendTimeout`](crate::DisconnectReason::SendTimeout).
    /// [`DEFAULT_SEND_TIMEOUT`](crate::DEFAULT_SEND_TIMEOUT) unless set;
    /// `Duration::ZERO` turns it off.
    ///
    /// Enforced by the connection's socket, so it needs
    /// [`serve`](crate::serve()), or `axum::serve` on an
    /// [`SseListener`](crate::SseListener) with
    /// [`make_service`](crate::make_service): hyper stops polling a body while
    /// the socket is full, so no timer in the body could fire. Served any
    /// other way, the timeout is not enforced and an ERROR (once per process)
    /// says how to fix it.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.config.send_timeout = (!timeout.is_zero()).then_some(timeout);
        self
    }

    /// Ends the stream cleanly once it has been open for `max`'s limit (less
    /// a random part of its jitter), after its farewell if it has one, so that
    /// the client reconnects with `Last-Event-ID`: to a new version of the
    /// server after a rolling deploy, or to have its credentials checked
    /// again. See [`MaxDuration`].
    pub fn max_duration(mut self, max: MaxDuration) -> Self {
        self.config.max_duration = Some(max);
        self
    }

    /// Ends this stream when `shutdown` is triggered: after the
    /// [`on_shutdown`](Self::on_shutdown) hook's farewell if there is one, or
    /// when the generator ends, or by force after the grace period.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.config.shutdown = Some(shutdown);
        self
    }

    /// On shutdown, stops the generator and sends the events `hook` returns
    /// (a farewell) before ending the stream. Needs [`shutdown`](Self::shutdown).
    ///
    /// ```
    /// # use sse_runtime::{Event, Shutdown, SseResponse};
    /// # fn build(shutdown: Shutdown, events: futures_util::stream::Pending<Event>) -> SseResponse<futures_util::stream::Pending<Event>> {
    /// SseResponse::new(events)
    ///     .shutdown(shutdown)
    ///     .on_shutdown(|| async {
    ///         vec![Event::data("server restarting").event("shutdown").expect("literal")]
    ///     })
    /// # }
    /// # let _ = build;
    /// ```
    pub fn on_shutdown<F, Fut>(mut self, hook: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Event>> + Send + 'static,
    {
        self.config.on_shutdown = Some(Box::new(move || Box::pin(hook())));
        self
    }

    /// Runs `hook` once the stream has ended, for whatever reason, after the
    /// generator has been dropped and the stream no longer counts against its
    /// [`limit`](Self::limit). It is spawned on the runtime, so it may take
    /// its time without holding the connection.
    pub fn on_disconnect<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Disconnect) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.config.on_disconnect = Some(Arc::new(move |end| Box::pin(hook(end))));
        self
    }

    /// What to send when the stream yields an error (or an event that cannot
    /// be written): the event `to_event` returns is sent last, then the
    /// stream ends. Without it, the error is logged and the stream ends.
    ///
    /// Error messages can reveal internals; send them only if clients may see
    /// them.
    ///
    /// ```
    /// # use sse_runtime::{Event, SseResponse};
    /// # fn build(events: futures_util::stream::Pending<Result<Event, std::io::Error>>) -> SseResponse<futures_util::stream::Pending<Result<Event, std::io::Error>>> {
    /// SseResponse::new(events).error_event(|_error| {
    ///     Some(Event::data("internal error").event("error").expect("literal"))
    /// })
    /// # }
    /// # let _ = build;
    /// ```
    pub fn error_event<F>(mut self, to_event: F) -> Self
    where
        F: Fn(&BoxError) -> Option<Event> + Send + Sync + 'static,
    {
        self.config.error_event = Some(Arc::new(to_event));
        self
    }

    /// Counts this stream against `limit`; past its maximum the response is
    /// `503 Service Unavailable` with `Retry-After`, and the stream is never
    /// started.
    pub fn limit(mut self, limit: &StreamLimit) -> Self {
        self.config.limit = Some(limit.clone());
        self
    }
}

impl<S> SseResponse<S> {
    /// Names the client, for logs and [`Disconnect::peer`]. `#[sse_endpoint]`
    /// sets it from `ConnectInfo`, which [`serve`](crate::serve()) provides.
    ///
    /// ```
    /// # use sse_runtime::{Event, SseResponse};
    /// use axum::extract::ConnectInfo;
    /// use std::net::SocketAddr;
    ///
    /// async fn events(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> SseResponse<futures_util::stream::Pending<Event>> {
    ///     SseResponse::new(futures_util::stream::pending()).peer(peer)
    /// }
    /// # let _ = events;
    /// ```
    pub fn peer(mut self, peer: std::net::SocketAddr) -> Self {
        self.config.peer = Some(peer);
        self
    }

    /// Names the route the stream was matched on, for its span's
    /// `http.route` and the metrics' `route` label (a template such as
    /// `/rooms/{room}`, so that labels stay few). `#[sse_endpoint]` sets it
    /// from axum's `MatchedPath`; without it the label is `unknown`.
    ///
    /// ```
    /// # use sse_runtime::{Event, SseResponse};
    /// use axum::extract::MatchedPath;
    ///
    /// async fn events(route: MatchedPath) -> SseResponse<futures_util::stream::Pending<Event>> {
    ///     SseResponse::new(futures_util::stream::pending()).route(route)
    /// }
    /// # let _ = events;
    /// ```
    pub fn route(mut self, route: axum::extract::MatchedPath) -> Self {
        self.config.route = Some(route);
        self
    }

    /// Records the request's `Last-Event-ID` on the stream's span
    /// (`sse.last_event_id`, up to 128 bytes), so that a trace shows where
    /// a client resumed. `#[sse_endpoint]` sets it; nothing sent changes.
    ///
    /// ```
    /// # use sse_runtime::{Event, SseResponse};
    /// use axum::http::HeaderMap;
    ///
    /// async fn events(headers: HeaderMap) -> SseResponse<futures_util::stream::Pending<Event>> {
    ///     let response = SseResponse::new(futures_util::stream::pending());
    ///     let Some(id) = headers.get("last-event-id") else { return response };
    ///     response.trace_last_event_id(id.clone())
    /// }
    /// # let _ = events;
    /// ```
    pub fn trace_last_event_id(mut self, header: http::HeaderValue) -> Self {
        self.config.last_event_id = Some(header);
        self
    }
}

impl<S> IntoResponse for SseResponse<S>
where
    S: EventStream + Send + 'static,
{
    fn into_response(self) -> Response {
        let Config {
            status,
            headers,
            limit,
            ..
        } = &self.config;
        let permit = match limit.as_ref().map(StreamLimit::try_acquire) {
            Some(Err(refused)) => {
                crate::metrics::refused(self.config.route.as_ref().map(|r| r.as_str()));
                return *refused;
            }
            Some(Ok(permit)) => Some(permit),
            None => None,
        };
        let (status, extra_headers) = (*status, headers.clone());
        let enforcement = Arc::new(Enforcement::new(self.config.send_timeout));
        let body = SseBody::new(self.events, self.config, enforcement.clone(), permit);

        let mut response = Response::new(Body::new(body));
        *response.status_mut() = status;
        // hyper keeps the response's header map for its next response, that
        // is for as long as the stream is open: size it for exactly our
        // headers rather than the default first allocation.
        *response.headers_mut() = HeaderMap::with_capacity(3 + extra_headers.len());
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        );
        for (name, value) in &extra_headers {
            headers.insert(name, value.clone());
        }
        // For `serve`, which enforces the send timeout on the connection.
        response.extensions_mut().insert(enforcement);
        response
    }
}

impl<S> std::fmt::Debug for SseResponse<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.config.fmt(f)
    }
}
