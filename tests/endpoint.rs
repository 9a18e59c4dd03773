//! `#[sse_endpoint]` end to end over real TCP.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sse_runtime::{Event, Shutdown, SseEvent, routes, sse_endpoint};
use sse_test_support::{request, serve};

#[derive(Serialize)]
struct Tick {
    n: u32,
}

#[derive(Deserialize)]
struct Range {
    min: u32,
    max: u32,
}

#[sse_endpoint(get "/numbers")]
async fn numbers(Query(range): Query<Range>) {
    for n in range.min..=range.max {
        yield_!(Tick { n });
    }
}

#[tokio::test]
async fn typed_json_from_query() {
    let server = serve(numbers::route(), Shutdown::new()).await;
    let (head, mut client) = request(server.addr, "GET", "/numbers?min=1&max=3", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\n"
    );
}

#[sse_endpoint(get "/mixed", sep = "\r\n")]
async fn mixed() {
    yield_!("text\nlines");
    yield_!(String::from("owned"));
    yield_!(Event::data("built").event("custom").unwrap());
    yield_!(vec![1, 2, 3]);
}

#[tokio::test]
async fn strings_events_and_data_each_go_out_their_way() {
    let server = serve(routes![mixed], Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/mixed", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        ": \r\n\r\ndata: text\r\ndata: lines\r\n\r\ndata: owned\r\n\r\nevent: custom\r\ndata: built\r\n\r\ndata: [1,2,3]\r\n\r\n"
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SseEvent)]
#[sse(event = "tick")]
struct Numbered {
    #[sse(id)]
    seq: u64,
    label: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, SseEvent)]
enum Chat {
    UserJoined {
        name: String,
    },
    Message(String),
    #[sse(event = "bye")]
    Left,
}

#[sse_endpoint(get "/typed")]
async fn typed() {
    yield_!(Numbered {
        seq: 7,
        label: "Zürich\nnorth".into()
    });
    yield_!(Chat::UserJoined { name: "ann".into() });
    yield_!(Chat::Message("hi".into()));
    yield_!(Chat::Left);
}

