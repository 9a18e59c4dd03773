"""Turns the per-client results of interop/run into INTEROP.md (stdout).

Usage: matrix.py RESULTS_DIR [MISSING_CLIENT ...]

RESULTS_DIR/versions.json, if present, names each client's version; the
stamp line gives them with the commit the matrix was generated from. Only
the `Generated at commit` line changes from one run to the next: interop/run
compares the rest with the committed INTEROP.md.
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

OPENAI_CHECKS = {
    "chat-stream": "Chat Completions, streamed: the text reassembled, `finish_reason: stop`, `[DONE]`",
    "chat-complete": "Chat Completions with `stream: false`, from the same token stream",
    "responses-stream": "Responses API events, `response.created` … `response.completed`, `sequence_number` 0, 1, 2, …",
    "responses-helper": "the SDK's `responses.stream` helper rebuilds the final response",
    "error-object": "an unknown model: 404 and the OpenAI error object (`model_not_found`)",
    "cancel": "the client stops after 3 tokens: at most one more token produced",
}

MCP_CLIENTS = [
    ("mcp-python", "mcp (Python)"),
    ("mcp-typescript", "@modelcontextprotocol/sdk"),
]

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
    "events-match-openapi": "every event the example sends matches its `itemSchema` alternative, its data the `contentSchema`",
    "events-match-json-schema": "every event, parsed, matches `GET /weather.schema.json` (JSON Schema 2020-12)",
    "wrong-events-refused": "altered events (a wrong type, a missing field or id, an unknown name) fail both",
    "typescript-strict": "`typed_events typescript` (the generated module) and a page using it type-check under `tsc --strict`",
    "typescript-refuses-wrong-handlers": "a handler of the wrong payload type, and an unknown event name, fail type-checking",
    "chromium-typed-events": "the compiled module receives the example's five events, typed and parsed, in headless Chromium",
}

TLS_CHECKS = {
    "h2-50-streams": "a page opens 50 `EventSource`s to `examples/tls` over HTTPS (HTTP/2 by ALPN): all 50 receive events, every one over `h2`",
    "http1-6-streams": "the same page with the server's HTTP/2 off (`TLS_HTTP2=0`): 6 streams receive events and 44 wait (six HTTP/1.1 connections per origin)",
}

# Clients of protocols built on SSE, each against the example that speaks
# the protocol, with the checks of their own table.
PROTOCOLS = [
    (
        "HTTPS and HTTP/2",
        "The browsers against `examples/tls` (`serve(..).tls(..)`, a self-signed certificate accepted by the test).",
        [("chromium-tls", "Chromium"), ("firefox-tls", "Firefox"), ("webkit-tls", "WebKit")],
        TLS_CHECKS,
    ),
    (
        "OpenAI streams",
        "The official `openai` clients against `examples/llm` (Chat Completions and Responses streams).",
        [("openai-python", "openai (Python)"), ("openai-node", "openai (npm)")],
        OPENAI_CHECKS,
    ),
    (
        "MCP Streamable HTTP",
        "The official MCP SDK clients against `examples/mcp`, for every revision they negotiate. "
        "The TypeScript SDK speaks the handshake revisions only (up to 2025-11-25).",
        MCP_CLIENTS,
        MCP_CHECKS,
    ),
    (
        "Typed contract",
        "`examples/typed_events` describes its stream (`yields = Weather`, `sse_runtime::schema`); "
        "independent validators check the description and the events against it.",
        [("contract", "Redocly + jsonschema"), ("contract-typescript", "tsc + Chromium")],
        CONTRACT_CHECKS,
    ),
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
  the check reports as a deviation (≈) when it is the only difference. It also does not reconnect, so the behaviour cases (reconnection,
  `Last-Event-ID`, `204`) are not applicable to it.
- **eventsource-client** (Rust) is run with reconnection off; it reports the
  `id` of each event rather than a persisting last event id, so the check
  carries the last id forward itself, as the spec's client does.
"""


