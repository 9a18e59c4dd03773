//! Server-Sent Events for axum, exact to the WHATWG spec and complete for
//! production: keep-alive, disconnect hooks, graceful shutdown with a grace
//! period, send timeouts, `Last-Event-ID` and stream limits.
//!
//! ```
//! use axum::{Router, routing::get};
//! use futures_core::Stream;
//! use sse_runtime::{Event, LastEventId, SseResponse};
//! use std::time::Duration;
//!
//! #[derive(serde::Serialize)]
//! struct Tick { n: u64 }
//!
//! async fn ticks(LastEventId(last): LastEventId<u64>) -> SseResponse<impl Stream<Item = Event>> {
//!     let first = last.map_or(1, |id| id + 1);
//!     let stream = async_stream::stream! {
//!         for n in first.. {
//!             tokio::time::sleep(Duration::from_secs(1)).await;
//!             yield Event::json(&Tick { n }).unwrap().id(n.to_string()).unwrap();
//!         }
//!     };
//!     SseResponse::new(stream).retry(Duration::from_secs(2))
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let app = Router::new().route("/ticks", get(ticks));
//! let listener = sse_runtime::bind("127.0.0.1:0".parse().unwrap()).await?;
//! # let shutdown = sse_runtime::Shutdown::new();
//! # shutdown.trigger();
//! sse_runtime::serve(listener, app)
//! #   .with_shutdown(shutdown)
//!     .await
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! | module | what it holds | at the root |
//! |---|---|---|
//! | (macros) | an `async fn` that sends events as an axum handler; typed events | [`sse_endpoint`], [`yield_!`], [`routes!`], [`SseEvent`](macro@SseEvent) |
//! | [`event`] | one event and its wire format; values that would inject a field are refused | [`Event`], [`SseEvent`], [`Json`], [`EventWriter`], [`LineEnding`], [`EventError`] |
//! | [`response`] | any stream of events as a response: headers, keep-alive, hooks, errors, panics, limits | [`SseResponse`], [`EventStream`], [`KeepAlive`], [`Disconnect`], [`StreamLimit`] |
//! | [`shutdown`] | tells every stream to finish, then ends them after a grace period | [`Shutdown`], [`shutdown_signal`] |
//! | [`serve`](mod@serve) | a server that enforces send timeouts and ends shutdown on time; a listener for reconnect storms | [`serve()`], [`bind`] |
//! | [`last_event_id`] | the reconnecting client's last id, typed | [`LastEventId`] |
//! | [`hub`] | topics with replay for `Last-Event-ID`, in memory, on Redis (feature `redis`) or PostgreSQL (feature `postgres`) | |
//! | `schema` (feature `schema`) | endpoints as OpenAPI 3.2 operations, event types as JSON Schema, a TypeScript module | |
//! | `test` (feature `test-util`) | an endpoint's events read in process, typed, under paused time | |
//! | [`origin`] | refuses other sites' pages and foreign host names (DNS rebinding) with `403` | |
//! | [`metrics`] | what streams and hubs count (feature `metrics`) | |
//!
//! The layers read bottom-up: `event` knows the wire format, `response`
//! streams events, `serve` carries responses on connections; `shutdown` and
//! `last_event_id` stand beside them, and the `hub` and the macros build on
//! them all. ARCHITECTURE.md walks through them.
//!
//! # Features
//! None is on by default. docs.rs shows every feature's items, each marked
//! with the feature it needs (`cargo doc --all-features` locally).
//!
//! | feature | what it adds |
//! |---|---|
//! | `tls` | `serve::Tls` and `Serve::tls`: HTTPS through rustls, with HTTP/2 by ALPN |
//! | `redis` | `Hub::redis`, `Hub::redis_cluster`, `Hub::redis_sentinel`: hub topics in Redis Streams, on one server, a cluster or behind Sentinel, shared by several processes |
//! | `postgres` | `Hub::postgres` and `Hub::publish_in`: hub topics in PostgreSQL tables (sqlx), shared by several processes, published inside the application's transactions |
//! | `schema` | the `schema` module: JSON Schema of event types, OpenAPI 3.2 of endpoints and a TypeScript module (schemars) |
//! | `test-util` | the `test` module: read an endpoint's events in process, in tests, typed |
//! | `metrics` | streams and hubs count into the `metrics` facade ([`metrics`] lists what) |

