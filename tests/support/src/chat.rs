//! Talking to `examples/chat` as its page does: post a message, read the
//! room's events.

use std::net::SocketAddr;

use crate::{Client, post_form};

/// Reads the next chat message from `client`, past the opening `retry:`
/// line and pings; returns its id and text.
pub async fn next_chat(client: &mut Client) -> (u64, String) {
    loop {
        let block = client.read_until("\n\n").await;
        if !block.contains("event: chat") {
            continue;
        }
        let id = block
            .lines()
            .find_map(|line| line.strip_prefix("id: "))
            .expect("an id")
            .parse()
            .expect("a numeric id");
        let data = block
            .lines()
            .find_map(|line| line.strip_prefix("data: "))
            .expect("data");
        let chat: serde_json::Value = serde_json::from_str(data).expect("JSON");
        return (id, chat["text"].as_str().expect("text").to_owned());
    }
}

/// Posts `text` (form-encoded already: `+` for a space) to the room on
/// `server`; returns the id it was published under.
pub async fn say(server: SocketAddr, text: &str) -> u64 {
    let (status, body) = post_form(server, "/send", &format!("name=test&text={text}")).await;
    assert_eq!(status, 200, "{body}");
    body.trim().parse().expect("the id")
}
