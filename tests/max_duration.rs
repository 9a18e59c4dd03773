//! `max_duration`: streams end cleanly after their maximum lifetime, spread
//! over the jitter window, and a reconnecting client loses nothing across
//! the reconnect (with `id = sequential`, and with the hub).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use eventsource_client::{Client, ClientBuilder, ReconnectOptionsBuilder, SSE};
use futures_util::StreamExt;
use sse_runtime::hub::Hub;
use sse_runtime::{
    Disconnect, DisconnectReason, Event, LastEventId, MaxDuration, Shutdown, SseResponse, routes,
    sse_endpoint,
};
use sse_test_support::{PATIENCE, serve};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Quiet for an hour at a time, and without pings: only its maximum
/// duration ends it.
#[sse_endpoint(get "/", max_duration = "10s", max_duration_jitter = "2s", ping = "0s")]
async fn quiet() {
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        yield_!(0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_thousand_streams_end_spread_over_the_jitter_window_not_in_one_burst() {
    let app: Router = routes![quiet];
    let opened = Instant::now();
    let mut streams = tokio::task::JoinSet::new();
    for _ in 0..1_000 {
        let app = app.clone();
        streams.spawn(async move {
            let mut events = sse_runtime::test::get(app, "/").await;
            events.expect_end().await;
            opened.elapsed()
        });
    }
    let mut ends = streams.join_all().await;
    ends.sort();
    let (first, last) = (ends[0], ends[ends.len() - 1]);
    assert!(
        first >= Duration::from_secs(8) && last <= Duration::from_secs(10),
        "every stream ends within [limit - jitter, limit]: {first:?} .. {last:?}"
    );
    // Ten windows of 200 ms: about 100 ends in each (a uniform spread puts
    // 50..150 there with overwhelming probability; a burst cannot).
    let mut windows = [0u32; 10];
    for end in &ends {
        let at = end.saturating_sub(Duration::from_secs(8)).as_millis() / 200;
        windows[(at as usize).min(9)] += 1;
    }
    assert!(
        windows.iter().all(|&n| (50..=150).contains(&n)),
        "ends per 200 ms of the jitter window: {windows:?}"
    );
    assert!(
        last - first >= Duration::from_millis(1_800),
        "{first:?} .. {last:?}"
    );
    eprintln!(
        "1,000 streams with max_duration 10 s, jitter 2 s: ended from {first:?} to {last:?}; \
         per 200 ms: {windows:?} (at most {} at once-ish)",
        windows.iter().max().unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn a_stream_says_its_farewell_and_reports_max_duration() {
    let (ends, mut ended) = mpsc::unbounded_channel::<Disconnect>();
    let app = Router::new().route(
        "/",
        get(move || {
            let ends = ends.clone();
            async move {
                let max = MaxDuration::new(Duration::from_secs(60))
                    .jitter(Duration::ZERO)
                    .farewell(|| Event::data("reconnect").event("expired").unwrap());
                SseResponse::new(futures_util::stream::pending::<Event>())
                    .max_duration(max)
                    .on_disconnect(move |end| {
                        let _ = ends.send(end);
                        std::future::ready(())
                    })
            }
        }),
    );
    let opened = Instant::now();
    let mut events = sse_runtime::test::get(app, "/").await;
    let farewell = events.expect_event("expired").await;
    assert_eq!(farewell.data, "reconnect");
    events.expect_end().await;
    assert_eq!(
        opened.elapsed(),
        Duration::from_secs(60),
        "no jitter: exactly the limit"
    );
    // The report is made when the body is dropped.
    drop(events);
    let end = ended.recv().await.unwrap();
    assert_eq!(end.reason, DisconnectReason::MaxDuration);
    assert_eq!(end.reason.as_str(), "max_duration");
}

/// Streams ended by their maximum duration, for the reconnect tests.
static EXPIRED: AtomicUsize = AtomicUsize::new(0);

async fn count_expired(end: Disconnect) {
    if end.reason == DisconnectReason::MaxDuration {
        EXPIRED.fetch_add(1, Ordering::Relaxed);
    }
}

/// 1, 2, 3, … every 2 ms, continuing after `Last-Event-ID`; each stream
/// lives 150–200 ms.
#[sse_endpoint(
    get "/ticks",
    id = sequential,
    retry = "10ms",
    max_duration = "200ms",
    max_duration_jitter = "50ms",
    on_disconnect = count_expired,
)]
async fn ticks(LastEventId(last): LastEventId<u64>) {
    let mut interval = tokio::time::interval(Duration::from_millis(2));
    for n in last.map_or(1, |id| id + 1).. {
        interval.tick().await;
        yield_!(n);
    }
}

/// A hub topic, resumed after `Last-Event-ID`; each stream lives 150–200 ms.
#[sse_endpoint(
    get "/topic",
    retry = "10ms",
    max_duration = "200ms",
    max_duration_jitter = "50ms",
    on_disconnect = count_expired,
)]
async fn topic(State(hub): State<Hub>, LastEventId(last): LastEventId<u64>) {
    let mut messages = hub.subscribe("ticks", last).await.expect("subscribed");
    while let Some(message) = messages.next().await {
        yield_!(message);
    }
}