def load_results(directory, clients, extra=None):
    """Each client's results (`<client>.json`, and `<client><extra>.json`
    merged in), for the clients that wrote any."""
    results = {}
    for client, _ in clients:
        for suffix in ["", extra] if extra else [""]:
            path = os.path.join(directory, f"{client}{suffix}.json")
            if os.path.exists(path):
                with open(path) as f:
                    results.setdefault(client, {}).update(json.load(f))
    return results


def main():
    directory = sys.argv[1]
    missing = set(sys.argv[2:])
    # Extra checks of a client from another script (chat.mjs) join its own.
    results = load_results(directory, CLIENTS, extra="-chat")
    checks = []
    for client, _ in CLIENTS:
        for check in results.get(client, {}):
            if check not in checks:
                checks.append(check)

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
    versions_path = os.path.join(directory, "versions.json")
    if os.path.exists(versions_path):
        with open(versions_path) as f:
            versions = json.load(f)
        named = " · ".join(f"{name} {version}" for name, version in versions.items())
        out.append(f"Clients: {named}.\n")
    out.append(
        "✓ pass · ≈ the server's bytes are right but the client deviates from the spec "
        "(listed below) · ✗ fail · – not applicable to that client · skipped: client not installed\n"
    )
    header = "| check | " + " | ".join(name for _, name in CLIENTS) + " |"
    out.append(
        "Rows named `wpt-…` check the browser against hand-made responses (the bytes "
        "or statuses another server might send, from web-platform-tests), not this "
        "runtime's output; `chat-…` rows run the `chat` example. Every other row "
        "streams what the runtime writes.\n"
    )
    out.append(header)
    out.append("|---|" + "---|" * len(CLIENTS))
    failures = []
    deviations = []
    for check in checks:
        row = [check]
        for client, _ in CLIENTS:
            if client not in missing and client not in results:
                row.append("?")
                continue
            result = results.get(client, {}).get(check)
            row.append(cell(client, check, result, missing, failures, deviations, absent="–"))
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.extend(protocol_table(directory, missing, failures))
    if failures:
        out.append("## Failures\n")
        out.extend(failures)
        out.append("")
    if deviations:
        out.append("## Client deviations seen in this run\n")
        out.extend(deviations)
        out.append("")
    if missing:
        out.append(f"Skipped (not installed when generated): {', '.join(sorted(missing))}.\n")
    out.append(DEVIATIONS)
    print("\n".join(out))


def cell(client, check, result, missing, failures, deviations, absent):
    """One client's mark for one check, noting a failure or deviation.

    `result` is None when the client has no result for the check (`absent`
    is then shown); `deviations` is None where the table knows none.
    """
    if client in missing:
        return "skipped"
    if result is None:
        return absent
    if result == "pass":
        return "✓"
    if deviations is not None and result.startswith("deviation"):
        deviations.append(f"- {client}, {check}: {result}")
        return "≈"
    failures.append(f"- {client}, {check}: {result}")
    return "✗"


def protocol_table(directory, missing, failures):
    """The official clients of protocols built on SSE, against the examples."""
    out = ["## Protocol clients and contracts\n"]
    out.append(
        "The official clients of the protocols people build on SSE, against the example "
        "that speaks each; and the typed contract, checked by independent validators.\n"
    )
    for title, intro, clients, checks in PROTOCOLS:
        results = load_results(directory, clients)
        out.append(f"### {title}\n")
        out.append(intro + "\n")
        out.append("| check | what | " + " | ".join(name for _, name in clients) + " |")
        out.append("|---|---|" + "---|" * len(clients))
        for check, what in checks.items():
            row = [check, what]
            for client, _ in clients:
                if client in results and check not in results[client]:
                    row.append("–")
                    continue
                result = results.get(client, {}).get(check)
                row.append(cell(client, check, result, missing, failures, None, absent="?"))
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return out


if __name__ == "__main__":
    main()
