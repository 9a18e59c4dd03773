"""The benchmark scenarios on sse-starlette 3.x and uvicorn, as a user of them
would write them. Started by the benchmark with: python starlette_app.py PORT

uvicorn runs with its defaults, as `uvicorn app:app` does: with
`uvicorn[standard]` installed (bench/run installs it, as FastAPI's docs do) they
pick uvloop and httptools.
"""

import asyncio
import sys
import time
from contextlib import contextmanager

import uvicorn
from sse_starlette import EventSourceResponse, JSONServerSentEvent, ServerSentEvent
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

subscribers: set[asyncio.Queue] = set()
open_streams = 0


def now_micros() -> int:
    return time.time_ns() // 1000


@contextmanager
def counted():
    """Counts an open stream for /stats while the generator runs (the Rust
    servers' `Open` guard)."""
    global open_streams
    open_streams += 1
    try:
        yield
    finally:
        open_streams -= 1


async def firehose(request):
    n = int(request.query_params["n"])

    async def events():
        for i in range(n):
            yield JSONServerSentEvent({"n": i, "name": "tick"}, sep="\n")

    return EventSourceResponse(events(), sep="\n")


async def idle(request):
    async def events():
        with counted():
            yield ServerSentEvent(data="hello", sep="\n")
            await asyncio.Event().wait()

    return EventSourceResponse(events(), sep="\n")


async def fanout(request):
    queue: asyncio.Queue = asyncio.Queue()
    subscribers.add(queue)

    async def events():
        try:
            with counted():
                yield ServerSentEvent(comment="subscribed", sep="\n")
                while True:
                    yield ServerSentEvent(data=await queue.get(), sep="\n")
        finally:
            subscribers.discard(queue)

    return EventSourceResponse(events(), sep="\n")


async def slow(request):
    async def events():
        with counted():
            i = 0
            while True:
                yield JSONServerSentEvent({"n": i, "name": "tick"}, sep="\n")
                i += 1
                await asyncio.sleep(0.1)

    return EventSourceResponse(events(), sep="\n")


async def publish(request):
    message = str(now_micros())
    for queue in list(subscribers):
        queue.put_nowait(message)
    return PlainTextResponse(str(len(subscribers)))


async def stats(request):
    return PlainTextResponse(str(open_streams))


app = Starlette(
    routes=[
        Route("/firehose", firehose),
        Route("/idle", idle),
        Route("/fanout", fanout),
        Route("/slow", slow),
        Route("/publish", publish),
        Route("/stats", stats),
    ]
)

if __name__ == "__main__":
    port = int(sys.argv[1])
    print(f"READY {port}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=4096)
