//! The in-process broadcast hub beyond the contract every backend keeps
//! (`tests/hub_contract.rs`: order, exactly once, race-free resume, lag
//! policies, the last message): replay limits by count and age,
//! incarnations, and topic access decided by the endpoint.

use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::{StatusCode, request::Parts};
use sse_runtime::hub::{Hub, HubConfig, HubError, Resume};
use sse_runtime::{Event, EventError, LastEventId, Shutdown, sse_endpoint};
use sse_test_support::{PATIENCE, request, serve};

async fn publish(hub: &Hub, topic: &str, event: &Event) -> u64 {
    hub.publish(topic, event).await.expect("published")
}

async fn subscribe(hub: &Hub, topic: &str, last: Option<u64>) -> sse_runtime::hub::Subscription {
    hub.subscribe(topic, last).await.expect("subscribed")
}

/// A memory hub id's place in its topic: ids are `tag << 32 | n`, the tag
/// telling the topic's incarnations apart.
fn n(id: u64) -> u64 {
    id & 0xFFFF_FFFF
}

/// The places (see [`n`]) of the next `count` messages.
async fn take(sub: &mut sse_runtime::hub::Subscription, count: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    while ids.len() < count {
        let message = tokio::time::timeout(PATIENCE, sub.next())
            .await
            .expect("a message in time")
            .expect("subscription open");
        ids.push(n(message.id()));
    }
    ids
}

#[tokio::test]
async fn replay_is_bounded_and_the_endpoint_learns_of_a_gap() {
    let hub = Hub::with_config(HubConfig {
        replay: 10,
        ..HubConfig::default()
    });
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(publish(&hub, "t", &Event::data(n.to_string())).await);
    }
    let mut sub = subscribe(&hub, "t", Some(ids[4])).await;
    assert_eq!(sub.resume(), Resume::Gap { missed: Some(15) });
    assert_eq!(take(&mut sub, 10).await, (21..=30).collect::<Vec<_>>());
    assert_eq!(
        subscribe(&hub, "t", Some(ids[24])).await.resume(),
        Resume::Complete
    );
    let ahead = ids[29] + 1000;
    assert_eq!(
        subscribe(&hub, "t", Some(ahead)).await.resume(),
        Resume::Unknown {
            last_event_id: ahead
        }
    );
    assert_eq!(subscribe(&hub, "t", None).await.resume(), Resume::Fresh);
}

#[tokio::test(start_paused = true)]
async fn replay_by_age() {
    let hub = Hub::with_config(HubConfig {
        replay_for: Some(Duration::from_secs(60)),
        ..HubConfig::default()
    });
    publish(&hub, "t", &Event::data("old")).await;
    tokio::time::advance(Duration::from_secs(61)).await;
    publish(&hub, "t", &Event::data("new")).await;
    let mut sub = subscribe(&hub, "t", Some(0)).await;
    assert_eq!(sub.resume(), Resume::Gap { missed: Some(1) });
    assert_eq!(take(&mut sub, 1).await, vec![2]);
}

#[tokio::test]
async fn ids_are_the_hubs() {
    let hub = Hub::new();
    let error = hub
        .publish("t", &Event::data("x").id("7").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(error, HubError::Event(EventError::IdSetByHub)),
        "{error}"
    );
    assert_eq!(
        n(publish(&hub, "t", &Event::data("y")).await),
        1,
        "a refused event takes no id"
    );
}

#[sse_endpoint(get "/topics/{topic}")]
async fn topic(
    State(hub): State<Hub>,
    Path(topic): Path<String>,
    LastEventId(last): LastEventId<u64>,
) {
    let mut messages = subscribe(&hub, &topic, last).await;
    while let Some(message) = messages.next().await {
        yield_!(message);
    }
}

/// Only `Authorization: Bearer letmein` may read the private topic.
struct Member;

impl<S: Send + Sync> FromRequestParts<S> for Member {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        match parts.headers.get("authorization").map(|v| v.as_bytes()) {
            None => Err(StatusCode::UNAUTHORIZED),
            Some(b"Bearer letmein") => Ok(Member),
            Some(_) => Err(StatusCode::FORBIDDEN),
        }
    }
}

