"""Turns the per-client results of interop/run into INTEROP.md (stdout).

Usage: matrix.py RESULTS_DIR

Every table's rows and each client's checks are declared here, not taken
from what the clients reported: a check missing from a client's results is
✗, never `–`, so a client that stops reporting a check (or a case dropped
from `/cases.json`) cannot pass by its absence. `–` is only for a check
listed in the table's NOT_APPLICABLE with its reason, shown under the table.
A client reporting a check this file does not expect of it is a failure too.

RESULTS_DIR holds `<client>.json` per client, `versions.json` (each client's
version, for the stamp), and `skipped`/`not-run` (`client<TAB>why` lines for
clients interop/run could not run: allowed to be missing, or not). Exits 1
when any cell is ✗. Only the `Generated at commit` line changes from one run
to the next: interop/run compares the rest with the committed INTEROP.md.
"""

import json
import os
import sys

CLIENTS = [
    ("chromium", "Chromium EventSource"),
    ("firefox", "Firefox EventSource"),
    ("webkit", "WebKit EventSource"),
    ("node-eventsource", "Node eventsource 5"),
    ("httpx-sse", "httpx-sse 0.4"),
    ("eventsource-client", "eventsource-client (Rust)"),
    ("eventsource-stream", "eventsource-stream (Rust)"),
]
BROWSERS = ["chromium", "firefox", "webkit"]
RUST = ["eventsource-client", "eventsource-stream"]

# The data cases of interop/server.rs (`/cases.json`), which every client
# streams. Written out rather than fetched, so a case dropped from the
# server is a row of ✗; a case added there and not here is flagged.
CASES = [
    "unnamed", "named", "line-breaks", "trailing-newline", "empty-data", "leading-spaces",
    "non-ascii", "64kib", "json", "id-persists", "id-reset", "comments", "crlf-separator",
    "cr-separator",
]
COMPRESSED = ["compressed-gzip", "compressed-br", "compressed-zstd"]
# Checks of what a client does beyond parsing: browser_checks.mjs runs them
# in a page of each engine; node.mjs, python_check.py and tests/interop.rs
# run each with their clients where the client can observe it.
PAGE_CHECKS = COMPRESSED + ["open-before-first-event", "retry-sets-reconnect-delay"]
RECONNECTION = ["retry-sets-reconnect-delay", "reconnect-resumes-with-last-event-id", "204-stops-reconnecting"]
BEHAVIOUR = ["reconnect-resumes-with-last-event-id", "204-stops-reconnecting", "close-runs-disconnect-hook"]
CORS = ["cors-with-credentials-false", "cors-with-credentials-true"]
WPT = [
    *(f"wpt-status-{code}-closes" for code in [204, 205, 404, 410, 503]),
    "wpt-mime-bogus",
    "wpt-mime-trailing-semicolon",
    "wpt-mime-charset",
    "wpt-raw-fields-id-null-ignored",
]
MORE_PAGE_CHECKS = ["keep-alive-idle-connection", *CORS, *WPT]
CHAT = ["chat-two-pages-see-a-post", "chat-reload-no-gap-no-duplicate", "chat-connection-cut-resumes-without-gap"]
HEAD = ["head-has-no-body"]
ROWS = CASES + PAGE_CHECKS + BEHAVIOUR + MORE_PAGE_CHECKS + CHAT + HEAD
NOT_BROWSERS = ["node-eventsource", "httpx-sse", *RUST]

# (clients, checks, why): the checks of the table that a client is not
# expected to report, each for a reason the client cannot be checked there.
# Every other check of the table is expected of it.
NOT_APPLICABLE = [
    (["webkit"], ["compressed-br", "compressed-zstd"],
     "WebKitGTK does not ask for br or zstd (its `Accept-Encoding`), so the server rightly sends those streams uncompressed"),
    (["firefox", "webkit"], CHAT, "chat.mjs drives the chat example in Chromium only"),
    (["node-eventsource"], ["compressed-zstd"],
     "the package reads through Node 20's fetch (undici 6), which does not decode zstd: asked for it, it hands over the compressed bytes"),
    (["eventsource-client"], COMPRESSED,
     "its transport (launchdarkly-sdk-transport's hyper client) does not decode a `Content-Encoding`"),
    (["eventsource-stream"], COMPRESSED,
     "a parser of the bytes it is given: decoding is the HTTP client's that feeds it"),
    (["eventsource-stream"], ["open-before-first-event", *RECONNECTION],
     "a parser of one response's bytes: it has no connection to open or reconnect"),
    (["httpx-sse"], ["open-before-first-event"], "httpx-sse has no `open` event: `connect_sse` hands over the response"),
    (["httpx-sse"], RECONNECTION, "httpx-sse does not reconnect"),
    (NOT_BROWSERS, CORS,
     "CORS is a browser's rule: a client outside a page sends no `Origin` and enforces no `Access-Control-*` header"),
    (NOT_BROWSERS, WPT,
     "web-platform-tests of a browser's `EventSource` against hand-made bytes and statuses, not this server's output: run in the browsers"),
    (NOT_BROWSERS, CHAT, "the chat example's client is its page: chat.mjs drives two of them in Chromium"),
    ([c for c, _ in CLIENTS if c != "httpx-sse"], HEAD,
     "an SSE client sends only `GET`; python_check.py makes the `HEAD` request with httpx"),
]

