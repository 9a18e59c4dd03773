// One table of route paths and whether axum 0.8 accepts them, shared by the
// macros' compile-time rule (sse-macros/src/rules.rs) and a test that hands
// each path to axum's own `Router::route` (the workspace's tests/rules.rs), so that
// `#[sse_endpoint(get "..")]` refuses at compile time exactly the paths axum
// would refuse with a panic at start-up.
&[
    ("/", "ok"),
    ("/events", "ok"),
    ("/rooms/{id}", "ok"),
    ("/rooms/{id}/messages/{message_id}", "ok"),
    ("/files/{*path}", "ok"),
    ("/a:b", "ok"),
    ("/a*b", "ok"),
    ("/literal/{{braces}}", "ok"),
    ("/v1/chat/completions", "ok"),
    ("", "refused"),
    ("events", "refused"),
    ("/rooms/:id", "refused"),
    ("/:id", "refused"),
    ("/*rest", "refused"),
    ("/files/*path", "refused"),
    ("/rooms/{}", "refused"),
    ("/rooms/{id", "refused"),
    ("/rooms/id}", "refused"),
    ("/files/{*path}/more", "refused"),
    ("/{*}", "refused"),
]
