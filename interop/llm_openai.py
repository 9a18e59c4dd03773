"""The official `openai` Python client against the `llm` example.

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
results = Results()
check = results.check


@check("chat-stream")
def _():
    text = ""
    finish = None
    for chunk in client.chat.completions.create(model="fake-1", messages=MESSAGES, stream=True):
        assert chunk.object == "chat.completion.chunk", chunk
        choice = chunk.choices[0]
        text += choice.delta.content or ""
        finish = choice.finish_reason or finish
    assert text == EXPECTED, repr(text)
    assert finish == "stop", finish


@check("chat-complete")
def _():
    completion = client.chat.completions.create(model="fake-1", messages=MESSAGES, stream=False)
    assert completion.choices[0].message.content == EXPECTED, completion
    assert completion.usage.completion_tokens == len(PROMPT.split()) + 1, completion.usage


@check("responses-stream")
def _():
    text = ""
    kinds = []
    numbers = []
    for event in client.responses.create(model="fake-1", input=PROMPT, stream=True):
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
    with client.responses.stream(model="fake-1", input=PROMPT) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.output_text == EXPECTED, final


@check("error-object")
def _():
    try:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES, stream=True)
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
        model="fake-1", messages=[{"role": "user", "content": long_prompt}], stream=True
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