#[sse_endpoint(get "/private")]
async fn private(_member: Member, State(hub): State<Hub>) -> Result<(), HubError> {
    let mut messages = hub.subscribe("private", None).await?;
    while let Some(message) = messages.next().await {
        yield_!(message);
    }
    Ok(())
}

#[tokio::test]
async fn over_http_with_resume_and_a_private_topic() {
    let hub = Hub::new();
    let app: Router = topic::route()
        .merge(private::route())
        .with_state(hub.clone());
    let server = serve(app, Shutdown::new()).await;

    let (_, mut a) = request(server.addr, "GET", "/topics/room", &[]).await;
    let (_, mut b) = request(server.addr, "GET", "/topics/room", &[]).await;
    a.read_until(": \n\n").await;
    b.read_until(": \n\n").await;
    let hello = publish(&hub, "room", &Event::data("hello").event("chat").unwrap()).await;
    let world = publish(&hub, "room", &Event::data("world").event("chat").unwrap()).await;
    for client in [&mut a, &mut b] {
        client
            .read_until(&format!(
                "id: {hello}\nevent: chat\ndata: hello\n\nid: {world}\nevent: chat\ndata: world\n\n"
            ))
            .await;
    }
    drop(a);
    let away = publish(
        &hub,
        "room",
        &Event::data("while away").event("chat").unwrap(),
    )
    .await;
    let (_, mut back) = request(
        server.addr,
        "GET",
        "/topics/room",
        &[("last-event-id", &world.to_string())],
    )
    .await;
    back.read_until(&format!(
        ": \n\nid: {away}\nevent: chat\ndata: while away\n\n"
    ))
    .await;

    let (denied, mut body) = request(server.addr, "GET", "/private", &[]).await;
    assert_eq!(denied.status, 401);
    let (forbidden, _) = request(
        server.addr,
        "GET",
        "/private",
        &[("authorization", "Bearer guess")],
    )
    .await;
    assert_eq!(forbidden.status, 403);
    publish(&hub, "private", &Event::data("secret")).await;
    assert!(!body.read_to_end().await.contains("secret"));
    let (allowed, mut member) = request(
        server.addr,
        "GET",
        "/private",
        &[("authorization", "Bearer letmein")],
    )
    .await;
    assert_eq!(allowed.status, 200);
    member.read_until(": \n\n").await;
    publish(&hub, "private", &Event::data("for members")).await;
    member.read_until("data: for members\n\n").await;
}

/// The body `router` answers `GET path` with, called as a server calls it.
async fn body_of(mut router: Router, path: &str) -> axum::body::Body {
    let request = http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    tower_service::Service::call(&mut router, request)
        .await
        .unwrap()
        .into_body()
}

/// The first data frame of a response body.
async fn next_data(body: &mut axum::body::Body) -> bytes::Bytes {
    use http_body_util::BodyExt;
    loop {
        let frame = tokio::time::timeout(PATIENCE, body.frame())
            .await
            .expect("a frame in time")
            .expect("body open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            return data;
        }
    }
}

#[tokio::test]
async fn every_subscriber_sends_the_same_bytes_uncopied() {
    use axum::response::IntoResponse;
    let hub = Hub::new();
    // By hand: the subscription as the response's event source.
    let mut by_hand = sse_runtime::SseResponse::new(subscribe(&hub, "t", None).await)
        .into_response()
        .into_body();
    // Through #[sse_endpoint], as a server calls it.
    let mut by_macro = body_of(topic::route().with_state(hub.clone()), "/topics/t").await;
    assert_eq!(&next_data(&mut by_hand).await[..], b": \n\n");
    assert_eq!(&next_data(&mut by_macro).await[..], b": \n\n");

    let id = publish(&hub, "t", &Event::data("shared").event("chat").unwrap()).await;
    let (a, b) = (
        next_data(&mut by_hand).await,
        next_data(&mut by_macro).await,
    );
    assert_eq!(a, format!("id: {id}\nevent: chat\ndata: shared\n\n"));
    assert_eq!(a, b);
    assert_eq!(
        a.as_ptr(),
        b.as_ptr(),
        "both responses send the hub's one copy"
    );
}

