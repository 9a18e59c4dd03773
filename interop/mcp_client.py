"""The official MCP Python SDK (`mcp`) against the `mcp` example.

Environment: MCP_URL (the example, speaking every revision), MCP_URL_2025_06_18
and MCP_URL_2025_03_26 (the example with MCP_NEWEST set to those), MCP_URL_RESUME
(the example closing each stream after 3 events), INTEROP_RESULTS (a directory:
writes mcp-python.json, a result per check). Exits 1 if a check fails.
"""

import asyncio
import json
import os
import urllib.request

import anyio
from mcp import Client

from checks import Results

STEPS = 6
results = Results()


def stats(url):
    with urllib.request.urlopen(url.removesuffix("/mcp") + "/stats") as response:
        return json.load(response)


async def countdown(client, steps=STEPS):
    """Calls the tool; returns the progress reported and the answer's text."""
    progress = []

    async def on_progress(done, total, message):
        assert total == steps, (done, total, message)
        progress.append(int(done))

    answer = await client.call_tool("countdown", {"steps": steps}, progress_callback=on_progress)
    assert not answer.is_error, answer
    return progress, answer.content[0].text


async def revision(url, mode, expected):
    async with Client(url, mode=mode) as client:
        assert client.protocol_version == expected, client.protocol_version
        tools = await client.list_tools()
        assert [tool.name for tool in tools.tools] == ["countdown", "echo"], tools
        progress, text = await countdown(client)
    assert progress == list(range(1, STEPS + 1)), progress
    assert text == f"liftoff after {STEPS} steps", text


async def resume(url):
    before = stats(url)["streams_resumed"]
    async with Client(url, mode="legacy") as client:
        assert client.protocol_version == "2025-11-25", client.protocol_version
        progress, text = await countdown(client)
    # Every notification and the result exactly once, across the resumes.
    assert progress == list(range(1, STEPS + 1)), progress
    assert text == f"liftoff after {STEPS} steps", text
    resumed = stats(url)["streams_resumed"] - before
    assert resumed >= 2, f"the server closed the stream, yet it was resumed {resumed} times"


async def cancel(url, mode):
    async with Client(url, mode=mode) as client:
        before = stats(url)["steps_counted"]
        with anyio.move_on_after(0.35):
            await countdown(client, steps=100)
        await anyio.sleep(1.0)
        counted = stats(url)["steps_counted"] - before
    # 100 ms a step: about 3 before the cancel, at most one more in flight;
    # a call left running would have counted 10 more by now.
    assert counted <= 5, f"{counted} steps counted for a call cancelled after 0.35 s"


CHECKS = {
    "revision-2026-07-28": lambda: revision(os.environ["MCP_URL"], "auto", "2026-07-28"),
    "revision-2025-11-25": lambda: revision(os.environ["MCP_URL"], "legacy", "2025-11-25"),
    "revision-2025-06-18": lambda: revision(os.environ["MCP_URL_2025_06_18"], "legacy", "2025-06-18"),
    "revision-2025-03-26": lambda: revision(os.environ["MCP_URL_2025_03_26"], "legacy", "2025-03-26"),
    "resume": lambda: resume(os.environ["MCP_URL_RESUME"]),
    "cancel-2026-07-28": lambda: cancel(os.environ["MCP_URL"], "auto"),
    "cancel-2025-11-25": lambda: cancel(os.environ["MCP_URL"], "legacy"),
}


async def run_all():
    for name, check in CHECKS.items():
        try:
            with anyio.fail_after(30):
                await check()
            results.record(name)
        except BaseException as error:  # noqa: BLE001 - reported, not hidden
            results.record(name, error)


asyncio.run(run_all())
results.finish("mcp-python", "mcp (Python)")
