//! What MCP's Streamable HTTP transport asks of a server, checked on the
//! `mcp` example over real sockets: statuses, headers, sessions, the
//! priming event, stream-scoped ids and `Last-Event-ID` replay, the
//! per-request revision, and `Origin`/`Host` validation. The official SDK
//! clients run against it in `interop/mcp_client.*`.

use sse_test_support::{Example, Head, request_with_body};

const ACCEPT_BOTH: (&str, &str) = ("accept", "application/json, text/event-stream");
const JSON: (&str, &str) = ("content-type", "application/json");
const LOCAL: (&str, &str) = ("host", "127.0.0.1");

async fn start(env: &[(&str, &str)]) -> Example {
    let mut env = env.to_vec();
    if !env.iter().any(|(name, _)| *name == "MCP_STEP_MS") {
        env.push(("MCP_STEP_MS", "20"));
    }
    Example::start_with("mcp", &env).await
}

/// POSTs `body` with the headers every MCP client sends, plus `extra`;
/// returns the head and the whole body.
async fn post(example: &Example, extra: &[(&str, &str)], body: &str) -> (Head, String) {
    let mut headers = vec![LOCAL, ACCEPT_BOTH, JSON];
    headers.extend_from_slice(extra);
    let (head, mut client) = request_with_body(example.addr, "POST", "/mcp", &headers, body).await;
    let body = client.read_to_end().await;
    (head, body)
}

async fn get(example: &Example, extra: &[(&str, &str)]) -> (Head, String) {
    let mut headers = vec![LOCAL];
    headers.extend_from_slice(extra);
    let (head, mut client) = request_with_body(example.addr, "GET", "/mcp", &headers, "").await;
    let body = client.read_to_end().await;
    (head, body)
}

fn initialize(version: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"test","version":"1"}}}}}}"#
    )
}

const CALL: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"countdown","arguments":{"steps":3},"_meta":{"progressToken":"p"}}}"#;
const LIST: &str = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;

/// Opens a session; returns its id.
async fn open_session(example: &Example, version: &str, negotiated: &str) -> String {
    let (head, body) = post(example, &[], &initialize(version)).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(
        body.contains(&format!(r#""protocolVersion":"{negotiated}""#)),
        "{body}"
    );
    let session = head
        .header("mcp-session-id")
        .expect("a session id")
        .to_owned();
    assert!(
        !session.is_empty() && session.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        "visible ASCII: {session:?}"
    );
    session
}

/// The `id:` of every event in `body`, in order.
fn ids(body: &str) -> Vec<&str> {
    body.lines()
        .filter_map(|line| line.strip_prefix("id: "))
        .collect()
}

#[tokio::test]
async fn mcp_sessions_streams_and_resumption_follow_the_transport() {
    let example = start(&[]).await;
    let session = open_session(&example, "2025-11-25", "2025-11-25").await;
    let with_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];

    // Notifications and responses: 202, no body.
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let (head, body) = post(&example, &with_session, initialized).await;
    assert_eq!((head.status, body.as_str()), (202, ""));
    let response = r#"{"jsonrpc":"2.0","id":"s1","result":{}}"#;
    assert_eq!(post(&example, &with_session, response).await.0.status, 202);

    // A tool call: `retry`, the priming event (an id, empty data), then the
    // progress notifications and the result, every id naming this stream.
    let (head, call) = post(&example, &with_session, CALL).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert!(call.starts_with("retry: 200\n"), "{call}");
    let prefix = format!("{session}/1:");
    let call_ids = ids(&call);
    assert_eq!(call_ids.len(), 5, "priming, 3 progress, result: {call}");
    assert!(
        call_ids.iter().all(|id| id.starts_with(&prefix)),
        "{call_ids:?}"
    );
    assert!(
        call.contains(&format!("id: {}\ndata: \n\n", call_ids[0])),
        "priming event first: {call}"
    );
    assert_eq!(call.matches("notifications/progress").count(), 3, "{call}");
    assert_eq!(call.matches(r#""progressToken":"p""#).count(), 3, "{call}");
    assert!(call.contains(r#""progress":3,"#), "{call}");
    assert!(call.contains("liftoff after 3 steps"), "{call}");

    // Resumed after the second progress notification: the rest of that
    // stream only, then it ends.
    let after = [
        ("last-event-id", call_ids[2]),
        ("accept", "text/event-stream"),
    ];
    let (head, replay) = get(&example, &[&with_session[..], &after[..]].concat()).await;
    assert_eq!(head.status, 200, "{replay}");
    assert_eq!(ids(&replay), call_ids[3..].to_vec(), "{replay}");
    assert!(replay.contains("liftoff after 3 steps"), "{replay}");

    // An id of no stream of this session: refused, nothing replayed.
    for foreign in ["someone-else/1:5", "garbage", &format!("{session}/x:1")] {
        let last = [("last-event-id", foreign), ("accept", "text/event-stream")];
        let (head, _) = get(&example, &[&with_session[..], &last[..]].concat()).await;
        assert_eq!(head.status, 400, "{foreign}");
    }

    // Wrong revision header: 400. No session: 400. Unknown session: 404.
    let wrong_version = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "1999-01-01"),
    ];
    assert_eq!(post(&example, &wrong_version, LIST).await.0.status, 400);
    // Another revision this server speaks is accepted, as the SDKs do (the
    // conformance suite sends 2025-03-26 on a 2025-11-25 session).
    let older = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-03-26"),
    ];
    assert_eq!(post(&example, &older, LIST).await.0.status, 200);
    assert_eq!(post(&example, &[], LIST).await.0.status, 400);
    assert_eq!(
        post(&example, &[("mcp-session-id", "nope")], LIST)
            .await
            .0
            .status,
        404
    );

    // A call that names no `steps` counts the default 3.
    let default = r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"countdown"}}"#;
    let (head, body) = post(&example, &with_session, default).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(body.contains("liftoff after 3 steps"), "{body}");

    // DELETE ends the session: 404 after.
    let (head, mut client) = request_with_body(
        example.addr,
        "DELETE",
        "/mcp",
        &[LOCAL, with_session[0]],
        "",
    )
    .await;
    client.read_to_end().await;
    assert_eq!(head.status, 204);
    assert_eq!(post(&example, &with_session, LIST).await.0.status, 404);
    example.terminate().await;
}

