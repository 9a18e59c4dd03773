//! What a stream following a hub topic keeps for its whole life: its
//! endpoint's future holds the largest state of every `.await` in it, the
//! subscribe's among them, so `Hub::subscribe`'s future must stay small
//! whatever the backend (a shared backend's round trips are boxed, and
//! freed once subscribed).

use sse_runtime::hub::Hub;

#[tokio::test]
async fn subscribing_keeps_a_small_future_on_every_backend() {
    let hub = Hub::new();
    let subscribe = hub.subscribe("room", None);
    let size = std::mem::size_of_val(&subscribe);
    drop(subscribe);
    assert!(
        size <= 128,
        "Hub::subscribe's future is {size} bytes (with the Redis and PostgreSQL backends built \
         in), and every stream following a topic would keep that much for as long as it lives"
    );
}