#![cfg_attr(docsrs, feature(doc_cfg))]
// The crate's README (its crates.io page) compiles, as a doctest.
#![cfg_attr(doctest, doc = include_str!("../README.md"))]
#![doc(test(attr(deny(warnings))))]

mod endpoint;
pub mod event;
pub mod hub;
pub mod last_event_id;
pub mod metrics;
pub mod origin;
pub mod response;
#[cfg(feature = "schema")]
#[cfg_attr(docsrs, doc(cfg(feature = "schema")))]
pub mod schema;
pub mod serve;
pub mod shutdown;
mod sync;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test;

pub use crate::event::{
    Event, EventError, EventWriter, InvalidLineEnding, Json, LineEnding, Sends, SseEvent,
};
pub use crate::last_event_id::{
    LAST_EVENT_ID, LAST_EVENT_ID_QUERY, LastEventId, LastEventIdRejection,
};
pub use crate::response::{
    BoxError, DEFAULT_KEEP_ALIVE, DEFAULT_SEND_TIMEOUT, Disconnect, DisconnectReason, EventStream,
    KeepAlive, MaxDuration, SseResponse, StreamItem, StreamLimit, StreamStats,
};
pub use crate::serve::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_REQUEST_BODY_TIMEOUT, LISTEN_BACKLOG, MakeService, Serve,
    SseListener, bind, make_service, serve,
};
pub use crate::shutdown::{DEFAULT_GRACE_PERIOD, MissingShutdown, Shutdown, shutdown_signal};

/// What `#[sse_endpoint]` and `#[derive(SseEvent)]` expand into. Not a public
/// API: names here change without notice.
///
/// Generated code reaches everything through this module, so a user needs no
/// other dependency and no imports.
#[doc(hidden)]
pub mod __private {
    pub use std::sync::LazyLock;
    pub use std::time::Duration;

    pub use axum::Router;
    pub use axum::extract::FromRef;
    pub use axum::response::{IntoResponse, Response};
    pub use axum::routing;
    pub use serde;

    pub use crate::endpoint::*;
    pub use crate::event::{Event, EventError, EventWriter, LineEnding, SseEvent};
    pub use crate::response::{Disconnect, KeepAlive, MaxDuration, SseResponse, StreamLimit};
    pub use crate::shutdown::Shutdown;
    pub use sse_macros::__with_items as with_items;
    // What `name::operation()` is built from, inside `if_schema!`: this crate's
    // `schema` feature decides (a `cfg` in the expansion would ask the user's).
    pub use crate::__if_schema as if_schema;
    #[cfg(feature = "schema")]
    pub use crate::schema::{Describable, Operation, probe::*};
    // Public at the crate root too, where error messages name it.
    pub use crate::event::Sends;

    /// Glob-imported beside every endpoint: an explicit `use
    /// sse_runtime::yield_` shadows it (and so counts as used), and where
    /// there is none, a `yield_!` in a helper beside the endpoint still
    /// resolves, to the macro that explains where yields work.
    pub mod yield_fallback {
        pub use crate::yield_;
    }
}

/// Expands its input when the `schema` feature is on, to nothing otherwise:
/// how `#[sse_endpoint]` emits `name::operation()` only where schemas exist.
#[cfg(feature = "schema")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_schema {
    ($($item:tt)*) => { $($item)* };
}

#[cfg(not(feature = "schema"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_schema {
    ($($item:tt)*) => {};
}

