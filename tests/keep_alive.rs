//! Keep-alive timing and frame coalescing, on the response body itself with
//! paused time: deterministic, no sleeping.

use std::time::Duration;

use axum::body::Body;
use axum::response::IntoResponse;
use futures_util::stream;
use http_body_util::BodyExt;
use sse_runtime::{Event, KeepAlive, SseResponse};
use tokio::sync::mpsc;
use tokio::time::Instant;

fn body_of(response: impl IntoResponse) -> Body {
    response.into_response().into_body()
}

async fn next_frame(body: &mut Body) -> Option<String> {
    let frame = body.frame().await?.unwrap();
    Some(String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap())
}

/// A stream fed by the test, one event at a time.
fn channel_stream() -> (
    mpsc::UnboundedSender<Event>,
    impl futures_util::Stream<Item = Event>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    (
        tx,
        async_stream::stream! {
            while let Some(event) = rx.recv().await {
                yield event;
            }
        },
    )
}

#[tokio::test(start_paused = true)]
async fn ping_after_fifteen_idle_seconds_by_default() {
    let (_tx, events) = channel_stream();
    let mut body = body_of(SseResponse::new(events));
    let start = Instant::now();
    assert_eq!(next_frame(&mut body).await.unwrap(), ": \n\n");
    assert_eq!(next_frame(&mut body).await.unwrap(), ": ping\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(15));
    assert_eq!(next_frame(&mut body).await.unwrap(), ": ping\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn every_event_restarts_the_idle_timer() {
    let (tx, events) = channel_stream();
    let mut body = body_of(
        SseResponse::new(events)
            .keep_alive(KeepAlive::every(Duration::from_secs(10)).text("still here")),
    );
    let start = Instant::now();
    next_frame(&mut body).await.unwrap();
    tokio::spawn({
        let tx = tx.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(7)).await;
            tx.send(Event::data("at 7s")).unwrap();
        }
    });
    assert_eq!(next_frame(&mut body).await.unwrap(), "data: at 7s\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert_eq!(next_frame(&mut body).await.unwrap(), ": still here\n\n");
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(17),
        "10 s after the last event, not 10 s after start"
    );
}

#[tokio::test(start_paused = true)]
async fn ping_can_be_an_event_from_a_factory() {
    let (_tx, events) = channel_stream();
    let mut n = 0;
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let factory_counter = counter.clone();
    let mut body = body_of(SseResponse::new(events).keep_alive(
        KeepAlive::every(Duration::from_secs(1)).event(move || {
            let n = factory_counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Event::data(n.to_string()).event("ping").unwrap()
        }),
    ));
    next_frame(&mut body).await.unwrap();
    for expected in 0..3 {
        assert_eq!(
            next_frame(&mut body).await.unwrap(),
            format!("event: ping\ndata: {expected}\n\n")
        );
        n += 1;
    }
    assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), n);
}

#[tokio::test(start_paused = true)]
async fn disabled_keep_alive_sends_nothing_and_does_not_spin() {
    let (_tx, events) = channel_stream();
    let mut body = body_of(SseResponse::new(events).keep_alive(KeepAlive::every(Duration::ZERO)));
    next_frame(&mut body).await.unwrap();
    // With paused time the runtime would jump to any timer; a whole day of
    // idleness passes without a frame.
    let idle = tokio::time::timeout(Duration::from_secs(86_400), next_frame(&mut body)).await;
    assert!(idle.is_err(), "a disabled keep-alive sent {idle:?}");
}

#[tokio::test]
async fn ready_events_are_coalesced_into_few_frames() {
    let events = stream::iter((0..10_000).map(|n| Event::data(n.to_string())));
    let mut body = body_of(SseResponse::new(events));
    let mut frames = 0;
    let mut text = String::new();
    while let Some(frame) = next_frame(&mut body).await {
        frames += 1;
        text.push_str(&frame);
    }
    assert_eq!(text.matches("data: ").count(), 10_000);
    assert!(text.ends_with("data: 9999\n\n"));
    // ~118 KB of events in 32 KiB frames.
    assert!(frames <= 6, "{frames} frames for 10,000 ready events");
}

#[tokio::test(start_paused = true)]
async fn a_lone_event_is_sent_at_once() {
    let (tx, events) = channel_stream();
    let mut body = body_of(SseResponse::new(events));
    next_frame(&mut body).await.unwrap();
    tx.send(Event::data("now")).unwrap();
    let start = Instant::now();
    assert_eq!(next_frame(&mut body).await.unwrap(), "data: now\n\n");
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "no waiting to fill a batch"
    );
}