#[tokio::test]
async fn mcp_progress_leaves_as_each_step_is_counted() {
    // Half a second a step: when the first notification arrives, the
    // second step cannot have been counted, unless notifications wait.
    let example = start(&[("MCP_STEP_MS", "500")]).await;
    let session = open_session(&example, "2025-11-25", "2025-11-25").await;
    let headers = [
        LOCAL,
        ACCEPT_BOTH,
        JSON,
        ("mcp-session-id", session.as_str()),
    ];
    let (head, mut call) = request_with_body(example.addr, "POST", "/mcp", &headers, CALL).await;
    assert_eq!(head.status, 200);
    call.read_until(r#""progress":1,"#).await;
    let (_, mut stats) = request_with_body(example.addr, "GET", "/stats", &[LOCAL], "").await;
    let stats = stats.read_to_end().await;
    assert!(stats.contains(r#""steps_counted":1,"#), "{stats}");
    example.terminate().await;
}

#[tokio::test]
async fn mcp_refuses_what_the_transport_refuses() {
    let example = start(&[]).await;
    let init = initialize("2025-11-25");
    // Accept without text/event-stream: 406; a body that is not JSON: 415
    // by type, 400 by content.
    let (head, _) = request_with_body(
        example.addr,
        "POST",
        "/mcp",
        &[LOCAL, ("accept", "application/json"), JSON],
        &init,
    )
    .await;
    assert_eq!(head.status, 406);
    let (head, _) = request_with_body(
        example.addr,
        "POST",
        "/mcp",
        &[LOCAL, ACCEPT_BOTH, ("content-type", "text/plain")],
        &init,
    )
    .await;
    assert_eq!(head.status, 415);
    let (head, body) = post(&example, &[], "{not json").await;
    assert_eq!(head.status, 400);
    assert!(body.contains("-32700"), "a JSON-RPC parse error: {body}");
    let (head, body) = post(&example, &[], &format!("[{init}]")).await;
    assert_eq!(head.status, 400, "batches: {body}");

    // Methods the endpoint does not have: 405.
    let (head, _) = request_with_body(example.addr, "PUT", "/mcp", &[LOCAL], "").await;
    assert_eq!(head.status, 405);

    // Other sites' pages, and DNS rebinding (a foreign Host): 403. A page
    // served from localhost, or no Origin at all: allowed.
    for (host, origin) in [
        ("127.0.0.1", Some("https://evil.example")),
        ("127.0.0.1", Some("null")),
        ("evil.example:8000", Some("http://evil.example:8000")),
        ("evil.example:8000", None),
    ] {
        let mut headers = vec![("host", host), ACCEPT_BOTH, JSON];
        headers.extend(origin.map(|origin| ("origin", origin)));
        let (head, _) = request_with_body(example.addr, "POST", "/mcp", &headers, &init).await;
        assert_eq!(head.status, 403, "{host} {origin:?}");
    }
    // A host named twice, differently, is not guessed at: two `Host`
    // headers, or an absolute-form target naming another host.
    let twice = [
        ("host", "localhost"),
        ("host", "evil.example"),
        ACCEPT_BOTH,
        JSON,
    ];
    let (head, _) = request_with_body(example.addr, "POST", "/mcp", &twice, &init).await;
    assert_eq!(head.status, 403, "two Host headers");
    let (head, _) = request_with_body(
        example.addr,
        "POST",
        "http://evil.example/mcp",
        &[LOCAL, ACCEPT_BOTH, JSON],
        &init,
    )
    .await;
    assert_eq!(
        head.status, 403,
        "an absolute-form target naming another host"
    );
    let local_page = [("origin", "http://localhost:5173")];
    assert_eq!(post(&example, &local_page, &init).await.0.status, 200);
    example.terminate().await;
}

#[tokio::test]
async fn mcp_before_2025_11_25_streams_without_priming_or_retry() {
    let example = start(&[("MCP_NEWEST", "2025-06-18")]).await;
    // The client asks for the newest; the server counter-offers its own.
    let session = open_session(&example, "2025-11-25", "2025-06-18").await;
    let with_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-06-18"),
    ];
    let (head, call) = post(&example, &with_session, CALL).await;
    assert_eq!(head.status, 200);
    assert!(!call.contains("retry:"), "{call}");
    assert!(!call.contains("data: \n"), "no priming event: {call}");
    assert_eq!(
        ids(&call).len(),
        4,
        "3 progress and the result, each with an id: {call}"
    );
    // Without the per-request revision, a discover probe is just a request
    // without a session.
    let discover = r#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"#;
    assert_eq!(post(&example, &[], discover).await.0.status, 400);
    example.terminate().await;
}

const ENVELOPE: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

#[tokio::test]
async fn mcp_2026_07_28_checks_each_request_and_streams_without_a_session() {
    let example = start(&[]).await;
    let modern = |method| {
        [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", method),
        ]
    };

    let discover =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{{{ENVELOPE}}}}}"#);
    let (head, body) = post(&example, &modern("server/discover"), &discover).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(
        body.contains(r#""2026-07-28""#) && body.contains(r#""2025-11-25""#),
        "{body}"
    );
    assert!(head.header("mcp-session-id").is_none(), "no sessions");

    // The headers must agree with the body; the revision must be spoken.
    let (head, body) = post(&example, &modern("tools/list"), &discover).await;
    assert_eq!(head.status, 400);
    assert!(body.contains("-32020"), "header mismatch: {body}");
    let future = discover.replace("2026-07-28", "2099-01-01");
    let headers = [
        ("mcp-protocol-version", "2099-01-01"),
        ("mcp-method", "server/discover"),
    ];
    let (head, body) = post(&example, &headers, &future).await;
    assert_eq!(head.status, 400);
    assert!(
        body.contains("-32022") && body.contains(r#""supported":["2026-07-28"]"#),
        "{body}"
    );
    let bare = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
    let (head, body) = post(&example, &modern("tools/list"), bare).await;
    assert_eq!(head.status, 400);
    assert!(body.contains("-32602"), "missing capabilities: {body}");

    // A tool call streams on its own response: no priming, no ids.
    let call = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"countdown","arguments":{"steps":2},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"progressToken":"t"}}}"#;
    let mut headers = modern("tools/call").to_vec();
    headers.push(("mcp-name", "countdown"));
    let (head, body) = post(&example, &headers, call).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(ids(&body).is_empty() && !body.contains("retry:"), "{body}");
    assert_eq!(body.matches(r#""progressToken":"t""#).count(), 2, "{body}");
    assert!(
        body.contains(r#""resultType":"complete""#) && body.contains("liftoff after 2 steps"),
        "{body}"
    );
    headers[2] = ("mcp-name", "other");
    assert_eq!(
        post(&example, &headers, call).await.0.status,
        400,
        "Mcp-Name must match"
    );

    // A list carries its caching hints.
    let list =
        format!(r#"{{"jsonrpc":"2.0","id":6,"method":"tools/list","params":{{{ENVELOPE}}}}}"#);
    let (head, body) = post(&example, &modern("tools/list"), &list).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(
        body.contains(r#""cacheScope":"public""#) && body.contains(r#""ttlMs":0"#),
        "{body}"
    );

    // Methods the revision removed are unknown: 404 with -32601.
    let ping = format!(r#"{{"jsonrpc":"2.0","id":4,"method":"ping","params":{{{ENVELOPE}}}}}"#);
    let (head, body) = post(&example, &modern("ping"), &ping).await;
    assert_eq!(head.status, 404, "{body}");
    assert!(
        body.contains("-32601") && body.contains(r#""id":4"#),
        "{body}"
    );

    // An argument mirrored in a header (SEP-2243) must agree with the body,
    // literally or as `=?base64?...?=`.
    let echo = format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"héllo"}},{ENVELOPE}}}}}"#
    );
    let echo_headers = |param| {
        let mut headers = modern("tools/call").to_vec();
        headers.extend([("mcp-name", "echo"), ("mcp-param-text", param)]);
        headers
    };
    let (head, body) = post(&example, &echo_headers("=?base64?aMOpbGxv?="), &echo).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(body.contains("héllo"), "{body}");
    // Another text (literal, wrapped, wrapped unpadded or half-wrapped),
    // padding inside, outside the alphabet, and raw UTF-8 (to be wrapped).
    for wrong in [
        "hello",
        "=?base64?aMOpbGxv?",
        "=?base64?aMOpbGx?=",
        "=?base64?aGVsbG8=?=",
        "=?base64?aMOpbGxw?=",
        "=?base64?aM==bGxv?=",
        "=?base64?aMOp!!xv?=",
        "héllo",
    ] {
        let (head, body) = post(&example, &echo_headers(wrong), &echo).await;
        assert_eq!(head.status, 400, "{wrong}: {body}");
        assert!(body.contains("-32020"), "{wrong}: {body}");
    }
    let mut no_param = modern("tools/call").to_vec();
    no_param.push(("mcp-name", "echo"));
    let (head, body) = post(&example, &no_param, &echo).await;
    assert_eq!(
        (head.status, body.contains("-32020")),
        (400, true),
        "{body}"
    );

    // No GET stream in this revision.
    let (head, _) = get(
        &example,
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("accept", "text/event-stream"),
        ],
    )
    .await;
    assert_eq!(head.status, 405);
    example.terminate().await;
}

