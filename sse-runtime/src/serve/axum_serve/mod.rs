//! What plain `axum::serve` needs to give event streams the guarantees of
//! [`serve`](crate::serve()): a listener whose sockets watch the send timeout
//! and the grace period (`listener.rs`), and the router as a service per
//! connection, wired to that connection's socket (`make_service.rs`).

mod listener;
mod make_service;

pub use self::listener::SseListener;
pub use self::make_service::{MakeService, make_service};