OPENAI_CHECKS = {
    "models-list": "`models.list()`: one `model` object (`id`, `object`, `created` in Unix seconds, `owned_by`, nothing else) in a `list`; every check below asks for that model",
    "models-retrieve": "`models.retrieve(id)` of the listed model: the same object",
    "models-unknown": "`models.retrieve` of an unknown id: `NotFoundError`, 404 and the OpenAI error object (`invalid_request_error`, `param: null`, `model_not_found`)",
    "chat-stream": "Chat Completions, streamed: the text reassembled, `finish_reason: stop`, `[DONE]`",
    "chat-complete": "Chat Completions with `stream: false`, from the same token stream",
    "responses-stream": "Responses API events, `response.created` … `response.completed`, `sequence_number` 0, 1, 2, …",
    "responses-helper": "the SDK's `responses.stream` helper rebuilds the final response",
    "error-object": "an unknown model: 404 and the OpenAI error object (`model_not_found`)",
    "cancel": "the client stops after 3 tokens: at most one more token produced",
}

MCP_CHECKS = {
    "revision-2026-07-28": "`server/discover`, then per-request envelopes: list tools, call `countdown` (6 progress notifications, then the result)",
    "revision-2025-11-25": "`initialize` (session), list tools, call `countdown`: priming event, 6 progress notifications, the result",
    "revision-2025-06-18": "the same against a server that speaks up to 2025-06-18 (negotiated down)",
    "revision-2025-03-26": "the same against a server that speaks up to 2025-03-26",
    "resume": "the server closes each stream after 3 events: the client resumes with `GET` + `Last-Event-ID` (at least twice) and gets every notification and the result exactly once",
    "cancel-2026-07-28": "the call is cancelled after 0.35 s (the client closes the stream): the tool stops counting",
    "cancel-2025-11-25": "the call is cancelled after 0.35 s (`notifications/cancelled`): the tool stops counting",
}

CONTRACT_CHECKS = {
    "openapi-3.2-valid": "`GET /openapi.json` passes Redocly's OpenAPI 3.2 validation (and fails it as 3.1: `itemSchema` is 3.2's)",
    "utoipa-and-aide-documents-valid": "an endpoint merged into the JSON of a `#[derive(utoipa::OpenApi)]` document and of an aide `ApiRouter`'s (`tests/openapi_bridges.rs`): both pass Redocly as OpenAPI 3.2",
    "events-match-openapi": "every event the example sends matches its `itemSchema` alternative, its data the `contentSchema`",
    "hub-stream-matches-openapi": "`/ticker/ACME` (a typed hub topic, `yields = Tick`): the events of `?count=3`, and of a stream across a SIGTERM, its farewell included, each match `/ticker/{symbol}`'s items; `count` is an optional query parameter",
    "events-match-json-schema": "every event, parsed, matches `GET /weather.schema.json` (JSON Schema 2020-12)",
    "wrong-events-refused": "altered events (a wrong type, a missing field or id, an unknown name; a farewell under a declared name, a malformed `reset`) fail",
    "typescript-strict": "`typed_events typescript` (the generated module) and a page using it type-check under `tsc --strict`",
    "typescript-query-parameters": "`ticker({ symbol, count })` type-checks with the path and query parameters, typed; a string for `count` fails (TS2322)",
    "typescript-refuses-wrong-handlers": "a handler of the wrong payload type, and an unknown event name, fail type-checking",
    "chromium-typed-events": "the compiled module receives the example's five events, typed and parsed, in headless Chromium",
}
DESCRIPTION_CHECKS = ["openapi-3.2-valid", "utoipa-and-aide-documents-valid", "events-match-openapi", "hub-stream-matches-openapi", "events-match-json-schema", "wrong-events-refused"]
TYPESCRIPT_CHECKS = ["typescript-strict", "typescript-query-parameters", "typescript-refuses-wrong-handlers", "chromium-typed-events"]