/// `DELETE` ends every stream of the session: a running call's stream
/// gets an error answering the call, the standalone stream ends.
#[tokio::test]
async fn mcp_delete_ends_every_stream_of_the_session() {
    let example = start(&[("MCP_STEP_MS", "50")]).await;
    let session = open_session(&example, "2025-11-25", "2025-11-25").await;
    let with_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let mut headers = vec![LOCAL, ACCEPT_BOTH, JSON];
    headers.extend_from_slice(&with_session);
    // 1,000 steps of 50 ms: the call would run for 50 s.
    let long = CALL.replace(r#""steps":3"#, r#""steps":1000"#);
    let (head, mut call) = request_with_body(example.addr, "POST", "/mcp", &headers, &long).await;
    assert_eq!(head.status, 200);
    call.read_until("notifications/progress").await;
    let mut get_headers = vec![LOCAL, ("accept", "text/event-stream")];
    get_headers.extend_from_slice(&with_session);
    let (head, mut standalone) =
        request_with_body(example.addr, "GET", "/mcp", &get_headers, "").await;
    assert_eq!(head.status, 200);
    standalone.read_until("retry:").await;

    let (head, mut delete) = request_with_body(
        example.addr,
        "DELETE",
        "/mcp",
        &[LOCAL, with_session[0]],
        "",
    )
    .await;
    delete.read_to_end().await;
    assert_eq!(head.status, 204);
    // Long before the call would have answered (50 s).
    let limit = std::time::Duration::from_secs(10);
    let rest = call
        .read_to_end_within(limit)
        .await
        .expect("the call's stream ends with the session");
    assert!(
        rest.contains(r#""code":-32000"#)
            && rest.contains(r#""id":7"#)
            && !rest.contains("liftoff"),
        "{rest}"
    );
    standalone
        .read_to_end_within(limit)
        .await
        .expect("the standalone stream ends with the session");
    example.terminate().await;
}

/// One session cannot take the hub for itself: past its share of streams
/// per resumption window it gets 429, and other sessions are unaffected.
#[tokio::test]
async fn mcp_a_session_opens_a_bounded_number_of_streams() {
    let example = start(&[]).await;
    let greedy = open_session(&example, "2025-11-25", "2025-11-25").await;
    let call = |id: usize| {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"x"}}}}}}"#
        )
    };
    let greedy_headers = [("mcp-session-id", greedy.as_str())];
    // The limit, MAX_STREAMS_PER_WINDOW in examples/mcp/sessions.rs.
    for id in 0..1_000 {
        let (head, body) = post(&example, &greedy_headers, &call(id)).await;
        assert_eq!(head.status, 200, "call {id}: {body}");
    }
    let (head, body) = post(&example, &greedy_headers, &call(1_000)).await;
    assert_eq!(head.status, 429, "{body}");
    let other = open_session(&example, "2025-11-25", "2025-11-25").await;
    let (head, body) = post(&example, &[("mcp-session-id", other.as_str())], &call(1)).await;
    assert_eq!(head.status, 200, "{body}");
    example.terminate().await;
}

