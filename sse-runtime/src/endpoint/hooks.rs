//! The hooks an endpoint's attribute names, checked where the user wrote
//! them: `on_disconnect`, `on_shutdown`, and the `error_event` policy.

use std::future::Future;

use crate::event::Event;
use crate::response::{BoxError, Disconnect, SseResponse};

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

/// What `error_event = "name"` sends: an event of that type whose data says
/// only that the stream failed. The error itself (a database message, a host
/// name) goes to the log, never to the client.
pub const GENERIC_ERROR_DATA: &str = "internal error";

/// The `error_event = "name"` policy: `event: name` with
/// [`GENERIC_ERROR_DATA`].
pub fn error_event(name: &'static str) -> impl Fn(&BoxError) -> Option<Event> + Send + Sync {
    move |_error| {
        // `name` was checked at compile time.
        Event::data(GENERIC_ERROR_DATA).event(name).ok()
    }
}

/// The `error_event = path` policy: the event `to_event` makes from the
/// endpoint's own error type. A failure of another kind (a panic) sends no
/// event; it is logged.
pub fn error_event_with<E, F>(to_event: F) -> impl Fn(&BoxError) -> Option<Event> + Send + Sync
where
    E: std::error::Error + 'static,
    F: Fn(&E) -> Event + Send + Sync + 'static,
{
    move |error| error.downcast_ref::<E>().map(&to_event)
}