TLS_CHECKS = {
    "h2-50-streams": "a page opens 50 `EventSource`s to `examples/tls` over HTTPS (HTTP/2 by ALPN): all 50 receive events, every one over `h2`",
    "http1-6-streams": "the same page with the server's HTTP/2 off (`TLS_HTTP2=0`): 6 streams receive events and 44 wait (six HTTP/1.1 connections per origin)",
}

# Clients of protocols built on SSE, each against the example that speaks
# the protocol: (title, intro, clients, checks, not applicable).
PROTOCOLS = [
    (
        "HTTPS and HTTP/2",
        "The browsers against `examples/tls` (`serve(..).tls(..)`, a self-signed certificate accepted by the test).",
        [("chromium-tls", "Chromium"), ("firefox-tls", "Firefox"), ("webkit-tls", "WebKit")],
        TLS_CHECKS,
        [],
    ),
    (
        "OpenAI streams",
        "The official `openai` clients against `examples/llm` (the model list, Chat Completions and Responses streams).",
        [("openai-python", "openai (Python)"), ("openai-node", "openai (npm)")],
        OPENAI_CHECKS,
        [],
    ),
    (
        "MCP Streamable HTTP",
        "The official MCP SDK clients against `examples/mcp`, for every revision they negotiate.",
        [("mcp-python", "mcp (Python)"), ("mcp-typescript", "@modelcontextprotocol/sdk")],
        MCP_CHECKS,
        [(["mcp-typescript"], ["revision-2026-07-28", "cancel-2026-07-28"],
          "the TypeScript SDK speaks the handshake revisions only (up to 2025-11-25)")],
    ),
    (
        "Typed contract",
        "`examples/typed_events` describes its stream (`yields = Weather`, `sse_runtime::schema`); "
        "independent validators check the description and the events against it.",
        [("contract", "Redocly + jsonschema"), ("contract-typescript", "tsc + Chromium")],
        CONTRACT_CHECKS,
        [
            (["contract"], TYPESCRIPT_CHECKS, "the generated TypeScript is contract.mjs's (tsc + Chromium)"),
            (["contract-typescript"], DESCRIPTION_CHECKS, "the description and the events are contract.py's (Redocly + jsonschema)"),
        ],
    ),
]

# The official MCP conformance suite against `examples/mcp`
# (mcp_conformance.py): its scenarios are the rows, a release of the suite
# at a revision each column. Written out here, so a scenario or a column
# the run dropped is ✗.
CONFORMANCE_SCENARIOS = [
    "server-initialize", "server-session-lifecycle", "server-stateless", "ping", "tools-list",
    "server-sse-polling", "server-sse-multiple-streams", "dns-rebinding-protection",
    "http-header-validation", "http-custom-header-server-validation", "caching",
]
CONFORMANCE_COLUMNS = [
    ("conformance-stable-2025-06-18", "stable, 2025-06-18"),
    ("conformance-stable-2025-11-25", "stable, 2025-11-25"),
    ("conformance-next-2025-03-26", "next, 2025-03-26"),
    ("conformance-next-2025-06-18", "next, 2025-06-18"),
    ("conformance-next-2025-11-25", "next, 2025-11-25"),
    ("conformance-next-2026-07-28", "next, 2026-07-28"),
]

DEVIATIONS = """\
## Client deviations from the spec

Found while building this suite (each is worked around in the client's
check, not in the server):

- **eventsource-stream** (Rust) cannot tell a final lone CR from the start of a
  CRLF until the next byte arrives, so with `\\r` line endings the last event of
  a stream is dispatched only when more bytes (a ping, the next event) come.
  Chromium dispatches at once. On a live stream the next keep-alive delivers
  it; the property test in `sse-runtime/tests/encoding.rs` appends a comment
  line for the same reason.
- **httpx-sse** dispatches blocks without `data` as events with empty data:
  a block that only sets `retry`, and a comment-only block such as a
  keep-alive ping. The spec dispatches nothing for either. Every stream here
  opens with `retry: 100`, so the check skips empty-data events that carry a
  `retry`; a ping between two events shows up as an extra empty event, which
  the check reports as a deviation (≈) when it is the only difference. It also does not reconnect, so the reconnection checks (`retry`,
  `Last-Event-ID`, `204`) are not applicable to it.
- **eventsource-client** (Rust) reports the `id` of each event rather than a
  persisting last event id, so the case checks carry the last id forward
  themselves, as the spec's client does. It applies `retry` only from a block
  that also has `data` (this server sends `retry` in a block of its own, as
  the spec allows), so it reconnects after its own delay; and it jitters every
  delay to between half of it and all of it, where the spec waits at least
  the reconnection time. It takes a `204` for a stream (any 2xx: `Connected`,
  then an empty body) and reconnects, where the spec stops.
"""


