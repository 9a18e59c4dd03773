//! What the runtime counts, through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`): the application installs the exporter it likes
//! (`metrics-exporter-prometheus` in this repository's `observability`
//! example), and every stream and hub reports to it. Without the feature
//! nothing is counted: the handles below are empty types, and an idle
//! stream is no bigger.
//!
//! ```
//! # #[cfg(feature = "metrics")]
//! # fn install() {
//! // Install the recorder first: a stream or hub made before it reports to
//! // no one (the facade's handles are taken when a stream opens and a hub is
//! // made, so that counting costs no lookup and no allocation).
//! // metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
//! sse_runtime::metrics::describe();
//! # }
//! ```
//!
//! Names follow Prometheus' conventions (`_total` for counters, base units
//! in the name). Labels are bounded: `route` is the route's template as axum
//! matched it (`/rooms/{room}`, never the raw path; `unknown` for a response
//! built without one, see [`SseResponse::route`](crate::SseResponse::route)),
//! `reason` one of [`DisconnectReason`](crate::DisconnectReason)'s names,
//! `backend` `memory` or `redis`. Topic names are never labels.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `sse_streams_open` | gauge | `route` | streams open now |
//! | `sse_streams_opened_total` | counter | `route` | streams that started |
//! | `sse_streams_closed_total` | counter | `route`, `reason` | streams that ended, by why: `client_gone`, `send_timeout`, `peer_unresponsive`, `shutdown`, `max_duration`, `completed`, `error` |
//! | `sse_stream_duration_seconds` | histogram | `route` | how long streams lived |
//! | `sse_events_sent_total` | counter | `route` | events written (pings not counted) |
//! | `sse_sent_bytes_total` | counter | `route` | bytes handed to connections, pings included |
//! | `sse_keep_alive_pings_total` | counter | `route` | keep-alive pings sent |
//! | `sse_streams_refused_total` | counter | `route` | requests answered `503` by a [`StreamLimit`](crate::StreamLimit) |
//! | `sse_hub_topics` | gauge | `backend` | topics the hubs hold in this process |
//! | `sse_hub_publishes_total` | counter | `backend` | events stored (a `publish_once` answered from its key is not) |
//! | `sse_hub_errors_total` | counter | `backend`, `operation`, `error` | failed publishes and subscribes: `operation` is `publish` or `subscribe`, `error` is `backend` (Redis or PostgreSQL failed), `too_many_topics` or `event` |
//! | `sse_hub_deliveries_total` | counter | `backend` | messages handed to subscribers (replayed ones included) |
//! | `sse_hub_lagged_total` | counter | `backend`, `policy` | times a subscriber fell behind and lost messages (`skip`: told and went on; `disconnect`: ended to resume) |
//! | `sse_hub_delivery_delay_seconds` | histogram | `backend` | from a message entering this process's hub (published here, or brought by Redis or PostgreSQL) to a subscriber taking it, for 1 message in 16 (every live delivery of it; replays are not timed) |
//! | `sse_hub_reconnects_total` | counter | `backend` | times the connection that brings the hub its events (Redis' Pub/Sub, PostgreSQL's `LISTEN`) was lost and made again |

mod hub;
mod stream;

#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) use self::hub::reconnected;
pub(crate) use self::hub::{HubMetrics, Since};
pub(crate) use self::stream::{StreamMetrics, refused};

/// Registers each metric's help text and unit with the installed recorder,
/// so an exporter can print them (Prometheus' `# HELP` lines). Call it once,
/// after installing the recorder; counting works without it.
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!("sse_streams_open", "Event streams open now.");
    describe_counter!("sse_streams_opened_total", "Event streams that started.");
    describe_counter!(
        "sse_streams_closed_total",
        "Event streams that ended, by reason."
    );
    describe_histogram!(
        "sse_stream_duration_seconds",
        Unit::Seconds,
        "How long event streams lived."
    );
    describe_counter!(
        "sse_events_sent_total",
        "Events written to streams (keep-alive pings not counted)."
    );
    describe_counter!(
        "sse_sent_bytes_total",
        Unit::Bytes,
        "Bytes handed to connections, keep-alive pings included."
    );
    describe_counter!("sse_keep_alive_pings_total", "Keep-alive pings sent.");
    describe_counter!(
        "sse_streams_refused_total",
        "Requests answered 503 by a StreamLimit."
    );
    describe_gauge!("sse_hub_topics", "Topics the hubs hold in this process.");
    describe_counter!(
        "sse_hub_publishes_total",
        "Events stored by the hub (a publish_once answered from its key is not)."
    );
    describe_counter!(
        "sse_hub_errors_total",
        "Failed hub publishes and subscribes, by operation and error."
    );
    describe_counter!(
        "sse_hub_deliveries_total",
        "Hub messages handed to subscribers."
    );
    describe_counter!(
        "sse_hub_lagged_total",
        "Times a hub subscriber fell behind and lost messages."
    );
    describe_histogram!(
        "sse_hub_delivery_delay_seconds",
        Unit::Seconds,
        "From a message entering this process's hub to a subscriber taking it (1 in 16 messages)."
    );
    describe_counter!(
        "sse_hub_reconnects_total",
        "Times the connection that brings the hub its events (Redis Pub/Sub, PostgreSQL LISTEN) was made again."
    );
}

/// The `route` label of a stream with no route: built by hand without
/// [`SseResponse::route`](crate::SseResponse::route).
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) const UNKNOWN_ROUTE: &str = "unknown";
