//! The README's "Testing your endpoints" example, as it stands there
//! (`tests/readme.rs` keeps them equal).

use serde::{Deserialize, Serialize};
use sse_runtime::{SseEvent, sse_endpoint};

#[derive(Debug, PartialEq, Serialize, Deserialize, SseEvent)]
enum Room {
    UserJoined {
        #[sse(id)]
        seq: u64,
        name: String,
    },
    Left,
}

#[sse_endpoint(get "/room", ping = "15s")]
async fn room() {
    yield_!(Room::UserJoined {
        seq: 1,
        name: "ada".into()
    });
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    yield_!(Room::Left);
}

#[tokio::test(start_paused = true)]
async fn room_events() {
    let mut events = sse_runtime::test::get(room::route(), "/room").await;
    let joined = Room::UserJoined {
        seq: 1,
        name: "ada".into(),
    };
    assert_eq!(events.next_as::<Room>().await, joined);
    // A minute of keep-alive pings later, without waiting.
    assert_eq!(events.next_as::<Room>().await, Room::Left);
    events.expect_end().await;
}