/// Reads `count` events' data from `url` with LaunchDarkly's client, which
/// reconnects (10 ms later) with `Last-Event-ID`; and how many times it
/// connected.
async fn read_across_reconnects(url: &str, count: usize) -> (Vec<u64>, usize) {
    let transport = launchdarkly_sdk_transport::HyperTransport::builder()
        .build_http()
        .expect("an HTTP transport");
    let reconnect = ReconnectOptionsBuilder::new(true)
        .retry_initial(false)
        .delay(Duration::from_millis(10))
        .backoff_factor(1)
        .build();
    let client = ClientBuilder::for_url(url)
        .unwrap()
        .reconnect(reconnect)
        .build_with_transport(transport);
    let mut stream = client.stream();
    let (mut data, mut connected) = (Vec::new(), 0);
    tokio::time::timeout(PATIENCE, async {
        while data.len() < count {
            match stream.next().await {
                Some(Ok(SSE::Event(event))) => data.push(event.data.parse::<u64>().unwrap()),
                Some(Ok(SSE::Connected(_))) => connected += 1,
                Some(Ok(SSE::Comment(_))) => {}
                // The end of each stream; the client reconnects.
                Some(Err(eventsource_client::Error::Eof)) => {}
                Some(Err(error)) => panic!("client error: {error:?}"),
                None => panic!("the client gave up"),
            }
        }
    })
    .await
    .expect("the events arrived in time");
    (data, connected)
}

#[tokio::test]
async fn nothing_is_lost_or_repeated_across_reconnects_with_sequential_ids() {
    let server = serve(routes![ticks], Shutdown::new()).await;
    let before = EXPIRED.load(Ordering::Relaxed);
    let url = format!("http://{}/ticks", server.addr);
    let (data, connected) = read_across_reconnects(&url, 600).await;
    let expected: Vec<u64> = (1..=600).collect();
    assert_eq!(data, expected, "every id once, in order, across reconnects");
    assert!(
        connected >= 3,
        "the stream was ended and resumed: {connected} connections"
    );
    assert!(EXPIRED.load(Ordering::Relaxed) > before);
    eprintln!("sequential ids: 600 events over {connected} connections, none lost or repeated");
}

#[tokio::test]
async fn nothing_is_lost_or_repeated_across_reconnects_with_the_hub() {
    let hub = Hub::new();
    let server = serve(routes![topic].with_state(hub.clone()), Shutdown::new()).await;
    // Published all along, reconnects included.
    let publisher = tokio::spawn({
        let hub = hub.clone();
        async move {
            let mut interval = tokio::time::interval(Duration::from_millis(2));
            for n in 0u64.. {
                interval.tick().await;
                hub.publish("ticks", &Event::data(n.to_string()))
                    .await
                    .expect("published");
            }
        }
    });
    let url = format!("http://{}/topic", server.addr);
    let (data, connected) = read_across_reconnects(&url, 600).await;
    publisher.abort();
    let first = data[0];
    let expected: Vec<u64> = (first..first + 600).collect();
    assert_eq!(
        data, expected,
        "every message once, in order, across reconnects"
    );
    assert!(
        connected >= 3,
        "the stream was ended and resumed: {connected} connections"
    );
    eprintln!("hub: 600 messages over {connected} connections, none lost or repeated");
}
