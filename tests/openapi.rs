//! `sse_runtime::schema`: each event of a derived type cut out of schemars'
//! schema (every serde shape), and endpoints as OpenAPI 3.2 operations from
//! what `#[sse_endpoint]` knows. The document's validity and the example's
//! real events are checked by independent validators in `interop/contract.py`.

// Most types here are described, not sent: their variants are never built.
#![allow(dead_code)]

use axum::extract::Path;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};
use sse_runtime::schema::{OpenApi, event_schemas, events_schema};
use sse_runtime::{LastEventId, SseEvent, sse_endpoint};

#[derive(Serialize, JsonSchema, SseEvent)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
enum Room {
    UserJoined {
        #[sse(id)]
        seq: u64,
        display_name: String,
    },
    #[serde(rename = "said")]
    Message(#[sse(id)] String, String),
    #[sse(event = "bye")]
    Left,
}

#[derive(Serialize, JsonSchema, SseEvent)]
#[serde(tag = "type")]
enum Tagged {
    Price { cents: u64 },
    Closed,
}

#[derive(Serialize, JsonSchema, SseEvent)]
#[sse(event = "tick")]
struct Tick {
    #[sse(id)]
    n: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn by_name(events: &[sse_runtime::schema::EventSchema], name: &str) -> (Value, Option<Value>) {
    let event = events.iter().find(|event| event.name == name).expect(name);
    (event.data.clone(), event.id.clone())
}

#[test]
fn each_variant_gets_the_schema_of_what_serde_writes_for_it() {
    let events = event_schemas::<Room>();
    let names: Vec<&str> = events.iter().map(|event| event.name).collect();
    assert_eq!(names, ["user_joined", "message", "bye"]);

    let (joined, id) = by_name(&events, "user_joined");
    assert_eq!(
        joined["required"],
        json!(["displayName"]),
        "the id field is the `id:`"
    );
    assert!(joined["properties"].get("seq").is_none());
    assert_eq!(id.unwrap()["type"], "integer");

    let (message, id) = by_name(&events, "message");
    assert_eq!(
        message["prefixItems"],
        json!([{ "type": "string" }]),
        "{message}"
    );
    assert_eq!(
        (message["minItems"].clone(), message["maxItems"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(id.unwrap()["type"], "string");

    let (bye, id) = by_name(&events, "bye");
    assert_eq!(
        bye,
        json!({ "type": "null" }),
        "a unit variant's data is null"
    );
    assert!(id.is_none());
}

#[test]
fn internally_tagged_and_struct_events() {
    let events = event_schemas::<Tagged>();
    let (price, _) = by_name(&events, "price");
    assert_eq!(price["properties"]["type"]["const"], "Price", "{price}");
    assert!(price["properties"].get("cents").is_some());
    let (closed, _) = by_name(&events, "closed");
    assert_eq!(closed["properties"]["type"]["const"], "Closed");

    let events = event_schemas::<Tick>();
    let (tick, id) = by_name(&events, "tick");
    assert!(tick["properties"].get("n").is_none());
    assert_eq!(tick["required"], json!([]), "`note` may be left out");
    assert_eq!(id.unwrap()["type"], "integer");
}

#[test]
fn the_events_schema_has_one_alternative_per_event() {
    let schema = events_schema::<Room>();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let alternatives = schema["oneOf"].as_array().unwrap();
    assert_eq!(alternatives.len(), 3);
    assert_eq!(alternatives[0]["required"], json!(["event", "data", "id"]));
    assert_eq!(alternatives[0]["properties"]["id"]["pattern"], "^-?[0-9]+$");
    assert_eq!(alternatives[2]["required"], json!(["event", "data"]));
}

/// A room's events.
#[sse_endpoint(get "/rooms/{room}/{*rest}", yields = Room, retry = "2500ms")]
async fn room(Path((name, _rest)): Path<(String, String)>, LastEventId(_last): LastEventId<u64>) {
    yield_!(Room::UserJoined {
        seq: 1,
        display_name: name
    });
}

#[sse_endpoint(post "/ticks", id = sequential)]
async fn ticks() {
    yield_!(1);
}

#[test]
fn endpoints_describe_themselves_as_operations() {
    let document = OpenApi::new("rooms", "2.0")
        .operation(room::operation())
        .operation(ticks::operation())
        .to_json();
    assert_eq!(document["openapi"], "3.2.0");
    assert_eq!(
        document["info"],
        json!({ "title": "rooms", "version": "2.0" })
    );
    let get = &document["paths"]["/rooms/{room}/{rest}"]["get"];
    assert_eq!(get["operationId"], "room");
    let parameters: Vec<(&str, &str)> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
        .collect();
    assert_eq!(
        parameters,
        [
            ("room", "path"),
            ("rest", "path"),
            ("Last-Event-ID", "header")
        ]
    );
    let items = &get["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]["oneOf"];
    let data = &items[0]["properties"]["data"];
    assert_eq!(data["contentMediaType"], "application/json");
    assert_eq!(data["contentSchema"]["required"], json!(["displayName"]));
    // Three events of `Room`, the `reset` a resumed stream may open with
    // (it reads `LastEventId`), then the opening `retry:`.
    assert_eq!(items[3]["properties"]["event"]["enum"], json!(["reset"]));
    assert_eq!(
        items[4],
        json!({
            "type": "object",
            "required": ["retry"],
            "properties": { "retry": { "type": "integer", "enum": [2500] } },
            "additionalProperties": false,
        }),
        "the opening `retry:`"
    );

    // Undeclared events: any event; `id = sequential`: resumable.
    let post = &document["paths"]["/ticks"]["post"];
    assert_eq!(post["parameters"][0]["name"], "Last-Event-ID");
    let item = &post["responses"]["200"]["content"]["text/event-stream"]["itemSchema"];
    assert_eq!(item["properties"]["data"], json!({ "type": "string" }));
}

#[test]
fn merges_into_another_generators_document() {
    let mut document = json!({
        "openapi": "3.1.0",
        "info": { "title": "app", "version": "1" },
        "paths": { "/health": { "get": { "responses": { "200": { "description": "ok" } } } } },
        "components": { "schemas": { "Health": { "type": "string" } } },
    });
    OpenApi::new("ignored", "0")
        .operation(room::operation())
        .merge_into(&mut document);
    assert_eq!(document["openapi"], "3.2.0", "itemSchema is 3.2's");
    assert_eq!(document["info"]["title"], "app");
    assert!(document["paths"]["/health"]["get"].is_object(), "kept");
    assert!(
        document["paths"]["/rooms/{room}/{rest}"]["get"].is_object(),
        "added"
    );
    assert_eq!(
        document["components"]["schemas"]["Health"]["type"],
        "string"
    );
}

#[derive(Serialize, JsonSchema)]
struct Station {
    name: String,
}

#[derive(Serialize, JsonSchema, SseEvent)]
enum Weather {
    Reading { station: Station, celsius: f32 },
    Moved { from: Station, to: Station },
}

#[sse_endpoint(get "/weather", yields = Weather)]
async fn weather() {
    yield_!(Weather::Reading {
        station: Station { name: "a".into() },
        celsius: 1.0
    });
    yield_!(Weather::Moved {
        from: Station { name: "a".into() },
        to: Station { name: "b".into() }
    });
}

#[test]
fn shared_types_are_defined_once_and_referenced() {
    let document = OpenApi::new("w", "1")
        .operation(weather::operation())
        .to_json();
    assert_eq!(
        document["components"]["schemas"]["Station"]["required"],
        json!(["name"])
    );
    let items = &document["paths"]["/weather"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        ["itemSchema"]["oneOf"];
    let reading = &items[0]["properties"]["data"]["contentSchema"];
    assert_eq!(
        reading["properties"]["station"]["$ref"],
        "#/components/schemas/Station"
    );

    let schema = events_schema::<Weather>();
    assert_eq!(schema["$defs"]["Station"]["required"], json!(["name"]));
    let moved = &schema["oneOf"][1]["properties"]["data"]["properties"]["to"];
    assert_eq!(moved["$ref"], "#/$defs/Station");
}

#[test]
fn merges_into_a_utoipa_document_that_utoipa_reads_back() {
    use utoipa::openapi::{InfoBuilder, OpenApi as Utoipa, OpenApiBuilder, PathsBuilder};
    // The document a utoipa user has: their own paths, OpenAPI 3.1.
    let theirs: Utoipa = OpenApiBuilder::new()
        .info(InfoBuilder::new().title("app").version("1").build())
        .paths(PathsBuilder::new().build())
        .build();
    let mut document = serde_json::to_value(&theirs).unwrap();
    OpenApi::new("ignored", "0")
        .operation(weather::operation())
        .merge_into(&mut document);
    // utoipa reads the merged document back, as 3.2, `itemSchema` included.
    let merged: Utoipa = serde_json::from_value(document.clone()).expect("utoipa reads it");
    let again = serde_json::to_value(&merged).unwrap();
    assert_eq!(again["openapi"], "3.2.0");
    assert_eq!(
        again["paths"]["/weather"]["get"]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"],
        document["paths"]["/weather"]["get"]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"],
    );
    assert!(again["components"]["schemas"]["Station"].is_object());
}

/// Not described: no `JsonSchema`, and the endpoint says so.
#[derive(Serialize, SseEvent)]
struct Plain {
    n: u64,
}

#[sse_endpoint(get "/plain", yields = Plain, schema = any)]
async fn plain() {
    yield_!(Plain { n: 1 });
}

#[test]
fn schema_any_leaves_a_type_without_a_schema_undescribed() {
    // Without `schema = any`, `yields = Plain` would not compile under the
    // feature (tests/ui: `yields_without_json_schema`): nothing falls back
    // silently. With it, the events are any events.
    let document = OpenApi::new("p", "1")
        .operation(plain::operation())
        .to_json();
    let item = &document["paths"]["/plain"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        ["itemSchema"];
    assert_eq!(item["properties"]["data"], json!({ "type": "string" }));
    assert!(item.get("oneOf").is_none());
}

/// What the endpoints below resume from, under a name of the app's.
type Resume = LastEventId<u64>;

#[sse_endpoint(get "/resumed")]
async fn resumed(LastEventId(_last): Resume) {
    yield_!(1);
}

#[sse_endpoint(get "/maybe_resumed")]
async fn maybe_resumed(_last: Option<Resume>) {
    yield_!(1);
}

#[sse_endpoint(get "/fresh/{n}")]
async fn fresh(Path(_n): Path<u64>) {
    yield_!(1);
}

/// The `(name, in)` of each parameter of the `GET` at `path`.
fn parameters<'a>(document: &'a Value, path: &str) -> Vec<(&'a str, &'a str)> {
    let parameters = document["paths"][path]["get"]["parameters"].as_array();
    parameters
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
        .collect()
}

#[test]
fn a_last_event_id_under_an_alias_is_described_as_one() {
    // Asked of the argument's type, not read from its name: `Resume` is a
    // `LastEventId<u64>`, and the operation lists the header it reads.
    let document = OpenApi::new("r", "1")
        .operation(resumed::operation())
        .operation(maybe_resumed::operation())
        .operation(fresh::operation())
        .to_json();
    let header = [("Last-Event-ID", "header")];
    assert_eq!(parameters(&document, "/resumed"), header);
    assert_eq!(parameters(&document, "/maybe_resumed"), header);
    assert_eq!(
        parameters(&document, "/fresh/{n}"),
        [("n", "path")],
        "no `Last-Event-ID` without the extractor"
    );
}

/// The query of `/ticker/{symbol}`.
#[derive(serde::Deserialize, JsonSchema)]
struct TickerQuery {
    /// Stop after this many ticks.
    count: Option<u32>,
    /// Time between ticks.
    interval_ms: u64,
}

#[derive(Serialize, JsonSchema, SseEvent)]
enum Quote {
    Price {
        #[sse(id)]
        seq: u64,
        price: f64,
    },
}

async fn ticker_farewell() -> Vec<sse_runtime::Event> {
    vec![
        sse_runtime::Event::data("closing")
            .event("shutdown")
            .unwrap(),
    ]
}

/// Streams a symbol's prices.
///
/// One event per tick; `count` stops after that many.
#[sse_endpoint(
    get "/ticker/{symbol}",
    yields = Quote,
    operation_id = "openTicker",
    tags = ["market", "live"],
    error_event = "error",
    on_shutdown = ticker_farewell,
)]
async fn ticker(
    Path(symbol): Path<String>,
    axum::extract::Query(query): axum::extract::Query<TickerQuery>,
) {
    let _ = (symbol, query.count, query.interval_ms);
    yield_!(Quote::Price { seq: 1, price: 1.5 });
}

#[test]
fn the_operation_has_the_doc_comment_the_extractors_and_every_event_it_can_send() {
    let document = OpenApi::new("market", "1")
        .operation(ticker::operation())
        .operation(plain::operation())
        .to_json();
    let get = &document["paths"]["/ticker/{symbol}"]["get"];
    assert_eq!(get["summary"], "Streams a symbol's prices.");
    assert_eq!(
        get["description"],
        "One event per tick; `count` stops after that many."
    );
    assert_eq!(get["operationId"], "openTicker");
    assert_eq!(get["tags"], json!(["market", "live"]));
    assert_eq!(
        document["tags"],
        json!([{ "name": "market" }, { "name": "live" }])
    );
    // No doc comment: the handler's name, in words.
    assert_eq!(document["paths"]["/plain"]["get"]["summary"], "Plain");

    // The path's parameter, typed by `Path<String>`; the query's, one per
    // field of `Query<TickerQuery>`, required as serde requires them.
    let parameters = get["parameters"].as_array().unwrap();
    let named = |name: &str| {
        parameters
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap_or_else(|| panic!("parameter {name}: {parameters:?}"))
    };
    assert_eq!(named("symbol")["in"], "path");
    assert_eq!(named("symbol")["schema"]["type"], "string");
    assert_eq!(named("count")["in"], "query");
    assert_eq!(named("count")["required"], false);
    assert_eq!(
        named("count")["schema"]["description"],
        "Stop after this many ticks."
    );
    assert_eq!(named("interval_ms")["required"], true);
    assert_eq!(named("interval_ms")["schema"]["type"], "integer");

    // Besides the declared events: the error event as the runtime writes
    // it, and the farewell's events, any name but the declared ones.
    let items = get["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]["oneOf"]
        .as_array()
        .unwrap();
    let error = items
        .iter()
        .find(|item| item["properties"]["event"]["enum"] == json!(["error"]))
        .expect("the error event");
    assert_eq!(
        error["properties"]["data"]["enum"],
        json!(["internal error"])
    );
    assert!(!error["required"].as_array().unwrap().contains(&json!("id")));
    let other = items
        .iter()
        .find(|item| item["properties"]["event"].get("not").is_some())
        .expect("the farewell's events");
    assert_eq!(
        other["properties"]["event"]["not"]["enum"],
        json!(["price", "error"])
    );
    let price = items
        .iter()
        .find(|item| item["properties"]["event"]["enum"] == json!(["price"]))
        .unwrap();
    assert!(price["required"].as_array().unwrap().contains(&json!("id")));
}

#[test]
fn the_typescript_function_takes_the_query_and_builds_it() {
    let module = OpenApi::new("market", "1")
        .operation(ticker::operation())
        .typescript();
    assert!(
        module.contains(
            r#"export function openTicker(params: { "symbol": string; "count"?: (number) | (null); "interval_ms": number }, base = """#
        ),
        "{module}"
    );
    assert!(
        module.contains(r#"query.set("count", String(params["count"]))"#),
        "{module}"
    );
    assert!(
        module.contains(r#"`${base}/ticker/${encodeURIComponent(String(params["symbol"]))}` + (search ? `?${search}` : "")"#),
        "{module}"
    );
}

/// A path typed by a tuple, and one by a struct.
#[derive(serde::Deserialize, JsonSchema)]
struct Seat {
    row: u32,
    seat: String,
}

#[sse_endpoint(get "/levels/{name}/{level}")]
async fn levels(Path((_name, _level)): Path<(String, u8)>) {
    yield_!(1);
}

#[sse_endpoint(get "/seats/{row}/{seat}")]
async fn seats(Path(Seat { row, seat }): Path<Seat>) {
    let _ = (row, seat);
    yield_!(1);
}

/// An optional header, with a schema of its own.
struct Locale(Option<String>);

impl<S: Sync> axum::extract::FromRequestParts<S> for Locale {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let locale = parts.headers.get("x-locale");
        Ok(Self(
            locale
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

impl sse_runtime::schema::HeaderParameter for Locale {
    const NAME: &'static str = "X-Locale";
    const REQUIRED: bool = false;
    fn schema() -> Value {
        json!({ "type": "string", "pattern": "^[a-z]{2}$" })
    }
}

#[sse_endpoint(get "/greetings")]
async fn greetings(Locale(locale): Locale) {
    yield_!(locale.unwrap_or_default());
}

#[test]
fn path_types_and_header_extractors_describe_their_parameters() {
    let schema_of = |operation: sse_runtime::schema::Operation, name: &str| {
        let document = OpenApi::new("p", "1").operation(operation).to_json();
        let (_, item) = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        item["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {item}"))
            .clone()
    };
    // A tuple's items in order; a struct's fields by name.
    assert_eq!(
        schema_of(levels::operation(), "name")["schema"]["type"],
        "string"
    );
    assert_eq!(
        schema_of(levels::operation(), "level")["schema"]["type"],
        "integer"
    );
    assert_eq!(
        schema_of(seats::operation(), "row")["schema"]["type"],
        "integer"
    );
    assert_eq!(
        schema_of(seats::operation(), "seat")["schema"]["type"],
        "string"
    );
    // An optional header with its own schema.
    let locale = schema_of(greetings::operation(), "X-Locale");
    assert_eq!(
        (locale["in"].clone(), locale["required"].clone()),
        (json!("header"), json!(false))
    );
    assert_eq!(locale["schema"]["pattern"], "^[a-z]{2}$");
    // By hand: a header named twice (in any case) is listed once; `resets`
    // describes `reset` without a `Last-Event-ID`.
    let by_hand = sse_runtime::schema::Operation::new("GET", "/feed")
        .events::<Room>()
        .header("X-Trace", true, json!({ "type": "string" }))
        .header("x-trace", false, json!({ "type": "string" }))
        .resets();
    let document = OpenApi::new("p", "1").operation(by_hand).to_json();
    let get = &document["paths"]["/feed"]["get"];
    assert_eq!(get["parameters"].as_array().unwrap().len(), 1, "{get}");
    let names: Vec<&Value> = get["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]
        ["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| &item["properties"]["event"]["enum"][0])
        .collect();
    assert!(names.contains(&&json!("reset")), "{names:?}");
}
