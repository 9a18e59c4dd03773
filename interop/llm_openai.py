"""The official `openai` Python client against the `llm` example.

The model is not named here: the client finds it with `models.list()`, as it
would on any OpenAI-compatible server, and every later check asks for that
model (they fail, saying why, if the list did not give one).

Environment: LLM_URL (the example's base URL), INTEROP_RESULTS (a directory:
writes openai-python.json, a result per check). Exits 1 if a check fails.
"""

import json
import os
import time
import urllib.request

import openai
from checks import Results

URL = os.environ["LLM_URL"]
client = openai.OpenAI(base_url=f"{URL}/v1", api_key="unused", max_retries=0)
PROMPT = "the quick brown fox jumps over the lazy dog"
EXPECTED = "You said: " + PROMPT
MESSAGES = [{"role": "user", "content": PROMPT}]
# A name the server must not have: `models-unknown` fails if it has it.
UNKNOWN = "no-such-model"
# OpenAI's `model` object has exactly these fields.
MODEL_FIELDS = {"id", "object", "created", "owned_by"}
results = Results()
check = results.check
# The `model` object `models-list` found: None until then, or if it found none.
listed = None


def model():
    """The id of the model to ask for: the one `models.list()` gave."""
    if listed is None:
        raise AssertionError("no model to ask for: models-list found none")
    return listed.id


def check_model_object(item):
    """`item` is a `model` object: OpenAI's fields exactly, `created` in Unix seconds."""
    # to_dict() holds the fields the response had, not the SDK's defaults.
    fields = item.to_dict()
    assert set(fields) == MODEL_FIELDS, fields
    assert item.object == "model", fields
    assert isinstance(item.id, str) and item.id, fields
    assert isinstance(item.owned_by, str) and item.owned_by, fields
    # Seconds, not milliseconds: after 2020, and not in the future.
    assert type(item.created) is int and 1_577_836_800 <= item.created <= time.time(), fields


@check("models-list")
def _():
    global listed
    page = client.models.list()
    assert page.object == "list", page
    models = list(page)
    # The example has one model: with several, the checks below would ask
    # for whichever came first.
    assert len(models) == 1, models
    check_model_object(models[0])
    listed = models[0]


@check("models-retrieve")
def _():
    retrieved = client.models.retrieve(model())
    check_model_object(retrieved)
    assert retrieved.to_dict() == listed.to_dict(), (retrieved, listed)


@check("models-unknown")
def _():
    try:
        client.models.retrieve(UNKNOWN)
    except openai.NotFoundError as error:
        # The whole body, not error.body: the SDK unwraps `error` when it is
        # there and keeps the body as it is when it is not.
        body = error.response.json()
        assert set(body) == {"error"}, body
        fields = body["error"]
        assert set(fields) == {"message", "type", "param", "code"}, fields
        assert UNKNOWN in fields["message"], fields
        assert fields["type"] == "invalid_request_error", fields
        assert fields["param"] is None and fields["code"] == "model_not_found", fields
        assert error.status_code == 404 and error.code == "model_not_found", error
    else:
        raise AssertionError(f"{UNKNOWN} retrieved: the server has a model it must not")


@check("chat-stream")
def _():
    text = ""
    finish = None
    for chunk in client.chat.completions.create(model=model(), messages=MESSAGES, stream=True):
        assert chunk.object == "chat.completion.chunk", chunk
        choice = chunk.choices[0]
        text += choice.delta.content or ""
        finish = choice.finish_reason or finish
    assert text == EXPECTED, repr(text)
    assert finish == "stop", finish


@check("chat-complete")
def _():
    completion = client.chat.completions.create(model=model(), messages=MESSAGES, stream=False)
    assert completion.choices[0].message.content == EXPECTED, completion
    assert completion.model == model(), completion.model
    assert completion.usage.completion_tokens == len(PROMPT.split()) + 1, completion.usage


@check("responses-stream")
def _():
    text = ""
    kinds = []
    numbers = []
    for event in client.responses.create(model=model(), input=PROMPT, stream=True):
        kinds.append(event.type)
        numbers.append(event.sequence_number)
        if event.type == "response.output_text.delta":
            text += event.delta
    assert text == EXPECTED, repr(text)
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed", kinds
    assert numbers == list(range(len(numbers))), numbers


@check("responses-helper")
def _():
    # The SDK's stream helper rebuilds the response from the events.
    with client.responses.stream(model=model(), input=PROMPT) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.output_text == EXPECTED, final


@check("error-object")
def _():
    try:
        client.chat.completions.create(model=UNKNOWN, messages=MESSAGES, stream=True)
    except openai.NotFoundError as error:
        assert error.status_code == 404 and error.code == "model_not_found", error.body
    else:
        raise AssertionError("no error")


def produced():
    with urllib.request.urlopen(f"{URL}/stats") as response:
        return json.load(response)["produced"]


@check("cancel")
def _():
    before = produced()
    long_prompt = " ".join(["word"] * 200)
    stream = client.chat.completions.create(
        model=model(), messages=[{"role": "user", "content": long_prompt}], stream=True
    )
    tokens = 0
    for chunk in stream:
        if chunk.choices[0].delta.content:
            tokens += 1
        if tokens == 3:
            break
    stream.close()
    time.sleep(1.0)
    after = produced()
    # Three read, at most one more produced while the close travelled.
    assert after - before <= 4, f"{after - before} tokens produced for 3 read"


results.finish("openai-python", "openai (Python)")
