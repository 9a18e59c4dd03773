//! The resume race, for any hub backend: clients resume a few events back
//! while another task publishes, so that every resume crosses the join of
//! replay and live.

use sse_runtime::Event;
use sse_runtime::hub::{Hub, Resume, Subscription};

use crate::PATIENCE;

/// How far back each resume starts: that many events come from the replay,
/// the rest live.
const BACK: usize = 3;

/// Publishes `publishes` events to `topic` from a task of their own and,
/// while it runs, resumes again and again from `BACK` events before the
/// newest. Each resumed subscription must get every id after its
/// `Last-Event-ID` exactly once, in order, up to an event published after it
/// subscribed, as a live-only subscriber that was there from the start saw
/// them. Returns how many resumes were checked.
///
/// The hub's `buffer` must hold every publish, so that the reference
/// subscriber, read only now and then, never lags.
pub async fn check_resume_races(hub: &Hub, topic: &str, publishes: u32) -> usize {
    let mut reference = hub.subscribe(topic, None).await.expect("subscribed");
    let mut seen: Vec<u64> = Vec::new();
    let publisher = {
        let (hub, topic) = (hub.clone(), topic.to_owned());
        tokio::spawn(async move {
            for n in 0..publishes {
                hub.publish(&topic, &Event::data(n.to_string()))
                    .await
                    .expect("published");
                if n % 64 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut checked = 0;
    while !publisher.is_finished() || checked == 0 {
        let newest = publish(hub, topic, "probe").await;
        read_through(&mut reference, &mut seen, newest).await;
        let at = seen.iter().position(|&id| id == newest).expect("seen");
        let last = seen[at.saturating_sub(BACK)];
        let mut resumed = hub.subscribe(topic, Some(last)).await.expect("subscribed");
        assert_eq!(resumed.resume(), Resume::Complete, "resumed after {last}");
        let end = publish(hub, topic, "end").await;
        read_through(&mut reference, &mut seen, end).await;
        let mut got = Vec::new();
        read_through(&mut resumed, &mut got, end).await;
        let want: Vec<u64> = seen
            .iter()
            .copied()
            .filter(|&id| id > last && id <= end)
            .collect();
        assert_eq!(got, want, "resumed after {last}: a gap or a duplicate");
        checked += 1;
    }
    publisher.await.expect("the publisher ran");
    checked
}

async fn publish(hub: &Hub, topic: &str, text: &'static str) -> u64 {
    hub.publish(topic, &Event::data(text))
        .await
        .expect("published")
}

/// Reads `subscription` into `ids` until it has read `through`.
async fn read_through(subscription: &mut Subscription, ids: &mut Vec<u64>, through: u64) {
    while ids.last() != Some(&through) {
        let message = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .expect("a message in time")
            .expect("the subscription stays open");
        ids.push(message.id());
    }
}

/// With [`HubConfig::topic_in_ids`](sse_runtime::hub::HubConfig::topic_in_ids)
/// on `hub`: live and replayed messages carry `id: <topic>:<n>`, the id alone
/// resumes its topic (and no other), and a topic that cannot be part of an id
/// is refused before anything is stored.
pub async fn check_ids_name_their_topic(hub: &Hub) {
    use sse_runtime::EventError;
    use sse_runtime::hub::{HubError, TopicEventId};

    let mut live = hub.subscribe("s-1/call:2", None).await.expect("subscribed");
    let mut wire_ids = Vec::new();
    for n in 0..3 {
        let id = hub
            .publish("s-1/call:2", &Event::data(n.to_string()))
            .await
            .expect("published");
        wire_ids.push(format!("s-1/call:2:{id}"));
    }
    hub.publish("s-1/call:3", &Event::data("other stream"))
        .await
        .expect("published");
    expect_wire_ids(&mut live, &wire_ids, 0, "live").await;

    let last: TopicEventId = wire_ids[0].parse().expect("a topic id");
    assert_eq!(last.topic, "s-1/call:2");
    let mut resumed = hub
        .subscribe(&last.topic, Some(last.id))
        .await
        .expect("subscribed");
    assert_eq!(resumed.resume(), Resume::Complete);
    expect_wire_ids(&mut resumed, &wire_ids, 1, "replayed").await;

    for topic in ["a\nid: 9", "a\r", "a\0"] {
        let published = hub.publish(topic, &Event::data("x")).await;
        assert!(
            matches!(
                published,
                Err(HubError::Event(
                    EventError::LineBreakInId | EventError::NulInId
                ))
            ),
            "publish to {topic:?}: {published:?}"
        );
        let subscribed = hub.subscribe(topic, None).await.map(|_| ());
        assert!(
            matches!(subscribed, Err(HubError::Event(_))),
            "subscribe to {topic:?}: {subscribed:?}"
        );
    }
}

/// The next messages of `subscription`: those published as `data: <n>`
/// under `wire_ids[n]`, from `from` on, byte for byte.
async fn expect_wire_ids(
    subscription: &mut Subscription,
    wire_ids: &[String],
    from: usize,
    what: &str,
) {
    for (n, wire) in wire_ids.iter().enumerate().skip(from) {
        let message = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .expect("in time")
            .expect("open");
        assert_eq!(
            String::from_utf8_lossy(message.as_bytes()),
            format!("id: {wire}\ndata: {n}\n\n"),
            "{what}"
        );
    }
}

/// [`Hub::publish_last`]: a live subscription and one resuming before the
/// last message each get the rest, the last one flagged, and then end.
pub async fn check_last_message_ends_subscriptions(hub: &Hub) {
    let mut live = hub.subscribe("job", None).await.expect("subscribed");
    let first = publish(hub, "job", "1").await;
    let second = publish(hub, "job", "2").await;
    let last = hub
        .publish_last("job", &Event::data("done"))
        .await
        .expect("published");
    let mut resumed = hub.subscribe("job", Some(first)).await.expect("subscribed");
    for (name, subscription, want) in [
        ("live", &mut live, vec![first, second, last]),
        ("resumed", &mut resumed, vec![second, last]),
    ] {
        let mut got = Vec::new();
        while let Some(message) = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .expect("ended in time")
        {
            got.push((message.id(), message.is_last()));
        }
        let flags: Vec<bool> = (0..want.len()).map(|at| at == want.len() - 1).collect();
        let want: Vec<(u64, bool)> = want.into_iter().zip(flags).collect();
        assert_eq!(
            got, want,
            "{name}: the rest, only the last flagged, then the end"
        );
    }
}