/// A full session table makes room: a burst of `initialize` ends the
/// session idle longest instead of locking everyone out.
#[tokio::test]
async fn mcp_a_full_session_table_evicts_the_session_idle_longest() {
    let example = start(&[("MCP_MAX_SESSIONS", "3")]).await;
    let first = open_session(&example, "2025-11-25", "2025-11-25").await;
    let second = open_session(&example, "2025-11-25", "2025-11-25").await;
    let third = open_session(&example, "2025-11-25", "2025-11-25").await;
    // Used now: the first is no longer the one idle longest.
    assert_eq!(
        post(&example, &[("mcp-session-id", first.as_str())], LIST)
            .await
            .0
            .status,
        200
    );
    let fourth = open_session(&example, "2025-11-25", "2025-11-25").await;
    let status = |session: String| {
        let example = &example;
        async move {
            post(example, &[("mcp-session-id", session.as_str())], LIST)
                .await
                .0
                .status
        }
    };
    assert_eq!(status(second).await, 404, "evicted");
    for kept in [first, third, fourth] {
        assert_eq!(status(kept).await, 200);
    }
    example.terminate().await;
}

/// What a 2026-07-28 request mirrors in headers is sent once and agrees
/// with the body: a second copy (a proxy may read that one) is refused,
/// and `Mcp-Name` mirrors a resource's URI as it does a tool's name.
#[tokio::test]
async fn mcp_mirrored_headers_are_sent_once_and_agree() {
    let example = start(&[("MCP_CONFORMANCE", "1")]).await;
    let echo = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"hi"}},{ENVELOPE}}}}}"#
    );
    let base = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "echo"),
        ("mcp-param-text", "hi"),
    ];
    let (head, body) = post(&example, &base, &echo).await;
    assert_eq!(head.status, 200, "{body}");
    for twice in [
        ("mcp-param-text", "evil"),
        ("mcp-param-text", "hi"),
        ("mcp-name", "countdown"),
        ("mcp-method", "tools/list"),
        ("mcp-protocol-version", "2025-06-18"),
    ] {
        let mut headers = base.to_vec();
        headers.push(twice);
        let (head, body) = post(&example, &headers, &echo).await;
        assert_eq!(head.status, 400, "{twice:?} twice: {body}");
        assert!(body.contains("-32020"), "{twice:?} twice: {body}");
    }
    // `Mcp-Name` may be wrapped like any mirrored value.
    let mut wrapped = base.to_vec();
    wrapped[2] = ("mcp-name", "=?base64?ZWNobw==?=");
    assert_eq!(post(&example, &wrapped, &echo).await.0.status, 200);

    let read = format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{{"uri":"countdown://stats",{ENVELOPE}}}}}"#
    );
    let read_headers = |name| {
        vec![
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "resources/read"),
            ("mcp-name", name),
        ]
    };
    let (head, body) = post(&example, &read_headers("countdown://stats"), &read).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(
        body.contains("steps_counted") && body.contains(r#""ttlMs":0"#),
        "{body}"
    );
    let (head, body) = post(&example, &read_headers("countdown://evil"), &read).await;
    assert_eq!(
        (head.status, body.contains("-32020")),
        (400, true),
        "{body}"
    );
    let mut unnamed = read_headers("x");
    unnamed.pop();
    assert_eq!(
        post(&example, &unnamed, &read).await.0.status,
        400,
        "no Mcp-Name"
    );

    // A capability given as `null` is not declared; arguments are an
    // object; a progress token is short.
    let call_headers = |name| {
        vec![
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", name),
        ]
    };
    let null_capability = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"test_streaming_elicitation","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":null}}}}"#;
    let (head, body) = post(
        &example,
        &call_headers("test_streaming_elicitation"),
        null_capability,
    )
    .await;
    assert_eq!(
        (head.status, body.contains("-32021")),
        (400, true),
        "{body}"
    );
    let not_an_object = format!(
        r#"{{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{{"name":"countdown","arguments":"x",{ENVELOPE}}}}}"#
    );
    let (head, body) = post(&example, &call_headers("countdown"), &not_an_object).await;
    assert_eq!(
        (head.status, body.contains("-32602")),
        (400, true),
        "{body}"
    );
    let long_token = format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"countdown","_meta":{{"progressToken":"{}","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#,
        "t".repeat(257),
    );
    let (head, body) = post(&example, &call_headers("countdown"), &long_token).await;
    assert_eq!(
        (head.status, body.contains("-32602")),
        (400, true),
        "{body}"
    );
    example.terminate().await;
}