/// Turns an `async fn` whose body sends events with [`yield_!`] into an axum
/// handler that streams them: sse-starlette's generator endpoints, checked by
/// the compiler. An endpoint is a free function, as axum handlers are (one
/// with a route declares a type of its name beside it, which an `impl`
/// block cannot hold); pass what a method would reach through `self` as
/// `State`.
///
/// ```
/// use axum::extract::Query;
/// use serde::{Deserialize, Serialize};
/// use sse_runtime::{routes, sse_endpoint};
/// use std::time::Duration;
///
/// #[derive(Deserialize)]
/// struct Range { min: u32, max: u32 }
///
/// #[derive(Serialize)]
/// struct Tick { n: u32 }
///
/// #[sse_endpoint(get "/numbers", retry = "3s", ping = "15s")]
/// async fn numbers(Query(range): Query<Range>) {
///     for n in range.min..=range.max {
///         tokio::time::sleep(Duration::from_millis(900)).await;
///         yield_!(Tick { n });              // data: {"n":1}
///     }
/// }
///
/// // Mounted from its attribute, or by hand like any handler:
/// let mounted: axum::Router = routes![numbers];
/// let by_hand: axum::Router = axum::Router::new().route("/numbers", axum::routing::get(numbers));
/// # drop((mounted, by_hand));
/// ```
///
/// # The body
/// - `yield_!(value)` sends one event: a `Serialize` value as compact JSON
///   `data:`, an [`Event`] as built, a `String`/`&str` as text, a
///   [`#[derive(SseEvent)]`](SseEvent) type as its named event. Stable Rust
///   does not allow the `yield` keyword, hence the macro; it works inside
///   `tokio::select!` and other macros, and is a compile error inside a
///   closure, an `async` block or a nested function, where it could not send.
/// - `yields = T` declares what the endpoint sends: every `yield_!` must then
///   send a `T` (for an enum, any of its variants; or a `&T`), and one that
///   sends anything else is a compile error on that `yield_!`, naming both
///   types. The type is the endpoint's contract with its clients.
///
///   ```compile_fail,E0277
///   # use sse_runtime::sse_endpoint;
///   #[derive(serde::Serialize)]
///   struct Tick { n: u64 }
///
///   #[sse_endpoint(get "/ticks", yields = Tick, schema = any)]
///   async fn ticks() {
///       yield_!(Tick { n: 1 });
///       yield_!("not a tick");   // error: this endpoint declares `yields = Tick`
///   }
///   ```
/// - Return nothing, or `Result<(), E>` to use `?`: an error is logged and
///   ends the stream. What the client sees then: nothing more without
///   `error_event`; `event: error` with `data: internal error` with
///   `error_event = "error"` (the error's text could name hosts or tables,
///   so it is never sent); the event your function makes from the error with
///   `error_event = path` (`fn(&E) -> Event`).
/// - Arguments are axum extractors: `State`, `Path`, `Query`, headers,
///   [`LastEventId`], your own. Take a [`Shutdown`] (or `Option<Shutdown>`)
///   to stop cooperatively with `shutdown.requested()` in `tokio::select!`.
///
/// # Attributes
/// After the optional route (`get "/path"`, `post "/path"`, …), in any order,
/// each at most once; every value is checked at compile time. The table at
/// the end of this page is rendered from the macro's own list of keys (the
/// list its "expected one of" error gives), so it names every one. Related
/// types: [`MaxDuration`] (`max_duration`), [`StreamLimit`] (`max_streams`),
/// [`Disconnect`] (`on_disconnect`), [`Event`] (`on_shutdown`).
///
/// # What it expands to
/// The handler gains one hidden extractor first (the server's [`Shutdown`] and
/// the `Last-Event-ID` for `id = sequential`), runs the body as a stream whose
/// yields encode straight into a buffer (no allocation per event), and returns
/// an [`SseResponse`] configured from the attribute. Shutdown and disconnect
/// detection come from the runtime; no polling is written by hand.
#[doc(inline)]
pub use sse_macros::sse_endpoint;

