"""Python's httpx-sse against interop-server: every data case, compressed
streams, keep-alive on an idle stream, the disconnect hook, and HEAD.

httpx-sse does not reconnect and has no `open` event, so the reconnection
checks and `open-before-first-event` are not its to check.
"""

import json
import os
import sys
import time

import httpx
from httpx_sse import connect_sse

base = os.environ["INTEROP_URL"]


def collect(client, path, headers=None):
    """Every event until the case's stream ends (httpx-sse does not
    reconnect); `headers` gets the response's headers."""
    got = []
    with connect_sse(client, "GET", base + path) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        if headers is not None:
            headers.update(source.response.headers)
        for sse in source.iter_sse():
            # httpx-sse yields a block that only sets `retry` as an event with
            # empty data, which a spec-following client never dispatches (see
            # INTEROP.md); skip exactly those.
            if sse.data == "" and sse.retry is not None:
                continue
            got.append({"type": sse.event, "data": sse.data, "lastEventId": sse.id})
    return got


def poll(client, path):
    """What the server reports at `path` once it has something (5 s at most)."""
    for _ in range(100):
        text = client.get(base + path).text
        if text:
            return text
        time.sleep(0.05)
    return ""


COMPRESSED = [
    {"type": "message", "data": '{"author":"ada","room":"general","text":"hi"}', "lastEventId": ""},
    {"type": "note", "data": "line one\nline two", "lastEventId": "2"},
    {"type": "message", "data": '{"author":"grace","room":"general","text":"hello"}', "lastEventId": "2"},
]


def compressed(client, encoding):
    """`/compressed/<encoding>` (tower-http's CompressionLayer, one encoding):
    httpx asks for gzip, br and zstd (br and zstd with the `brotli` and
    `zstandard` packages installed) and decodes as the events arrive."""
    headers = {}
    got = collect(client, f"/compressed/{encoding}", headers)
    used = headers.get("content-encoding")
    if used != encoding:
        return f"fail: content-encoding {used} (httpx asked for {client.headers.get('accept-encoding')})"
    return compare(got, COMPRESSED)


def keep_alive():
    """An idle stream outlives a 0.5 s read timeout because of its pings: one
    event after 1.5 s of pings every 100 ms, and the server says it sent
    them. The same stream without pings must trip the timeout, or the
    timeout proves nothing."""
    tag = f"httpx-idle-{time.time_ns()}"
    with httpx.Client(timeout=httpx.Timeout(10, read=0.5)) as client:
        try:
            got = collect(client, f"/idle/tagged/{tag}")
        except httpx.ReadTimeout:
            return "fail: read timeout on the stream with pings"
        try:
            silent = collect(client, "/idle/0")
            return f"fail: the stream without pings outlived the read timeout ({silent})"
        except httpx.ReadTimeout:
            pass
        if [e["data"] for e in got] != ["still connected"]:
            return f"fail: events {got}"
        sent = poll(client, f"/idle-bytes/{tag}")
    # The opening `: ` line, the event, and at least ten `: ping` comments.
    least = len(": \n\n") + len("data: still connected\n\n") + 10 * len(": ping\n\n")
    return "pass" if sent and int(sent) >= least else f"fail: {sent or 'no'} bytes sent (at least {least} with pings)"


def close_runs_disconnect_hook(client):
    """Leaving `connect_sse` mid-stream closes the response: the server's
    disconnect hook runs with the reason `client_gone`."""
    tag = f"httpx-{time.time_ns()}"
    with connect_sse(client, "GET", f"{base}/until-closed/{tag}") as source:
        first = next(source.iter_sse())
    if first.data != "open":
        return f"fail: first event {first}"
    reason = poll(client, f"/disconnect-reason/{tag}")
    return "pass" if reason == "client_gone" else f"fail: reason {reason!r}"


def compare(got, want):
    if got == want:
        return "pass"
    # httpx-sse also dispatches comment-only blocks (keep-alive pings) as
    # events with empty data, which it cannot tell from `data: ` (see
    # INTEROP.md). If that is the only difference, it is the client's.
    def non_empty(events):
        return [e for e in events if e["data"] != ""]

    if non_empty(got) == non_empty(want) and any(e["data"] == "" for e in got):
        return "deviation: keep-alive comments dispatched as empty events"
    show = lambda events: ", ".join(
        f"({e['type']}, {json.dumps(e['data'][:40])}, id {json.dumps(e['lastEventId'])})" for e in events
    )
    return f"fail: got [{show(got)}], want [{show(want)}]"


def main():
    results = {}
    with httpx.Client(timeout=10) as client:
        cases = client.get(base + "/cases.json").json()["cases"]
        for case in cases:
            try:
                got = collect(client, case["path"])
                results[case["name"]] = compare(got, case["expected"])
            except Exception as error:  # a client failure is a result too
                results[case["name"]] = f"fail: {error!r}"
        checks = {f"compressed-{encoding}": lambda e=encoding: compressed(client, e) for encoding in ["gzip", "br", "zstd"]}
        checks["keep-alive-idle-connection"] = keep_alive
        checks["close-runs-disconnect-hook"] = lambda: close_runs_disconnect_hook(client)
        for name, check in checks.items():
            try:
                results[name] = check()
            except Exception as error:  # a client failure is a result too
                results[name] = f"fail: {error!r}"
        head = client.head(base + "/cases/unnamed")
        results["head-has-no-body"] = (
            "pass"
            if head.status_code == 200 and head.content == b"" and head.headers["content-type"] == "text/event-stream"
            else f"fail: {head.status_code} {head.content!r}"
        )
    directory = os.environ.get("INTEROP_RESULTS")
    if directory:
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "httpx-sse.json"), "w") as out:
            json.dump(results, out, indent=2)
    for name, result in results.items():
        print(f"httpx-sse: {name}: {result}")
    return 1 if any(r.startswith("fail") for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
