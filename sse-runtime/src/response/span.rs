//! A stream's tracing span: named after OpenTelemetry's HTTP semantic
//! conventions where they have a name, opened with what the request said,
//! closed with how the stream ended, so that a `tracing-opentelemetry` layer
//! exports one span per stream with its outcome.

use std::net::SocketAddr;

use axum::extract::MatchedPath;
use http::HeaderValue;

/// The longest `Last-Event-ID` recorded on a span.
const MAX_RECORDED_ID: usize = 128;

/// The stream's span, named after OpenTelemetry's HTTP conventions where
/// they have a name (`http.route`, `client.address`, `client.port`); how it
/// ended is recorded on it when it closes (see [`record_close`]).
pub(crate) fn stream_span(
    route: Option<&MatchedPath>,
    peer: Option<SocketAddr>,
    last_event_id: Option<&HeaderValue>,
) -> tracing::Span {
    use tracing::field::Empty;
    let span = tracing::info_span!(
        "sse.stream",
        http.route = Empty,
        client.address = Empty,
        client.port = Empty,
        sse.last_event_id = Empty,
        sse.close_reason = Empty,
        sse.events = Empty,
        sse.bytes = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    if let Some(route) = route {
        span.record("http.route", route.as_str());
    }
    if let Some(peer) = peer {
        span.record("client.address", tracing::field::display(peer.ip()));
        span.record("client.port", i64::from(peer.port()));
    }
    if let Some(id) = last_event_id.and_then(|id| id.to_str().ok()) {
        // The span keeps what it records for the stream's life: a client's
        // header, up to hyper's limit, is not kept whole.
        match id.len() {
            0..=MAX_RECORDED_ID => span.record("sse.last_event_id", id),
            _ => span.record("sse.last_event_id", "(longer than 128 bytes)"),
        };
    }
    span
}

/// Records on `span`, the stream's own, why it ended (a
/// `DisconnectReason`'s name) and what it sent.
pub(crate) fn record_close(span: &tracing::Span, reason: &'static str, events: u64, bytes: u64) {
    span.record("sse.close_reason", reason);
    // As i64, the integers OpenTelemetry's attributes hold (a u64 reaches
    // an exporter as text).
    span.record("sse.events", i64::try_from(events).unwrap_or(i64::MAX));
    span.record("sse.bytes", i64::try_from(bytes).unwrap_or(i64::MAX));
}
