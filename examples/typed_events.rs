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
//!
//! `GET /ticker/{symbol}?count=3` streams a typed hub topic (`Topic<Tick>`,
//! published every `TICK_MS`, default 100 ms, for `ACME` and `INITECH`):
//! `yields = Tick` holds for its items, the query is described as
//! parameters, and a shutdown mid-stream sends the farewell, which the
//! description covers too.

mod common;

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sse_runtime::hub::{Hub, HubError, Topic};
use sse_runtime::schema::OpenApi;
use sse_runtime::{Event, LastEventId, SseEvent, routes, sse_endpoint};

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

/// A ticker's event: a price, with the hub's id.
#[derive(Serialize, JsonSchema, SseEvent)]
enum Tick {
    Price { symbol: String, cents: u64 },
}

/// What `/ticker/{symbol}` reads from the query.
#[derive(Deserialize, JsonSchema)]
struct TickerQuery {
    /// End the stream after this many ticks (default: never).
    count: Option<u32>,
}

/// The symbols the example publishes.
const SYMBOLS: [&str; 2] = ["ACME", "INITECH"];

/// Streams a symbol's prices from the hub.
///
/// Resumes after `Last-Event-ID` (a `reset` first if those ticks are gone);
/// `count` ends the stream after that many ticks; a shutdown sends
/// `event: shutdown` before the stream ends.
#[sse_endpoint(
    get "/ticker/{symbol}",
    yields = Tick,
    tags = ["market"],
    on_shutdown = closing,
)]
async fn ticker(
    State(hub): State<Hub>,
    Path(symbol): Path<String>,
    Query(query): Query<TickerQuery>,
    LastEventId(last): LastEventId<u64>,
) -> Result<(), HubError> {
    let topic: Topic<Tick> = hub.topic(symbol);
    let mut ticks = topic.subscribe(last).await?;
    let mut left = query.count.unwrap_or(u32::MAX);
    while left > 0
        && let Some(tick) = ticks.next().await
    {
        // A `reset` (ticks after `Last-Event-ID` are gone) is not a tick.
        if tick.as_reset().is_none() {
            left -= 1;
        }
        yield_!(tick);
    }
    Ok(())
}

/// The farewell on shutdown: clients reconnect elsewhere.
async fn closing() -> Vec<Event> {
    vec![
        Event::data(r#"{"reconnect":true}"#)
            .event("shutdown")
            .expect("a valid name"),
    ]
}

/// Publishes a price for each symbol every `every`.
async fn publish_ticks(hub: Hub, every: Duration) {
    let mut cents = 10_000u64;
    loop {
        tokio::time::sleep(every).await;
        cents = cents % 20_000 + 7;
        for symbol in SYMBOLS {
            let topic: Topic<Tick> = hub.topic(symbol);
            let tick = Tick::Price {
                symbol: symbol.into(),
                cents,
            };
            if let Err(error) = topic.publish(&tick).await {
                tracing::error!(%error, symbol, "a tick could not be published");
            }
        }
    }
}

/// The events of `/weather` as JSON Schema 2020-12, parsed as a client
/// parses them (`{"event", "data", "id"}`, the data as JSON).
async fn events_schema() -> Json<serde_json::Value> {
    Json(sse_runtime::schema::events_schema::<Weather>())
}

/// What this server serves, described.
fn api() -> OpenApi {
    OpenApi::new("typed_events", "1.0.0")
        .operation(weather::operation())
        .operation(ticker::operation())
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
    let hub = Hub::new();
    let every = std::env::var("TICK_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_millis(100), Duration::from_millis);
    tokio::spawn(publish_ticks(hub.clone(), every));
    let app = routes![weather, ticker]
        .route("/openapi.json", get(openapi))
        .route("/weather.schema.json", get(events_schema))
        .with_state(hub);
    common::run(app, "/weather").await
}
