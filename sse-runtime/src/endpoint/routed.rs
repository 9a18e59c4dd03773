//! What `routes![..]` mounts an endpoint through, so that naming one without
//! a route is explained rather than "not a crate or module".

use axum::Router;

/// An `#[sse_endpoint]` with a method and path, mountable on a `Router<S>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no route for `routes![..]` to mount",
    label = "an `#[sse_endpoint]` without a method and path, or generic over its own parameters",
    note = "give it one, `#[sse_endpoint(get \"/path\")]`, or mount it by hand: \
            `.route(\"/path\", get({Self}))`; a generic endpoint mounts with \
            `.merge({Self}::route::<..>())`"
)]
pub trait Routed<S> {
    /// The endpoint's router: its `route()`.
    fn router() -> Router<S>;
}

/// `E`'s router, for `routes![..]`.
pub fn route_of<E: Routed<S>, S>() -> Router<S> {
    E::router()
}