class Run:
    """What interop/run left in RESULTS_DIR, and the marks made from it."""

    def __init__(self, directory):
        self.directory = directory
        self.skipped = self.reasons("skipped")
        self.not_run = self.reasons("not-run")
        self.failures = []
        self.deviations = []

    def reasons(self, name):
        path = os.path.join(self.directory, name)
        if not os.path.exists(path):
            return {}
        with open(path) as f:
            return dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())

    def results(self, client, extra=()):
        """The client's results (`<client>.json`, with `<client><extra>.json`
        merged in), or None when it wrote none."""
        found = None
        for suffix in ["", *extra]:
            path = os.path.join(self.directory, f"{client}{suffix}.json")
            if os.path.exists(path):
                with open(path) as f:
                    found = {**(found or {}), **json.load(f)}
        return found

    def table(self, clients, rows, not_applicable, extra=(), deviations=False):
        """The rows of marks, one per check of `rows`, and the flags for
        checks a client reported that are not its own."""
        why_not = {(c, check): why for cs, checks, why in not_applicable for c in cs for check in checks}
        unknown = set(why_not) - {(c, check) for c, _ in clients for check in rows}
        assert not unknown, f"NOT_APPLICABLE names checks or clients the table does not have: {sorted(unknown)}"
        marks = {client: {} for client, _ in clients}
        for client, _ in clients:
            results = self.results(client, extra)
            if results is None and client not in self.skipped:
                # One line for the client, not one per check: each of its checks is ✗.
                if client in self.not_run:
                    why = f"not run: {self.not_run[client]}"
                else:
                    why = "wrote no results (its output in interop/run's log says why)"
                self.failures.append(f"- {client}: {why}; each of its checks is ✗")
            for check in rows:
                marks[client][check] = self.mark(client, check, results, why_not.get((client, check)), deviations)
            for check, result in (results or {}).items():
                if check not in rows:
                    self.failures.append(f"- {client}, {check}: reported ({result}), but matrix.py does not list it (a new case of /cases.json goes in CASES)")
        return [[check] + [marks[client][check] for client, _ in clients] for check in rows]

    def mark(self, client, check, results, not_applicable, deviations):
        """One client's mark for one check, noting a failure or deviation."""
        if client in self.skipped:
            return "skipped"
        result = None if results is None else results.get(check)
        if not_applicable:
            if result is None:
                return "–"
            self.failures.append(f"- {client}, {check}: reported ({result}), but listed as not applicable: {not_applicable}")
            return "✗"
        if result is None:
            if results is not None:
                self.failures.append(f"- {client}, {check}: missing from the client's results")
            return "✗"
        if result == "pass":
            return "✓"
        if deviations and result.startswith("deviation"):
            self.deviations.append(f"- {client}, {check}: {result}")
            return "≈"
        self.failures.append(f"- {client}, {check}: {result}")
        return "✗"


def conformance_table(run):
    """The MCP conformance table's lines: ✓ pass, ✗ fail or missing, – a
    revision the suite does not define the scenario for (its reason, from
    the suite's own list, under the table). A scenario with no ✓ at all
    fails however its cells read."""
    lines = ["| scenario | " + " | ".join(name for _, name in CONFORMANCE_COLUMNS) + " |",
             "|---|" + "---|" * len(CONFORMANCE_COLUMNS)]
    reasons = {}
    for scenario in CONFORMANCE_SCENARIOS:
        marks = []
        for column, name in CONFORMANCE_COLUMNS:
            results = run.results(column)
            result = None if results is None else results.get(scenario)
            if result == "pass":
                marks.append("✓")
            elif result is not None and result.startswith("n/a: "):
                reasons.setdefault(scenario, set()).add(result[len("n/a: "):])
                marks.append("–")
            else:
                run.failures.append(f"- MCP conformance ({name}), {scenario}: {result or 'no result'}")
                marks.append("✗")
        if "✓" not in marks:
            run.failures.append(f"- MCP conformance, {scenario}: passes at no revision")
        lines.append(f"| `{scenario}` | " + " | ".join(marks) + " |")
    for column, _ in CONFORMANCE_COLUMNS:
        for scenario in run.results(column) or {}:
            if scenario not in CONFORMANCE_SCENARIOS:
                run.failures.append(f"- {column}, {scenario}: reported, but matrix.py does not list it")
    lines.append("\nNot applicable (–), as the suite's own list says:\n")
    lines.extend(f"- `{scenario}`: {'; '.join(sorted(why))}." for scenario, why in reasons.items())
    return lines


