//! Run with: cargo run --example typed_events
//!
//! Typed events with `#[derive(SseEvent)]`: the event name from the variant,
//! an id from a field, and the rest as JSON, non-ASCII and embedded
//! newlines included. `curl -N http://127.0.0.1:8000/weather`.
//!
//! The endpoint declares what it sends (`yields = Weather`: any other
//! `yield_!` is a compile error), and `GET /openapi.json` describes it as
//! OpenAPI 3.2: a `text/event-stream` whose items are these events, their
//! data's JSON Schema from `schemars::JsonSchema`; `GET /weather.schema.json`
//! gives the events alone, as JSON Schema. `cargo run --example typed_events
//! -- typescript > weather.ts` writes the frontend's TypeScript module: the
//! payload types and a typed `EventSource` (`interop/contract.mjs` compiles
//! it and runs it in Chromium).

mod common;

use std::time::Duration;

use axum::Json;
use axum::routing::get;
use schemars::JsonSchema;
use serde::Serialize;
use sse_runtime::schema::OpenApi;
use sse_runtime::{SseEvent, routes, sse_endpoint};

/// Each variant is its own event: `reading` (with an id), `alert`, `note`,
/// `station_closed`.
#[derive(Serialize, JsonSchema, SseEvent)]
enum Weather {
    /// `id: <seq>`, data `{"station":..,"celsius":..}`.
    Reading {
        #[sse(id)]
        seq: u64,
        station: String,
        celsius: f32,
    },
    Alert {
        level: u8,
        text: String,
    },
    Note(String),
    StationClosed,
}

#[sse_endpoint(get "/weather", retry = "2s", yields = Weather)]
async fn weather() {
    yield_!(Weather::Reading {
        seq: 1,
        station: "Zürich".into(),
        celsius: 21.5
    });
    yield_!(Weather::Alert {
        level: 2,
        text: "Föhn storm\nsecure loose objects".into(),
    });
    yield_!(Weather::Reading {
        seq: 2,
        station: "São Paulo 🌦".into(),
        celsius: 28.0
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    yield_!(Weather::Note("line one\r\nline two".into()));
    yield_!(Weather::StationClosed);
}

/// The events of `/weather` as JSON Schema 2020-12, parsed as a client
/// parses them (`{"event", "data", "id"}`, the data as JSON).
async fn events_schema() -> Json<serde_json::Value> {
    Json(sse_runtime::schema::events_schema::<Weather>())
}

/// What this server serves, described.
fn api() -> OpenApi {
    OpenApi::new("typed_events", "1.0.0").operation(weather::operation())
}

/// The OpenAPI 3.2 document of this server.
async fn openapi() -> Json<serde_json::Value> {
    Json(api().to_json())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // `cargo run --example typed_events -- typescript > weather.ts`: the
    // frontend's types and typed `EventSource`, from the same description.
    if std::env::args().nth(1).as_deref() == Some("typescript") {
        print!("{}", api().typescript());
        return Ok(());
    }
    let app = routes![weather]
        .route("/openapi.json", get(openapi))
        .route("/weather.schema.json", get(events_schema));
    common::run(app, "/weather").await
}