/// Derives [`SseEvent`](trait@SseEvent) for a struct or enum: one named event
/// with an optional id, and as JSON data exactly what the type's own
/// `Serialize` writes, less the id field.
///
/// ```
/// use serde::Serialize;
/// use sse_runtime::{EventWriter, LineEnding, SseEvent};
///
/// #[derive(Serialize, SseEvent)]
/// #[sse(event = "tick")]              // default: the type name in snake_case
/// #[serde(rename_all = "camelCase")]  // every serde attribute applies to the data
/// struct Tick {
///     #[sse(id)]                      // sent as `id:`, not in the data
///     seq: u64,
///     city_name: String,
/// }
///
/// #[derive(Serialize, SseEvent)]
/// enum Room {
///     UserJoined { name: String },    // event: user_joined, data: {"name":..}
///     #[sse(event = "msg")]
///     Message(String),                // event: msg, data: "…"
///     Closed,                         // event: closed, data: null
/// }
///
/// let mut writer = EventWriter::new(LineEnding::Lf);
/// writer.write(&Tick { seq: 7, city_name: "Zürich".into() }).unwrap();
/// writer.write(&Room::Message("hi".into())).unwrap();
/// # let _ = Room::UserJoined { name: String::new() };
/// # let _ = Room::Closed;
/// assert_eq!(
///     std::str::from_utf8(writer.as_bytes()).unwrap(),
///     "id: 7\nevent: tick\ndata: {\"cityName\":\"Zürich\"}\n\nevent: msg\ndata: \"hi\"\n\n"
/// );
/// ```
///
/// The type must implement `Serialize` (derive it beside `SseEvent`); the id
/// field must be an integer or a string. serde writes the data, so every
/// serde attribute holds (`rename_all`, `rename`, `tag`, `content`,
/// `untagged`, `skip`, `skip_serializing_if`, `flatten`, `transparent`,
/// `serialize_with`, ..): the data is `serde_json::to_string(&value)` less
/// the id field. An enum is usually externally tagged (`{"UserJoined":{..}}`
/// in serde_json): there the event name says which variant it is, so the
/// data is the variant's content. Where the id cannot be taken out of what
/// serde writes (`transparent`, `into`, an adjacently tagged `content`, a
/// tuple position moved by `skip_serializing_if`) the derive says so at
/// compile time.
#[doc(inline)]
pub use sse_macros::SseEvent;

/// Sends `value` as the next event of an [`#[sse_endpoint]`](sse_endpoint)
/// body: stable Rust's stand-in for `yield value`.
///
/// The attribute rewrites every `yield_!` directly in the body; this
/// definition only exists to explain the mistake when one is used anywhere
/// else.
///
/// ```compile_fail
/// fn not_an_endpoint() {
///     sse_runtime::yield_!(1);
/// }
/// ```
#[macro_export]
macro_rules! yield_ {
    // What `#[sse_endpoint]` expands at each yield's own path, so that a
    // `use sse_runtime::yield_` the body relies on counts as used.
    (@__sse_used) => {
        ()
    };
    ($($value:tt)*) => {
        ::core::compile_error!(
            "`yield_!` sends an event only directly inside an `#[sse_endpoint]` body: \
             return the value to the body and yield it there, or, from another task, \
             send it through a channel (`tokio::sync::mpsc`) whose receiver the body reads"
        )
    };
}

/// A router mounting endpoints declared with a method and path, as in
/// `#[sse_endpoint(get "/ticks")]`.
///
/// `routes![a, b]` is `Router::new().merge(a::route()).merge(b::route())`,
/// and naming an endpoint without a route is a compile error that says so.
///
/// ```
/// use sse_runtime::{routes, sse_endpoint};
///
/// #[sse_endpoint(get "/hello")]
/// async fn hello() {
///     yield_!("hello");
/// }
///
/// #[sse_endpoint(get "/bye")]
/// async fn bye() {
///     yield_!("bye");
/// }
///
/// let app: axum::Router = routes![hello, bye];
/// # drop(app);
/// ```
#[macro_export]
macro_rules! routes {
    ($($($endpoint:ident)::+),* $(,)?) => {
        $crate::__private::Router::new()
            $(.merge($crate::__private::route_of::<$($endpoint)::+, _>()))*
    };
}
