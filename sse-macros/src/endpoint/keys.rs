//! Every key `#[sse_endpoint(...)]` takes, declared once. Parsing finds a key
//! here and reads the value its [`Kind`] takes, checking applies the kind's
//! rule, expansion asks for a key's checked value, and the table in the
//! macro's documentation is rendered from the same rows.

/// Declares the keys: the `Key` enum, its name, kind and documentation row,
/// and `attribute_docs!()`, the rendered table.
macro_rules! keys {
    ($($key:ident: $name:literal, $kind:ident, $example:literal, $effect:literal;)*) => {
        /// One key of the attribute.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub(crate) enum Key {
            $($key,)*
        }

        impl Key {
            /// Every key, in the order of the documentation.
            pub(crate) const ALL: &[Key] = &[$(Key::$key,)*];

            /// The key as written in the attribute.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Key::$key => $name,)*
                }
            }

            /// What value it takes.
            pub(crate) fn kind(self) -> Kind {
                match self {
                    $(Key::$key => Kind::$kind,)*
                }
            }
        }

        /// The attribute's documentation table, rendered from the rows.
        macro_rules! attribute_docs {
            () => {
                concat!(
                    "# Attribute\n\n",
                    "| argument | effect |\n",
                    "|---|---|\n",
                    "| `get \"/path\"` (or `post`, `put`, `patch`, `delete`), first | ",
                    "`NAME::route()` and `routes![NAME]` mount it there; `NAME::PATH` is the path |\n",
                    $("| `", $example, "` | ", $effect, " |\n",)*
                    "\nDurations are a whole number and a unit: `ms`, `s`, `m`, `h`. Every value ",
                    "is checked at compile time, with the error on the offending token.\n",
                )
            };
        }
    };
}

/// What a key's value is, and so how it is parsed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `"3s"`: a whole number and a unit.
    Duration,
    /// Any string.
    Text,
    /// `"\n"`, `"\r\n"` or `"\r"`.
    LineEnding,
    /// An integer of at least 1.
    Count,
    /// A string that is a valid event name.
    EventName,
    /// A valid event name, or the path of a function.
    EventNameOrFn,
    /// The `sequential` id policy.
    IdPolicy,
    /// The path of an `async fn`.
    FnPath,
    /// A type.
    Type,
    /// A string that is an identifier in JavaScript and OpenAPI tools.
    Identifier,
    /// `["a", "b"]`: a list of strings.
    Strings,
    /// The `any` schema policy.
    SchemaPolicy,
}

impl Kind {
    /// What a value of this kind looks like, for "`key` takes ..." errors.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Kind::Duration => "a duration string such as \"3s\" or \"500ms\"",
            Kind::Text => "a string",
            Kind::LineEnding => r#"one of "\n", "\r\n", "\r""#,
            Kind::Count => "an integer",
            Kind::EventName => "an event name string",
            Kind::EventNameOrFn => "an event name string, or the path of a `fn(&E) -> Event`",
            Kind::IdPolicy => "`sequential`",
            Kind::FnPath => "the path of an async fn",
            Kind::Type => "a type",
            Kind::Identifier => "an identifier string such as \"openTicker\"",
            Kind::Strings => "a list of strings such as [\"market\"]",
            Kind::SchemaPolicy => "`any`",
        }
    }
}

keys! {
    Retry: "retry", Duration,
        "retry = \"3s\"", "sends `retry: 3000` first: how long a client waits before it reconnects";
    Ping: "ping", Duration,
        "ping = \"15s\"", "keep-alive interval (default 15 s); `\"0s\"` disables it";
    PingText: "ping_text", Text,
        "ping_text = \"...\"", "keep-alive comment text (default `ping`)";
    Sep: "sep", LineEnding,
        "sep = \"\\r\\n\"", "line ending (`\"\\n\"` default, `\"\\r\\n\"`, `\"\\r\"`)";
    SendTimeout: "send_timeout", Duration,
        "send_timeout = \"10s\"", "drops a client whose writes wait that long (default 30 s; `\"0s\"` turns it off)";
    MaxDuration: "max_duration", Duration,
        "max_duration = \"10m\"", "ends each stream cleanly after that long, less a random tenth (clients reconnect with `Last-Event-ID`, spread out)";
    MaxDurationJitter: "max_duration_jitter", Duration,
        "max_duration_jitter = \"1m\"", "how much earlier than `max_duration` a stream may end, at random (default a tenth of it)";
    MaxStreams: "max_streams", Count,
        "max_streams = 100", "beyond it, `503` with `Retry-After`";
    ErrorEvent: "error_event", EventNameOrFn,
        "error_event = \"error\"", "on an error, sends `event: error` with `data: internal error` (the error is logged, never sent); or `error_event = path` to a `fn(&E) -> Event` on the endpoint's error type";
    Event: "event", EventName,
        "event = \"tick\"", "event type of events that set none";
    Id: "id", IdPolicy,
        "id = sequential", "numbers events 1, 2, …, continuing after `Last-Event-ID`";
    OnDisconnect: "on_disconnect", FnPath,
        "on_disconnect = path", "`async fn(Disconnect)`, run once the stream ended";
    OnShutdown: "on_shutdown", FnPath,
        "on_shutdown = path", "`async fn() -> Vec<Event>`, the farewell on shutdown";
    Yields: "yields", Type,
        "yields = RoomEvent", "the endpoint's contract: every `yield_!` must send a `RoomEvent` (for an enum, any of its variants); anything else is a compile error on that `yield_!`";
    Schema: "schema", SchemaPolicy,
        "schema = any", "leaves the events undescribed in OpenAPI (feature `schema`); without it, `yields = T` needs `T: JsonSchema`, a compile error on `T` otherwise";
    OperationId: "operation_id", Identifier,
        "operation_id = \"openTicker\"", "the OpenAPI `operationId` and the generated TypeScript function's name (default: the handler's name); the summary and description come from the handler's doc comment";
    Tags: "tags", Strings,
        "tags = [\"market\"]", "the OpenAPI tags of the operation";
    State: "state", Type,
        "state = Type", "fixes the router state of `NAME::route()` (by default any state every `State<T>` argument can be taken from, `T: FromRef<S>`)";
}

impl Key {
    /// The key named `name`, if there is one.
    pub(crate) fn named(name: &str) -> Option<Key> {
        Key::ALL.iter().copied().find(|key| key.name() == name)
    }

    /// "`retry`, `ping`, …": every key, for "expected one of" errors.
    pub(crate) fn list() -> String {
        let names: Vec<String> = Key::ALL
            .iter()
            .map(|key| format!("`{}`", key.name()))
            .collect();
        names.join(", ")
    }
}
