"""The typed contract of the `typed_events` example, checked by independent
tools: its OpenAPI document by Redocly's validator (OpenAPI 3.2), the events
it actually sends by Python's `jsonschema` against the schemas it publishes:
`/weather`'s, and `/ticker/ACME`'s (a typed hub topic) with a `count` and
across a shutdown, whose farewell the description must cover too.

Environment: TYPED_URL (the example's base URL), SSE_BRIDGE_DOCS (the
utoipa and aide documents tests/openapi_bridges.rs wrote), TYPED_SHUTDOWN_URL and
TYPED_SHUTDOWN_PID (a second instance, which the shutdown check stops with
SIGTERM), INTEROP_RESULTS (writes contract.json, a result per check). Exits 1
if a check fails.
"""

import copy
import json
import os
import signal
import subprocess
import tempfile

import httpx
import jsonschema
from httpx_sse import connect_sse
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from checks import Results

URL = os.environ["TYPED_URL"]
HERE = os.path.dirname(os.path.abspath(__file__))
results = Results()
check = results.check


document = httpx.get(f"{URL}/openapi.json").json()
events_schema = httpx.get(f"{URL}/weather.schema.json").json()


def captured(url, expected=None, after=None):
    """Every event of one stream, as httpx-sse parses them; `after(n)` is
    called once `n` events arrived (the shutdown check stops the server)."""
    events = []
    with httpx.Client(timeout=10) as client:
        with connect_sse(client, "GET", url) as source:
            for sse in source.iter_sse():
                if sse.data == "" and sse.retry is not None:
                    continue  # the opening `retry:` block (httpx-sse dispatches it)
                item = {"event": sse.event, "data": sse.data}
                if sse.id:
                    item["id"] = sse.id
                events.append(item)
                if after:
                    after(len(events))
    if expected is not None:
        assert len(events) == expected, events
    return events


EVENTS = captured(f"{URL}/weather", expected=5)
ITEM = document["paths"]["/weather"]["get"]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]
TICKER = document["paths"]["/ticker/{symbol}"]["get"]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]
REGISTRY = Registry().with_resource("", Resource.from_contents(document, default_specification=DRAFT202012))


def against_openapi(event, item=ITEM):
    """Validates one captured event against the stream's item schema (its
    `oneOf`: exactly one alternative must hold), then its data (JSON)
    against that alternative's `contentSchema`, where it has one."""
    jsonschema.Draft202012Validator(item, registry=REGISTRY).validate(event)
    for alternative in item["oneOf"]:
        if jsonschema.Draft202012Validator(alternative, registry=REGISTRY).is_valid(event):
            content = alternative["properties"]["data"].get("contentSchema")
            if content is not None:
                jsonschema.Draft202012Validator(content, registry=REGISTRY).validate(json.loads(event["data"]))
            return
    raise AssertionError(f"no alternative holds for {event}")


def stop_after(pid, count):
    """Stops the server (SIGTERM) once `count` events arrived."""
    def after(received):
        if received == count:
            os.kill(pid, signal.SIGTERM)
    return after


TICKS = captured(f"{URL}/ticker/ACME?count=3", expected=3)
SHUTDOWN = captured(
    f"{os.environ['TYPED_SHUTDOWN_URL']}/ticker/ACME",
    after=stop_after(int(os.environ["TYPED_SHUTDOWN_PID"]), 2),
)


def against_events_schema(event):
    parsed = dict(event, data=json.loads(event["data"]))
    jsonschema.Draft202012Validator(events_schema).validate(parsed)


@check("openapi-3.2-valid")
def _():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(document, f)
    redocly = os.path.join(HERE, "node_modules", ".bin", "redocly")
    lint = subprocess.run([redocly, "lint", f.name, "--extends=spec"], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout[-2000:] + lint.stderr[-2000:]
    # The validator knows 3.2: the same document as 3.1 is refused.
    older = dict(document, openapi="3.1.0")
    with open(f.name, "w") as g:
        json.dump(older, g)
    lint = subprocess.run([redocly, "lint", f.name, "--extends=spec"], capture_output=True, text=True)
    assert lint.returncode != 0 and "itemSchema" in lint.stdout, "3.1 should refuse itemSchema"


@check("utoipa-and-aide-documents-valid")
def _():
    # The endpoint merged into a `#[derive(utoipa::OpenApi)]` document and
    # into an aide `ApiRouter`'s (tests/openapi_bridges.rs wrote them).
    redocly = os.path.join(HERE, "node_modules", ".bin", "redocly")
    for name in ["utoipa.json", "aide.json"]:
        path = os.path.join(os.environ["SSE_BRIDGE_DOCS"], name)
        with open(path) as f:
            merged = json.load(f)
        assert merged["openapi"] == "3.2.0" and "/quotes/{symbol}" in merged["paths"], name
        lint = subprocess.run([redocly, "lint", path, "--extends=spec"], capture_output=True, text=True)
        assert lint.returncode == 0, name + ": " + lint.stdout[-2000:] + lint.stderr[-2000:]


@check("events-match-openapi")
def _():
    for event in EVENTS:
        against_openapi(event)


@check("hub-stream-matches-openapi")
def _():
    # A typed hub topic's events through `yields = Tick`, with a `count`
    # query parameter, and another stream across a shutdown: its ticks,
    # then the farewell, each valid against `/ticker/{symbol}`'s items.
    assert [event["event"] for event in TICKS] == ["price"] * 3, TICKS
    assert SHUTDOWN[-1]["event"] == "shutdown" and len(SHUTDOWN) >= 3, SHUTDOWN
    for event in TICKS + SHUTDOWN:
        against_openapi(event, TICKER)
    parameters = {p["name"]: p for p in document["paths"]["/ticker/{symbol}"]["get"]["parameters"]}
    assert parameters["count"]["in"] == "query" and parameters["count"]["required"] is False, parameters


@check("events-match-json-schema")
def _():
    for event in EVENTS:
        against_events_schema(event)


@check("wrong-events-refused")
def _():
    reading = next(event for event in EVENTS if event["event"] == "reading")
    wrong = [
        dict(reading, data=json.dumps({"station": 5, "celsius": 1.0})),  # a number for a string
        dict(reading, data=json.dumps({"station": "x"})),  # a required field missing
        {k: v for k, v in reading.items() if k != "id"},  # the id missing
        dict(reading, id="seven"),  # an integer id that is not one
        dict(reading, event="unknown"),  # no such event
    ]
    for event in wrong:
        for validate in (against_openapi, against_events_schema):
            try:
                validate(copy.deepcopy(event))
            except (AssertionError, jsonschema.ValidationError):
                continue
            raise AssertionError(f"{validate.__name__} accepted {event}")
    # The ticker's: a price of the wrong type, a farewell under a declared
    # name, a reset that is not one.
    price = TICKS[0]
    farewell = SHUTDOWN[-1]
    for event in [
        dict(price, data=json.dumps({"symbol": "ACME", "cents": "ten"})),
        dict(farewell, event="price"),
        {"event": "reset", "data": json.dumps({"resume": "later"})},
    ]:
        try:
            against_openapi(copy.deepcopy(event), TICKER)
        except (AssertionError, jsonschema.ValidationError):
            continue
        raise AssertionError(f"the ticker's items accepted {event}")


results.finish("contract", "contract")
