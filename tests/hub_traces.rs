//! In traces, a publish and its deliveries join on the event's id. Alone in
//! its test binary: tracing caches, per call site, whether any subscriber
//! wants it, and tests on other threads hitting the same call sites under
//! other subscribers race with that cache.

use sse_runtime::Event;
use sse_runtime::hub::Hub;

/// The publish logs `sse.event_id` (DEBUG), and each subscriber's stream logs
/// the same field (TRACE) inside its `sse.stream` span when it takes it.
#[tokio::test(flavor = "current_thread")]
async fn a_publish_and_its_deliveries_share_the_event_id_in_traces() {
    use axum::body::Body;
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    let mut id = 0;
    let logs = sse_test_support::logs::logs_at(tracing::Level::TRACE, async {
        let hub = Hub::new();
        let mut bodies = Vec::new();
        for _ in 0..2 {
            let subscription = hub.subscribe("news", None).await.unwrap();
            let body: Body = sse_runtime::SseResponse::new(subscription)
                .into_response()
                .into_body();
            bodies.push(body);
        }
        id = hub.publish("news", &Event::data("hello")).await.unwrap();
        for body in &mut bodies {
            // The opening comment and the message, in one frame or two.
            let mut sent = Vec::new();
            while !String::from_utf8_lossy(&sent).contains("data: hello") {
                let frame = body.frame().await.unwrap().unwrap();
                sent.extend_from_slice(&frame.into_data().unwrap());
            }
        }
    })
    .await;
    let published = format!("published sse.topic=\"news\" sse.event_id={id}");
    assert_eq!(logs.matches(&published).count(), 1, "{logs}");
    let delivered =
        format!("sse.stream: sse_runtime::hub::subscription: delivered sse.event_id={id}");
    assert_eq!(logs.matches(&delivered).count(), 2, "{logs}");
}
