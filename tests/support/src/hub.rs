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
