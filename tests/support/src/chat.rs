//! Talking to `examples/chat` as its page does: post a message, read the
//! room's events.

use std::net::SocketAddr;

use crate::{Client, post_form, request};

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

/// Two processes of the chat, `a` and `b`, sharing a room through their hub's
/// backend: posted to B, read on A (resuming from 0, so whether the post
/// lands before or after A's subscription does not matter); then a client
/// moving from A to B with `Last-Event-ID` gets the message it missed on the
/// way. Returns the ids of those two messages.
pub async fn check_two_processes_share_a_room(a: SocketAddr, b: SocketAddr) -> (u64, u64) {
    let (_, mut on_a) = request(a, "GET", "/events", &[("last-event-id", "0")]).await;
    on_a.read_until("retry: 1000\n\n").await;
    let first = say(b, "hello").await;
    assert_eq!(next_chat(&mut on_a).await, (first, "hello".into()));

    drop(on_a);
    let missed = say(a, "while+moving").await;
    let last = first.to_string();
    let (_, mut on_b) = request(b, "GET", "/events", &[("last-event-id", &last)]).await;
    assert_eq!(next_chat(&mut on_b).await, (missed, "while moving".into()));
    (first, missed)
}
