//! `hub::Topic<T>`: a hub topic typed by what it carries. Its items satisfy
//! an endpoint's `yields = T`, are the published bytes, and say a gap, an
//! unknown resume point or a lag as a `reset` event; the endpoint's
//! description lists `reset` beside `T`'s events. The Redis backend's typed
//! topics are in `tests/redis_hub.rs`.

use axum::extract::{Path, State};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sse_runtime::hub::{Hub, HubConfig, HubError, LagPolicy, Resume, Topic};
use sse_runtime::schema::OpenApi;
use sse_runtime::{LastEventId, SseEvent, sse_endpoint};

#[derive(Serialize, Deserialize, JsonSchema, SseEvent, Debug, PartialEq)]
enum Trade {
    Filled { price: f64, quantity: u32 },
    Halted,
}

/// A symbol's trades, resumable.
#[sse_endpoint(get "/trades/{symbol}", yields = Trade)]
async fn trades(
    State(hub): State<Hub>,
    Path(symbol): Path<String>,
    LastEventId(last): LastEventId<u64>,
) -> Result<(), HubError> {
    let topic: Topic<Trade> = hub.topic(symbol);
    let mut trades = topic.subscribe(last).await?;
    while let Some(trade) = trades.next().await {
        yield_!(trade);
    }
    Ok(())
}

fn filled(price: f64) -> Trade {
    Trade::Filled {
        price,
        quantity: 10,
    }
}

/// `GET /trades/ACME` with `Last-Event-ID: last`, in process.
async fn resume(hub: &Hub, last: u64) -> sse_runtime::test::EventReader {
    let request = axum::http::Request::get("/trades/ACME")
        .header("last-event-id", last.to_string())
        .body(axum::body::Body::empty())
        .unwrap();
    sse_runtime::test::request(trades::route().with_state(hub.clone()), request).await
}

#[tokio::test]
async fn a_typed_topic_streams_what_was_published_through_an_endpoint_yielding_its_type() {
    let hub = Hub::new();
    let topic: Topic<Trade> = hub.topic("ACME");
    let first = topic.publish(&filled(1.5)).await.unwrap();
    let second = topic.publish(&filled(2.5)).await.unwrap();
    topic.publish_last(&Trade::Halted).await.unwrap();
    // Resumed after the first: the rest, as published, then the end; no
    // reset, since nothing was missed.
    let mut events = resume(&hub, first).await;
    let trade = events.next().await.expect("the second trade");
    assert_eq!(trade.event, "filled");
    assert_eq!(trade.id, Some(second.to_string()));
    assert_eq!(
        serde_json::from_str::<Value>(&trade.data).unwrap(),
        json!({ "price": 2.5, "quantity": 10 })
    );
    assert_eq!(events.next().await.expect("halted").event, "halted");
    assert!(events.next().await.is_none(), "ended after the last");
}

#[tokio::test]
async fn a_resume_the_topic_cannot_complete_opens_with_a_reset() {
    // A replay of 2: resuming from the first of 4 misses one.
    let hub = Hub::with_config(HubConfig {
        replay: 2,
        ..HubConfig::default()
    });
    let topic: Topic<Trade> = hub.topic("ACME");
    let mut ids = Vec::new();
    for price in [1.0, 2.0, 3.0, 4.0] {
        ids.push(topic.publish(&filled(price)).await.unwrap());
    }
    let mut gap = topic.subscribe(Some(ids[0])).await.unwrap();
    assert_eq!(gap.resume(), Resume::Gap { missed: Some(1) });
    let reset = gap.next().await.unwrap();
    assert_eq!(
        reset.as_reset().map(|r| (r.reason(), r.missed())),
        Some(("gap", Some(1)))
    );
    assert_eq!(reset.id(), None);
    assert_eq!(gap.next().await.unwrap().id(), Some(ids[2]));

    let mut unknown = topic.subscribe(Some(ids[3] + 1_000)).await.unwrap();
    let reset = unknown.next().await.unwrap();
    assert_eq!(reset.as_reset().map(|r| r.reason()), Some("unknown"));

    // Through an endpoint: `event: reset`, JSON data, no id.
    let mut events = resume(&hub, ids[0]).await;
    let reset = events.next().await.unwrap();
    assert_eq!(reset.event, "reset");
    assert_eq!(reset.id, None);
    assert_eq!(
        serde_json::from_str::<Value>(&reset.data).unwrap(),
        json!({ "resume": "gap", "missed": 1 })
    );
}

#[tokio::test]
async fn a_subscriber_skipped_ahead_gets_a_reset_not_an_undeclared_event() {
    // As tests/hub.rs's slow subscriber: a buffer of 4, a fast subscriber
    // keeping the topic moving, ten publishes.
    let hub = Hub::with_config(HubConfig {
        buffer: 4,
        lag: LagPolicy::Skip,
        ..HubConfig::default()
    });
    let topic: Topic<Trade> = hub.topic("ACME");
    let mut slow = topic.subscribe(None).await.unwrap();
    let mut fast = topic.subscribe(None).await.unwrap();
    for price in 0..10 {
        topic.publish(&filled(f64::from(price))).await.unwrap();
        assert!(fast.next().await.unwrap().as_reset().is_none());
    }
    let first = slow.next().await.unwrap();
    let reset = first.as_reset().expect("a reset first: it fell behind");
    assert_eq!((reset.reason(), reset.missed()), ("lagged", Some(6)));
    assert!(
        slow.next().await.unwrap().as_reset().is_none(),
        "then trades"
    );
}

#[test]
fn the_description_lists_reset_beside_the_declared_events() {
    let document = OpenApi::new("market", "1")
        .operation(trades::operation())
        .to_json();
    let items = document["paths"]["/trades/{symbol}"]["get"]["responses"]["200"]["content"]
        ["text/event-stream"]["itemSchema"]["oneOf"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&Value> = items
        .iter()
        .filter_map(|item| item["properties"]["event"]["enum"].get(0))
        .collect();
    assert_eq!(names, [&json!("filled"), &json!("halted"), &json!("reset")]);
    let reset = items
        .iter()
        .find(|item| item["properties"]["event"]["enum"] == json!(["reset"]))
        .unwrap();
    assert!(!reset["required"].as_array().unwrap().contains(&json!("id")));
    assert_eq!(
        reset["properties"]["data"]["contentSchema"]["properties"]["resume"]["enum"],
        json!(["gap", "unknown", "lagged"])
    );
    let module = OpenApi::new("market", "1")
        .operation(trades::operation())
        .typescript();
    assert!(module.contains("\"reset\": Reset;"), "{module}");
}
