"""The typed contract of the `typed_events` example, checked by independent
tools: its OpenAPI document by Redocly's validator (OpenAPI 3.2), the events
it actually sends by Python's `jsonschema` against the schemas it publishes.

Environment: TYPED_URL (the example's base URL), INTEROP_RESULTS (writes
contract.json, a result per check). Exits 1 if a check fails.
"""

import copy
import json
import os
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


def captured():
    """Every event of one `/weather` stream, as httpx-sse parses them."""
    events = []
    with httpx.Client(timeout=10) as client:
        with connect_sse(client, "GET", f"{URL}/weather") as source:
            for sse in source.iter_sse():
                if sse.data == "" and sse.retry is not None:
                    continue  # the opening `retry:` block (httpx-sse dispatches it)
                item = {"event": sse.event, "data": sse.data}
                if sse.id:
                    item["id"] = sse.id
                events.append(item)
    assert len(events) == 5, events
    return events


EVENTS = captured()
ITEM = document["paths"]["/weather"]["get"]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]
REGISTRY = Registry().with_resource("", Resource.from_contents(document, default_specification=DRAFT202012))


def against_openapi(event):
    """Validates one captured event: its fields against the item schema of
    its name, its data (JSON) against that item's `contentSchema`."""
    matching = [alt for alt in ITEM["oneOf"] if alt.get("properties", {}).get("event", {}).get("enum") == [event["event"]]]
    assert len(matching) == 1, f"no item schema for {event['event']!r}"
    jsonschema.Draft202012Validator(matching[0], registry=REGISTRY).validate(event)
    content = matching[0]["properties"]["data"]["contentSchema"]
    jsonschema.Draft202012Validator(content, registry=REGISTRY).validate(json.loads(event["data"]))


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


@check("events-match-openapi")
def _():
    for event in EVENTS:
        against_openapi(event)


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


results.finish("contract", "contract")
