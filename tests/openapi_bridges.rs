//! An endpoint's description in the documents of the two OpenAPI crates
//! axum apps use: utoipa (the JSON of a `#[derive(OpenApi)]` document) and
//! aide (the JSON of an `ApiRouter`'s, after `finish_api`), each merged with
//! `merge_into` and served as JSON: neither crate's schema model is asked
//! to read the merged schemas back (utoipa's drops `not` and `const`). Each merged document is checked here for what it must hold, and
//! written to `$SSE_BRIDGE_DOCS` when that is set: `interop/run` sets it and
//! has Redocly validate both as OpenAPI 3.2 (INTEROP.md, "Typed contract").

use axum::extract::Path;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use sse_runtime::schema::OpenApi;
use sse_runtime::{SseEvent, sse_endpoint};

#[derive(Serialize, JsonSchema, SseEvent)]
enum Quote {
    Price { symbol: String, cents: u64 },
}

async fn closing() -> Vec<sse_runtime::Event> {
    vec![sse_runtime::Event::data("bye").event("shutdown").unwrap()]
}

/// Streams a symbol's quotes.
#[sse_endpoint(get "/quotes/{symbol}", yields = Quote, tags = ["market"], on_shutdown = closing)]
async fn quotes(Path(symbol): Path<String>) {
    yield_!(Quote::Price { symbol, cents: 100 });
}

/// The endpoints this app streams, as `sse_runtime` describes them.
fn streams() -> OpenApi {
    OpenApi::new("bridges", "1.0.0").operation(quotes::operation())
}

/// A utoipa path of the app's own, beside the stream.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "Up")))]
#[allow(dead_code)]
async fn health() -> &'static str {
    "up"
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(health))]
struct ApiDoc;

/// The document to serve: utoipa's, as JSON, with the streams merged in.
fn utoipa_document() -> Value {
    use utoipa::OpenApi as _;
    let mut document = serde_json::to_value(ApiDoc::openapi()).expect("utoipa writes JSON");
    streams().merge_into(&mut document);
    document
}

/// Writes `document` as `name` under `$SSE_BRIDGE_DOCS`, when set.
fn write_for_the_validator(name: &str, document: &Value) {
    if let Ok(dir) = std::env::var("SSE_BRIDGE_DOCS") {
        std::fs::create_dir_all(&dir).unwrap();
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(document).unwrap()).unwrap();
    }
}

/// What both merged documents must hold: the app's own path, the stream's
/// operation with its events, and their schemas.
fn check_merged(document: &Value) {
    assert_eq!(document["openapi"], "3.2.0");
    assert!(
        document["paths"]["/health"]["get"].is_object(),
        "the app's own path"
    );
    let stream = &document["paths"]["/quotes/{symbol}"]["get"];
    assert_eq!(stream["summary"], "Streams a symbol's quotes.");
    assert_eq!(stream["tags"][0], "market");
    let items = &stream["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]["oneOf"];
    assert_eq!(
        items[0]["properties"]["event"]["enum"][0], "price",
        "{items}"
    );
    // The farewell's alternative keeps its `not`: merged as JSON, nothing
    // went through a schema model that lacks the keyword.
    assert_eq!(
        items[1]["properties"]["event"]["not"]["enum"],
        serde_json::json!(["price"]),
        "{items}"
    );
}

#[test]
fn an_endpoint_joins_a_utoipa_derived_document() {
    let document = utoipa_document();
    check_merged(&document);
    write_for_the_validator("utoipa.json", &document);
}

#[test]
fn an_endpoint_joins_an_aide_api_router_document() {
    use aide::axum::ApiRouter;
    use aide::axum::routing::get;
    let mut api = aide::openapi::OpenApi {
        info: aide::openapi::Info {
            title: "bridges".into(),
            version: "1.0.0".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    // The app's own route, documented by aide; the stream mounted as the
    // axum route it is, and described by `sse_runtime`.
    let _app: axum::Router = ApiRouter::new()
        .api_route("/health", get(|| async { "up" }))
        .finish_api(&mut api)
        .merge(quotes::route());
    let mut document = serde_json::to_value(&api).unwrap();
    streams().merge_into(&mut document);
    check_merged(&document);
    write_for_the_validator("aide.json", &document);
}
