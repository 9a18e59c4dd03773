// One table of event names and the verdict on each, shared by the runtime's
// rule (`Event::event`, `EventWriter::event`; checked by the workspace's tests/rules.rs)
// and the macros' compile-time rule (sse-macros/src/rules.rs), so that both
// refuse exactly the same names. A verdict is "ok", "line break", "NUL" or
// "empty"; when a name holds several, the first CR, LF or NUL decides.
&[
    ("tick", "ok"),
    ("user_joined", "ok"),
    ("with space", "ok"),
    ("a:b", "ok"),
    ("Zürich", "ok"),
    ("🎉", "ok"),
    (" ", "ok"),
    ("", "empty"),
    ("a\nb", "line break"),
    ("a\rb", "line break"),
    ("tick\r\n", "line break"),
    ("\n", "line break"),
    ("tick\nid: 666", "line break"),
    ("a\0b", "NUL"),
    ("\0", "NUL"),
    ("a\0\n", "NUL"),
    ("a\n\0", "line break"),
]