/// Relays a topic through `Arc`s, with an endpoint default for event names.
#[sse_endpoint(get "/relay", event = "default")]
async fn relay(State(hub): State<Hub>) {
    let mut messages = subscribe(&hub, "relay", Some(0)).await;
    yield_!("first");
    while let Some(message) = messages.next().await {
        yield_!(std::sync::Arc::new(message));
    }
}

#[tokio::test]
async fn encoded_events_go_out_as_encoded_whether_copied_or_shared() {
    use axum::response::IntoResponse;
    let hub = Hub::new();
    let replayed = publish(&hub, "relay", &Event::data("replayed")).await;
    let mut by_hand = sse_runtime::SseResponse::new(subscribe(&hub, "relay", None).await)
        .into_response()
        .into_body();
    let mut relayed = body_of(relay::route().with_state(hub.clone()), "/relay").await;
    assert_eq!(&next_data(&mut by_hand).await[..], b": \n\n");
    // The replayed message is copied behind "first", which got the
    // endpoint's default name; the message itself gets none.
    assert_eq!(
        std::str::from_utf8(&next_data(&mut relayed).await).unwrap(),
        format!(": \n\nevent: default\ndata: first\n\nid: {replayed}\ndata: replayed\n\n")
    );

    let live = publish(&hub, "relay", &Event::data("live")).await;
    let (direct, through_arc) = (next_data(&mut by_hand).await, next_data(&mut relayed).await);
    assert_eq!(through_arc, format!("id: {live}\ndata: live\n\n"));
    assert_eq!(
        direct.as_ptr(),
        through_arc.as_ptr(),
        "an Arc of a message is shared like the message"
    );
}

