//! Serialisable data goes out as JSON, events as built, strings as text.
use sse_runtime::{Event, Json, sse_endpoint};

#[derive(serde::Serialize)]
struct Tick {
    n: u32,
}

#[derive(serde::Serialize)]
struct NotSend {
    n: u32,
    #[serde(skip)]
    _marker: std::marker::PhantomData<*const ()>,
}

#[sse_endpoint]
async fn kinds() {
    yield_!(Tick { n: 1 });
    yield_!(&Tick { n: 2 });
    yield_!(Event::data("x").event("e").unwrap());
    yield_!(String::from("text"));
    yield_!("static text");
    yield_!(std::borrow::Cow::Borrowed("cow"));
    yield_!(Json(vec![1, 2]));
    yield_!(serde_json::json!({"any": "json"}));
    yield_!(42);
    // A value that is not Send can be yielded: it is written before the
    // body suspends.
    yield_!(NotSend {
        n: 5,
        _marker: std::marker::PhantomData,
    });
}

fn main() {
    let _: axum::routing::MethodRouter = axum::routing::get(kinds);
}
