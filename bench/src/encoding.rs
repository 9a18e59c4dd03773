//! Encoding cost without the network: how fast each way of producing events
//! fills response frames, polled in-process. Measured with criterion by
//! `benches/encoding.rs`; `bench/run` puts the results in its table.

use std::convert::Infallible;

use axum::body::Body;
use axum::response::IntoResponse;
use axum::response::sse::{Event as AxumEvent, KeepAlive as AxumKeepAlive, Sse};
use http_body_util::BodyExt;
use sse_runtime::{Event, Json, KeepAlive, SseResponse, sse_endpoint};

use crate::Tick;

/// Events per criterion iteration: enough that building the body is noise.
pub const EVENTS_PER_ITERATION: u64 = 10_000;

const MULTI_LINE: &str = "first line\nsecond line\r\nthird line";

/// Polls `body` to its end; returns the bytes of data it sent.
pub async fn drain(mut body: Body) -> u64 {
    let mut bytes = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("an in-process body does not fail").into_data() {
            bytes += data.len() as u64;
        }
    }
    bytes
}

#[sse_endpoint]
async fn macro_json(axum::extract::RawQuery(n): axum::extract::RawQuery) {
    let n: u64 = n.and_then(|n| n.parse().ok()).unwrap_or(0);
    for n in 0..n {
        yield_!(Tick { n, name: "tick" });
    }
}

fn axum_sse(
    events: impl futures_util::Stream<Item = Result<AxumEvent, Infallible>> + Send + 'static,
) -> Body {
    Sse::new(events)
        .keep_alive(AxumKeepAlive::default())
        .into_response()
        .into_body()
}

fn ours(events: impl sse_runtime::EventStream + Send + 'static) -> Body {
    SseResponse::new(events)
        .keep_alive(KeepAlive::disabled())
        .into_response()
        .into_body()
}

/// One way of producing events.
#[derive(Clone, Copy, Debug)]
pub enum Case {
    AxumJson,
    EventJson,
    JsonT,
    MacroJson,
    AxumText,
    OurText,
    AxumMultiLine,
    OurMultiLine,
}

impl Case {
    pub const ALL: [Case; 8] = [
        Case::AxumJson,
        Case::EventJson,
        Case::JsonT,
        Case::MacroJson,
        Case::AxumText,
        Case::OurText,
        Case::AxumMultiLine,
        Case::OurMultiLine,
    ];

    /// The criterion group (what is encoded) and function (by what).
    pub fn id(self) -> (&'static str, &'static str) {
        self.name()
            .split_once(": ")
            .unwrap_or(("encoding", self.name()))
    }

    /// The row name in the results table.
    pub fn name(self) -> &'static str {
        match self {
            Case::AxumJson => "JSON: axum Event::json_data",
            Case::EventJson => "JSON: sse-runtime Event::json",
            Case::JsonT => "JSON: sse-runtime Json<T>",
            Case::MacroJson => "JSON: #[sse_endpoint] yield_!(T)",
            Case::AxumText => "text: axum Event::data",
            Case::OurText => "text: sse-runtime &'static str",
            Case::AxumMultiLine => "multi-line: axum Event::data",
            Case::OurMultiLine => "multi-line: sse-runtime Event::data",
        }
    }

    /// A response body that produces `n` events this way.
    pub async fn body(self, n: u64) -> Body {
        let iter = 0..n;
        match self {
            Case::AxumJson => axum_sse(futures_util::stream::iter(iter.map(|n| {
                Ok(AxumEvent::default()
                    .json_data(Tick { n, name: "tick" })
                    .unwrap())
            }))),
            Case::EventJson => ours(futures_util::stream::iter(
                iter.map(|n| Event::json(&Tick { n, name: "tick" }).unwrap()),
            )),
            Case::JsonT => ours(futures_util::stream::iter(
                iter.map(|n| Json(Tick { n, name: "tick" })),
            )),
            Case::MacroJson => {
                // Through a router, as a server calls it; once per run.
                let mut router: axum::Router =
                    axum::Router::new().route("/", axum::routing::get(macro_json));
                let request = http::Request::get(format!("/?{n}"))
                    .body(Body::empty())
                    .unwrap();
                let response = tower_service::Service::call(&mut router, request)
                    .await
                    .unwrap();
                response.into_body()
            }
            Case::AxumText => axum_sse(futures_util::stream::iter(
                iter.map(|_| Ok(AxumEvent::default().data("hello world"))),
            )),
            Case::OurText => ours(futures_util::stream::iter(iter.map(|_| "hello world"))),
            Case::AxumMultiLine => axum_sse(futures_util::stream::iter(
                iter.map(|_| Ok(AxumEvent::default().data(MULTI_LINE))),
            )),
            Case::OurMultiLine => ours(futures_util::stream::iter(
                iter.map(|_| Event::data(MULTI_LINE)),
            )),
        }
    }
}
