//! What `#[sse_endpoint]` and `#[derive(SseEvent)]` expand into: the
//! generator that runs an endpoint body as an event stream, the yielder its
//! `yield_!`s write through, and the checked glue the generated code calls.
//!
//! Generated code reaches all of it through `::sse_runtime::__private`, so a
//! user needs no other dependency and no imports. Not a public API: names
//! here change without notice.

mod context;
mod data;
mod defaults;
mod derived;
mod event_id;
mod generator;
mod hooks;
mod routed;
mod yielded;
mod yielder;

pub use self::context::{EndpointContext, NoIdLeft, check_argument, check_last_argument};
pub use self::data::{IdField, SerdeData};
pub use self::defaults::Defaults;
pub use self::derived::{DerivedEvent, DerivedEvents};
pub use self::event_id::EventIdValue;
pub use self::generator::{BodyOutput, Generator, body};
pub use self::hooks::{
    GENERIC_ERROR_DATA, OnDisconnect, OnShutdown, error_event, error_event_with, on_disconnect,
    on_shutdown,
};
pub use self::routed::{Routed, route_of};
pub use self::yielded::{ViaSerialize, ViaSseEvent, Yieldable, Yielded};
pub use self::yielder::{Suspend, Yielder, Yields};