#[tokio::test]
async fn topics_are_reclaimed_when_nothing_needs_them() {
    let hub = Hub::new();
    // A client naming 20,000 rooms once each leaves nothing behind.
    for room in 0..20_000 {
        let subscription = subscribe(&hub, &format!("room-{room}"), None).await;
        drop(subscription);
    }
    assert_eq!(hub.topic_count(), 0);

    // A topic with events to replay stays; one whose window is empty goes.
    publish(&hub, "kept", &Event::data("x")).await;
    assert_eq!(hub.topic_count(), 1);
    let nothing_kept = Hub::with_config(HubConfig {
        replay: 0,
        ..HubConfig::default()
    });
    let listener = subscribe(&nothing_kept, "t", None).await;
    nothing_kept.publish("t", &Event::data("x")).await.unwrap();
    drop(listener);
    assert_eq!(nothing_kept.topic_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_new_topic_beyond_the_cap_is_refused_until_one_is_free() {
    let hub = Hub::with_config(HubConfig {
        max_topics: 2,
        replay_for: Some(Duration::from_secs(60)),
        ..HubConfig::default()
    });
    let a = subscribe(&hub, "a", None).await;
    publish(&hub, "b", &Event::data("kept for a minute")).await;
    let refused = hub.subscribe("c", None).await.unwrap_err();
    assert!(
        matches!(refused, HubError::TooManyTopics { limit: 2 }),
        "{refused}"
    );
    assert!(refused.to_string().contains("max_topics"), "{refused}");
    assert!(matches!(
        hub.publish("c", &Event::data("x")).await,
        Err(HubError::TooManyTopics { .. })
    ));
    // Known topics still work at the cap.
    publish(&hub, "a", &Event::data("x")).await;
    // "b" is freed once its replay window expires.
    tokio::time::advance(Duration::from_secs(61)).await;
    let c = subscribe(&hub, "c", None).await;
    // "a" is freed when its subscriber leaves.
    drop(a);
    let d = subscribe(&hub, "d", None).await;
    assert_eq!(hub.topic_count(), 2);
    drop((c, d));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reclaiming_never_loses_a_publish_to_a_new_subscriber() {
    // The last subscriber leaving (which reclaims the topic) races with a
    // new subscriber and a publish: the new subscriber must get it, never
    // be left on a topic taken out of the hub. Nothing is kept for replay,
    // so every round reclaims the topic.
    let hub = Hub::with_config(HubConfig {
        replay: 0,
        ..HubConfig::default()
    });
    for round in 0..2_000 {
        assert_eq!(hub.topic_count(), 0, "reclaimed after round {round}");
        let leaving = subscribe(&hub, "t", None).await;
        let leave = tokio::spawn(async move { drop(leaving) });
        let mut joining = subscribe(&hub, "t", None).await;
        let id = publish(&hub, "t", &Event::data(round.to_string())).await;
        let got = tokio::time::timeout(PATIENCE, joining.next())
            .await
            .expect("a message in time")
            .expect("open");
        assert_eq!(got.id(), id, "round {round}");
        leave.await.unwrap();
        drop(joining);
    }
    assert_eq!(hub.topic_count(), 0);
}

#[tokio::test]
async fn an_id_from_another_incarnation_of_the_topic_is_a_gap() {
    // A server restart: the new process's hub has its own history.
    let before = Hub::new();
    let old = publish(&before, "t", &Event::data("before the restart")).await;
    drop(before);
    let after = Hub::new();
    let mut published = Vec::new();
    for n in 0..3 {
        published.push(publish(&after, "t", &Event::data(n.to_string())).await);
    }
    let mut resumed = subscribe(&after, "t", Some(old)).await;
    assert_eq!(resumed.resume(), Resume::Gap { missed: None });
    assert_eq!(take(&mut resumed, 3).await, vec![1, 2, 3], "what it holds");
    assert_eq!(
        subscribe(&after, "t", Some(published[0])).await.resume(),
        Resume::Complete
    );

    // A reclaimed topic: nothing was kept, so the next incarnation starts a
    // history of its own.
    let hub = Hub::with_config(HubConfig {
        replay: 0,
        ..HubConfig::default()
    });
    let mut listener = subscribe(&hub, "t", None).await;
    let seen = publish(&hub, "t", &Event::data("x")).await;
    listener.next().await.unwrap();
    drop(listener);
    assert_eq!(hub.topic_count(), 0);
    publish(&hub, "t", &Event::data("y")).await;
    assert_eq!(
        subscribe(&hub, "t", Some(seen)).await.resume(),
        Resume::Gap { missed: None }
    );
}

/// By hand, so that a refused topic answers before the stream starts.
async fn room(
    State(hub): State<Hub>,
    Path(room): Path<String>,
) -> Result<sse_runtime::SseResponse<sse_runtime::hub::Subscription>, HubError> {
    Ok(sse_runtime::SseResponse::new(
        hub.subscribe(&room, None).await?,
    ))
}

#[tokio::test]
async fn a_refused_topic_is_a_503_with_retry_after() {
    let hub = Hub::with_config(HubConfig {
        max_topics: 1,
        ..HubConfig::default()
    });
    let app = Router::new()
        .route("/rooms/{room}", axum::routing::get(room))
        .with_state(hub);
    let server = serve(app, Shutdown::new()).await;
    let (open, mut first) = request(server.addr, "GET", "/rooms/one", &[]).await;
    assert_eq!(open.status, 200);
    first.read_until(": \n\n").await;
    let (refused, mut body) = request(server.addr, "GET", "/rooms/two", &[]).await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(body.read_to_end().await.contains("max_topics"));
}

#[tokio::test(start_paused = true)]
async fn a_publish_key_stores_once_within_its_window() {
    let hub = Hub::with_config(HubConfig {
        idempotency_window: Duration::from_secs(60),
        ..HubConfig::default()
    });
    let mut listener = subscribe(&hub, "t", None).await;
    let event = Event::data("once");
    let first = hub.publish_once("t", "k", &event).await.unwrap();
    assert_eq!(hub.publish_once("t", "k", &event).await.unwrap(), first);
    let other = hub.publish_once("t", "other", &event).await.unwrap();
    assert_ne!(other, first);
    tokio::time::advance(Duration::from_secs(61)).await;
    let again = hub.publish_once("t", "k", &event).await.unwrap();
    assert_ne!(again, first, "forgotten after the window");
    assert_eq!(take(&mut listener, 3).await, vec![1, 2, 3]);
}

#[tokio::test]
async fn ids_can_name_their_topic() {
    let hub = Hub::with_config(HubConfig {
        topic_in_ids: true,
        ..HubConfig::default()
    });
    sse_test_support::hub::check_ids_name_their_topic(&hub).await;
    assert_eq!(
        hub.topic_count(),
        2,
        "nothing stored for the refused topics"
    );
}