#[tokio::test]
async fn derived_events() {
    let server = serve(typed::route(), Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/typed", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        ": \n\n\
         id: 7\nevent: tick\ndata: {\"label\":\"Zürich\\nnorth\"}\n\n\
         event: user_joined\ndata: {\"name\":\"ann\"}\n\n\
         event: message\ndata: \"hi\"\n\n\
         event: bye\ndata: null\n\n"
    );
}

#[tokio::test]
async fn derived_events_read_back_in_process() {
    let mut events = sse_runtime::test::get(typed::route(), "/typed").await;
    let numbered = Numbered {
        seq: 7,
        label: "Zürich\nnorth".into(),
    };
    assert_eq!(events.next_as::<Numbered>().await, numbered);
    assert_eq!(
        events.next_as::<Chat>().await,
        Chat::UserJoined { name: "ann".into() }
    );
    assert_eq!(events.next_as::<Chat>().await, Chat::Message("hi".into()));
    assert_eq!(events.next_as::<Chat>().await, Chat::Left);
    events.expect_end().await;
}

#[sse_endpoint(get "/sequential", id = sequential, event = "tick", retry = "2s")]
async fn sequential() {
    for n in 0..3 {
        yield_!(n);
    }
}

#[tokio::test]
async fn sequential_ids_continue_from_last_event_id() {
    let server = serve(sequential::route(), Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/sequential", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        "retry: 2000\n\nid: 1\nevent: tick\ndata: 0\n\nid: 2\nevent: tick\ndata: 1\n\nid: 3\nevent: tick\ndata: 2\n\n"
    );
    let (_, mut client) = request(
        server.addr,
        "GET",
        "/sequential",
        &[("last-event-id", "41")],
    )
    .await;
    let body = client.read_to_end().await;
    assert!(
        body.contains("id: 42\n") && body.contains("id: 44\n"),
        "{body}"
    );
}

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[sse_endpoint(get "/state")]
async fn with_state(State(state): State<AppState>) {
    yield_!(state.greeting);
}

#[sse_endpoint]
async fn by_hand(State(state): State<AppState>) -> Result<(), std::io::Error> {
    yield_!(state.greeting);
    let value: u32 = "12".parse().map_err(std::io::Error::other)?;
    yield_!(value);
    Err(std::io::Error::other("stop here"))?;
    yield_!("never");
    Ok(())
}

#[tokio::test]
async fn state_and_question_mark() {
    let app: Router = with_state::route()
        .route("/by-hand", get(by_hand))
        .with_state(AppState { greeting: "hello" });
    let server = serve(app, Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/state", &[]).await;
    assert_eq!(client.read_to_end().await, ": \n\ndata: hello\n\n");
    let (_, mut client) = request(server.addr, "GET", "/by-hand", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        ": \n\ndata: hello\n\ndata: 12\n\n"
    );
}

#[sse_endpoint(get "/select", error_event = "error")]
async fn select(shutdown: Shutdown) -> Result<(), std::io::Error> {
    let mut n = 0;
    loop {
        tokio::select! {
            _ = shutdown.requested() => {
                yield_!(Event::data("bye").event("shutdown").unwrap());
                return Ok(());
            }
            _ = tokio::task::yield_now() => {
                n += 1;
                if n > 2 {
                    Err(std::io::Error::other("db at 10.0.0.7 refused user admin"))?;
                }
                yield_!(n)
            }
        }
    }
}

#[tokio::test]
async fn yield_inside_select_and_error_event() {
    let server = serve(select::route(), Shutdown::new()).await;
    let (_, mut client) = request(server.addr, "GET", "/select", &[]).await;
    assert_eq!(
        client.read_to_end().await,
        // The error's own text names a host and a user: it goes to the log,
        // never to the client.
        ": \n\ndata: 1\n\ndata: 2\n\nevent: error\ndata: internal error\n\n"
    );
}

mod hooks {
    //! Hooks named in the attribute, wired by the generated code.

    use std::sync::Mutex;
    use std::time::Duration;

    use sse_runtime::{Disconnect, DisconnectReason, Event, Shutdown, sse_endpoint};
    use tokio::sync::mpsc;

    use sse_test_support::{PATIENCE, request, serve};

    static ENDS: Mutex<Option<mpsc::UnboundedSender<Disconnect>>> = Mutex::new(None);

    async fn record(end: Disconnect) {
        if let Some(ends) = ENDS.lock().unwrap().as_ref() {
            let _ = ends.send(end);
        }
    }

    async fn farewell() -> Vec<Event> {
        vec![Event::data("see you").event("shutdown").unwrap()]
    }

    #[sse_endpoint(
        get "/hooked",
        id = sequential,
        on_disconnect = record,
        on_shutdown = farewell,
        max_streams = 1,
        ping = "0s"
    )]
    async fn hooked() {
        for n in 0.. {
            yield_!(n);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn disconnect_and_shutdown_hooks_and_stream_limit() {
        let (ends_tx, mut ends) = mpsc::unbounded_channel();
        *ENDS.lock().unwrap() = Some(ends_tx);
        let shutdown = Shutdown::new();
        let server = serve(hooked::route(), shutdown.clone()).await;

        let (_, mut client) = request(server.addr, "GET", "/hooked", &[]).await;
        client.read_until("id: 3\ndata: 2\n\n").await;
        // max_streams = 1: a second client is refused while the first is open.
        let (refused, _) = request(server.addr, "GET", "/hooked", &[]).await;
        assert_eq!(refused.status, 503);
        drop(client);
        let end = tokio::time::timeout(PATIENCE, ends.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(end.reason, DisconnectReason::ClientGone);
        assert!(end.stats.events >= 3);
        assert_eq!(end.stats.last_id, Some(end.stats.events.to_string()));

        // Once the hook has run the slot is free again; this stream resumes
        // after id 100 and says goodbye on shutdown.
        let (head, mut client) =
            request(server.addr, "GET", "/hooked", &[("last-event-id", "100")]).await;
        assert_eq!(
            head.status, 200,
            "the hook ran before the stream's slot was freed"
        );
        client.read_until("id: 101\ndata: 0\n\n").await;
        shutdown.trigger();
        let rest = client.read_to_end().await;
        assert!(
            rest.ends_with("event: shutdown\ndata: see you\n\n"),
            "{rest}"
        );
        let end = tokio::time::timeout(PATIENCE, ends.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(end.reason, DisconnectReason::Shutdown);
        tokio::time::timeout(PATIENCE, server.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// The usual `FromRef` sub-state: an endpoint taking `State<Greeting>`
/// mounted with `routes![..]` on a router whose state is `AppState`, with no
/// `state = ..`, serves the sub-state.
#[tokio::test]
async fn routes_mount_on_the_app_state_an_extracted_sub_state_comes_from() {
    #[derive(Clone)]
    struct Greeting(&'static str);
    #[derive(Clone)]
    struct AppState {
        greeting: Greeting,
    }
    impl axum::extract::FromRef<AppState> for Greeting {
        fn from_ref(state: &AppState) -> Greeting {
            state.greeting.clone()
        }
    }
    #[sse_endpoint(get "/greet")]
    async fn greet(axum::extract::State(greeting): axum::extract::State<Greeting>) {
        yield_!(greeting.0);
    }
    let app: axum::Router = sse_runtime::routes![greet].with_state(AppState {
        greeting: Greeting("hello from the app state"),
    });
    let server = sse_test_support::serve(app, sse_runtime::Shutdown::new()).await;
    let (_, mut client) = sse_test_support::request(server.addr, "GET", "/greet", &[]).await;
    client
        .read_until("data: hello from the app state\n\n")
        .await;
}