/// A session's streams are its own and bounded: resuming a stream it never
/// opened is refused, one standalone stream at a time (409), one call per
/// request id, a cancelled call's stream ends, and a full table evicts an
/// unused session before a busy one.
#[tokio::test]
async fn mcp_sessions_hold_against_abuse() {
    let example = start(&[("MCP_STEP_MS", "50"), ("MCP_MAX_SESSIONS", "2")]).await;
    let busy = open_session(&example, "2025-11-25", "2025-11-25").await;
    let with_busy = [("mcp-session-id", busy.as_str())];
    let get_headers = [
        LOCAL,
        ("accept", "text/event-stream"),
        ("mcp-session-id", busy.as_str()),
    ];

    // Streams it never opened: the standalone one, and one past its count.
    for never in [format!("{busy}/0:0"), format!("{busy}/999:0")] {
        let mut headers = get_headers.to_vec();
        headers.push(("last-event-id", never.as_str()));
        let (head, mut client) = request_with_body(example.addr, "GET", "/mcp", &headers, "").await;
        client.read_to_end().await;
        assert_eq!(head.status, 400, "{never}");
    }

    // One standalone stream at a time.
    let (head, mut standalone) =
        request_with_body(example.addr, "GET", "/mcp", &get_headers, "").await;
    assert_eq!(head.status, 200);
    standalone.read_until("retry:").await;
    let (head, mut second) = request_with_body(example.addr, "GET", "/mcp", &get_headers, "").await;
    second.read_to_end().await;
    assert_eq!(head.status, 409);

    // One call per request id; cancelling one ends its stream, unanswered.
    let long = CALL.replace(r#""steps":3"#, r#""steps":1000"#);
    let mut call_headers = vec![LOCAL, ACCEPT_BOTH, JSON];
    call_headers.extend_from_slice(&with_busy);
    let (head, mut call) =
        request_with_body(example.addr, "POST", "/mcp", &call_headers, &long).await;
    assert_eq!(head.status, 200);
    call.read_until("notifications/progress").await;
    let (head, body) = post(&example, &with_busy, &long).await;
    assert_eq!(head.status, 200, "{body}");
    assert!(
        body.contains("-32600") && body.contains(r#""id":7"#),
        "a second call 7: {body}"
    );
    let cancel = r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#;
    assert_eq!(post(&example, &with_busy, cancel).await.0.status, 202);
    let rest = call
        .read_to_end_within(std::time::Duration::from_secs(10))
        .await
        .expect("a cancelled call's stream ends");
    assert!(
        !rest.contains("liftoff") && !rest.contains("error"),
        "{rest}"
    );

    // The table is full at two: a third session evicts the unused one,
    // though the busy one (its standalone stream open) was used earlier.
    let unused = open_session(&example, "2025-11-25", "2025-11-25").await;
    let _third = open_session(&example, "2025-11-25", "2025-11-25").await;
    let unused_status = post(&example, &[("mcp-session-id", unused.as_str())], LIST).await;
    assert_eq!(unused_status.0.status, 404);
    assert_eq!(post(&example, &with_busy, LIST).await.0.status, 200);
    drop(standalone);
    example.terminate().await;
}
