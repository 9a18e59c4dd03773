//! What `#[sse_endpoint]` and `#[derive(SseEvent)]` expand into. Not a public
//! API: names here change without notice.
//!
//! Generated code reaches everything through `::sse_runtime::__private`, so a
//! user needs no other dependency and no imports.

use std::future::Future;

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::Serialize;

pub use std::sync::LazyLock;
pub use std::time::Duration;

pub use axum::Router;
pub use axum::response::{IntoResponse, Response};
pub use axum::routing;
pub use serde;

pub use crate::encode::{EventWriter, WriteEvent};
pub use crate::error::EventError;
pub use crate::event::Event;
pub use crate::generator::{BodyOutput, Defaults, Generator, Link, Yielder};
pub use crate::keep_alive::KeepAlive;
pub use crate::lifecycle::Disconnect;
pub use crate::limit::StreamLimit;
pub use crate::line_ending::LineEnding;
pub use crate::response::SseResponse;
pub use crate::shutdown::Shutdown;

/// What every generated handler extracts besides the user's arguments.
#[derive(Debug)]
pub struct EndpointContext {
    shutdown: Option<Shutdown>,
    last_event_id: Option<u64>,
    peer: Option<std::net::SocketAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for EndpointContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // For `id = sequential`: an id this endpoint did not write (not a
        // number) restarts the count rather than failing the request.
        let last_event_id = crate::LastEventId::<u64>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|id| id.0);
        Ok(Self {
            shutdown: parts.extensions.get::<Shutdown>().cloned(),
            last_event_id,
            peer: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0),
        })
    }
}

impl EndpointContext {
    /// Where `id = sequential` starts: after the client's last id, or at 1.
    pub fn first_sequential_id(&self) -> u64 {
        self.last_event_id.map_or(1, |id| id.saturating_add(1))
    }

    /// Wraps the generator in a response wired to the server's shutdown.
    pub fn respond<S>(&self, stream: S) -> SseResponse<S>
    where
        S: crate::EventSource + Send + 'static,
    {
        let mut response = SseResponse::new(stream);
        if let Some(peer) = self.peer {
            response = response.peer(peer);
        }
        match &self.shutdown {
            Some(shutdown) => response.shutdown(shutdown.clone()),
            None => response,
        }
    }
}

/// Gives an endpoint body its declared output type, so `?` knows which error
/// to convert into.
pub fn body<R: BodyOutput, F: Future<Output = R>>(body: F) -> F {
    body
}

/// The wrapper whose method resolution picks how a yielded value is written:
/// as an event if it implements [`WriteEvent`], else as JSON if it implements
/// `Serialize`, else a compile error that says so.
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Wrap<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Wrap<'_, T> {}

/// First choice: the value is an event.
pub trait ViaWriteEvent {
    /// Writes the yielded value.
    fn __sse_write(&self, yielder: &Yielder);
}

impl<T: WriteEvent + ?Sized> ViaWriteEvent for &Wrap<'_, T> {
    fn __sse_write(&self, yielder: &Yielder) {
        yielder.write(self.0);
    }
}

/// Second choice: the value is data, sent as JSON.
pub trait ViaSerialize {
    /// Writes the yielded value.
    fn __sse_write(&self, yielder: &Yielder);
}

impl<T: Serialize + ?Sized> ViaSerialize for Wrap<'_, T> {
    fn __sse_write(&self, yielder: &Yielder) {
        yielder.write_json(self.0);
    }
}

/// Last resort, reached only when neither applies: its bound fails with a
/// message that says what to yield.
impl<T: ?Sized> Wrap<'_, T> {
    /// Never callable: exists to report a value that cannot be yielded.
    pub fn __sse_write(self, _yielder: &Yielder)
    where
        T: Yieldable,
    {
    }
}

/// Implemented by nothing: names the requirement in the error a user sees.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be yielded from an `#[sse_endpoint]`",
    label = "this value is neither an event nor serialisable data",
    note = "yield a type that implements `serde::Serialize` (sent as JSON `data:`), \
            an `sse_runtime::Event`, a `String`/`&str` (sent as text), \
            or a type with `#[derive(SseEvent)]`"
)]
pub trait Yieldable {}

/// An `on_disconnect` hook: `async fn(Disconnect)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an `on_disconnect` hook",
    label = "expected `async fn(sse_runtime::Disconnect)`",
    note = "the hook is called once the stream has ended: `async fn hook(end: Disconnect) {{ .. }}`"
)]
pub trait OnDisconnect: Send + Sync + 'static {
    /// The hook's future.
    type Future: Future<Output = ()> + Send + 'static;
    /// Calls the hook.
    fn call(&self, end: Disconnect) -> Self::Future;
}

impl<F, Fut> OnDisconnect for F
where
    F: Fn(Disconnect) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    type Future = Fut;
    fn call(&self, end: Disconnect) -> Fut {
        self(end)
    }
}

/// Sets a checked `on_disconnect` hook.
pub fn on_disconnect<S, H: OnDisconnect>(response: SseResponse<S>, hook: H) -> SseResponse<S> {
    response.on_disconnect(move |end| hook.call(end))
}

/// An `on_shutdown` hook: `async fn() -> Vec<Event>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an `on_shutdown` hook",
    label = "expected `async fn() -> Vec<sse_runtime::Event>`",
    note = "the events it returns are sent as the stream's farewell: \
            `async fn hook() -> Vec<Event> {{ .. }}`"
)]
pub trait OnShutdown: Send + 'static {
    /// The hook's future.
    type Future: Future<Output = Vec<Event>> + Send + 'static;
    /// Calls the hook.
    fn call(self) -> Self::Future;
}

impl<F, Fut> OnShutdown for F
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Vec<Event>> + Send + 'static,
{
    type Future = Fut;
    fn call(self) -> Fut {
        self()
    }
}

/// Sets a checked `on_shutdown` hook.
pub fn on_shutdown<S, H: OnShutdown>(response: SseResponse<S>, hook: H) -> SseResponse<S> {
    response.on_shutdown(move || hook.call())
}

/// The `error_event` policy: the error's message as the data of an event of
/// the given type.
pub fn error_event(name: &'static str) -> impl Fn(&crate::BoxError) -> Option<Event> + Send + Sync {
    move |error| {
        // `name` was checked for line breaks at compile time.
        Event::data(error.to_string()).event(name).ok()
    }
}

/// A field marked `#[sse(id)]`: written as the event's `id:`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an event id",
    label = "the `#[sse(id)]` field must be an integer or a string",
    note = "ids are sent as text; use an integer type, `String` or `&str`"
)]
pub trait EventIdValue {
    /// Writes `id: <value>`.
    fn write_id(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError>;
}

macro_rules! integer_ids {
    ($($ty:ty),*) => {$(
        impl EventIdValue for $ty {
            fn write_id(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
                let mut digits = itoa::Buffer::new();
                writer.raw_field("id", digits.format(*self));
                Ok(())
            }
        }
    )*};
}

integer_ids!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

impl EventIdValue for str {
    fn write_id(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.id(self)
    }
}

impl EventIdValue for String {
    fn write_id(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        writer.id(self)
    }
}

impl<T: EventIdValue + ?Sized> EventIdValue for &T {
    fn write_id(&self, writer: &mut EventWriter<'_>) -> Result<(), EventError> {
        (**self).write_id(writer)
    }
}