def not_applicable_lines(clients, not_applicable):
    names = dict(clients)
    return [f"- {', '.join(names[c] for c in cs)}: {', '.join(checks)}: {why}." for cs, checks, why in not_applicable]


def main():
    run = Run(sys.argv[1])
    out = []
    out.append("# Interoperability\n")
    out.append(
        "What independent clients dispatch from this server, generated by `interop/run` "
        "(do not edit by hand). Every case is served by `interop/server.rs` under "
        "`sse_runtime::serve` with its defaults, lean streams on (each stream leaves hyper's "
        "connection once its head is out; `tests/lean_streams.rs` shows hyper's own path, "
        "`.lean_streams(false)`, sends the same bytes); `/cases.json` lists what each client "
        "must receive.\n"
    )
    stamp = os.environ.get("INTEROP_STAMP")
    if stamp:
        out.append(f"Generated at commit {stamp}.\n")
    versions_path = os.path.join(run.directory, "versions.json")
    if os.path.exists(versions_path):
        with open(versions_path) as f:
            versions = json.load(f)
        named = " · ".join(f"{name} {version}" for name, version in versions.items())
        out.append(f"Clients: {named}.\n")
    out.append(
        "✓ pass · ≈ the server's bytes are right but the client deviates from the spec "
        "(listed below) · ✗ fail, or no result for a check the client must report · "
        "– not applicable to that client (why: under the table) · "
        "skipped: the client was not run, allowed by `INTEROP_ALLOW_MISSING` (why: at the end)\n"
    )
    out.append(
        "Rows named `wpt-…` check the browser against hand-made responses (the bytes "
        "or statuses another server might send, from web-platform-tests), not this "
        "runtime's output; `chat-…` rows run the `chat` example. Every other row "
        "streams what the runtime writes.\n"
    )
    out.append("| check | " + " | ".join(name for _, name in CLIENTS) + " |")
    out.append("|---|" + "---|" * len(CLIENTS))
    # Extra checks of a client from another script (chat.mjs) join its own.
    for row in run.table(CLIENTS, ROWS, NOT_APPLICABLE, extra=["-chat"], deviations=True):
        out.append("| " + " | ".join(row) + " |")
    out.append("\nNot applicable (–):\n")
    out.extend(not_applicable_lines(CLIENTS, NOT_APPLICABLE))
    out.append("")

    out.append("## Protocol clients and contracts\n")
    out.append(
        "The official clients of the protocols people build on SSE, against the example "
        "that speaks each; and the typed contract, checked by independent validators.\n"
    )
    for title, intro, clients, checks, not_applicable in PROTOCOLS:
        out.append(f"### {title}\n")
        out.append(intro + "\n")
        out.append("| check | what | " + " | ".join(name for _, name in clients) + " |")
        out.append("|---|---|" + "---|" * len(clients))
        for check, *marks in run.table(clients, list(checks), not_applicable):
            out.append("| " + " | ".join([check, checks[check], *marks]) + " |")
        if not_applicable:
            out.append("\nNot applicable (–):\n")
            out.extend(not_applicable_lines(clients, not_applicable))
        out.append("")

    out.append("### MCP conformance suite\n")
    out.append(
        "The official MCP conformance suite (`@modelcontextprotocol/conformance`, `interop/mcp_conformance.py`) "
        "against `examples/mcp` started with `MCP_CONFORMANCE=1` (the suite's diagnostic tools): each scenario "
        "about the transport, sessions, streams and lifecycle, at each revision the example speaks, with the "
        "stable release of the suite and the next one (which adds 2026-07-28). ✓: every check of the scenario "
        "succeeded, no failure and no warning.\n"
    )
    out.extend(conformance_table(run))
    out.append("")

    if run.failures:
        out.append("## Failures\n")
        out.extend(run.failures)
        out.append("")
    if run.deviations:
        out.append("## Client deviations seen in this run\n")
        out.extend(run.deviations)
        out.append("")
    if run.skipped:
        out.append("## SKIPPED: clients not run\n")
        out.append("These columns say nothing: interop/run was told to go on without them (`INTEROP_ALLOW_MISSING`).\n")
        out.extend(f"- {client}: {why}" for client, why in sorted(run.skipped.items()))
        out.append("")
    out.append(DEVIATIONS)
    print("\n".join(out))
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
