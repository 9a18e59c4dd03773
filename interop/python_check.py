"""Python's httpx-sse against interop-server: every data case, and HEAD.

httpx-sse does not reconnect, so the behaviour cases are not its to check.
"""

import json
import os
import sys

import httpx
from httpx_sse import connect_sse

base = os.environ["INTEROP_URL"]


def collect(client, path):
    """Every event until the case's stream ends (httpx-sse does not reconnect)."""
    got = []
    with connect_sse(client, "GET", base + path) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            # httpx-sse yields a block that only sets `retry` as an event with
            # empty data, which a spec-following client never dispatches (see
            # INTEROP.md); skip exactly those.
            if sse.data == "" and sse.retry is not None:
                continue
            got.append({"type": sse.event, "data": sse.data, "lastEventId": sse.id})
    return got


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
