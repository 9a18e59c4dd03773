// Node's `eventsource` package (npm), against interop-server.
import { EventSource } from "eventsource";
import { base, cases, compare, writeResults, sleep } from "./common.mjs";

const results = {};

// Collects the events of `url` of the given types and of the default type
// `message` until the response ends (the first `error`), then closes: an
// extra event, or one of another type than expected, shows in the result.
// With `count`, stops after that many events instead (streams that do not end).
// A stream that neither ended nor gave `count` events in 10 s is a failure,
// whatever it gave: `judge(got)` decides only the ones that finished.
// `init` is the EventSource's options (its `fetch`).
function collect(url, types, count, judge, init) {
  return new Promise((resolve) => {
    const got = [];
    const source = new EventSource(url, init);
    const done = (timedOut) => {
      clearTimeout(timer);
      source.close();
      resolve(timedOut ? `fail: timed out after 10 s, ${got.length} events: ${JSON.stringify(got).slice(0, 200)}` : judge(got));
    };
    const timer = setTimeout(() => done(true), 10000);
    const on = (event) => {
      got.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
      if (got.length === count) done(false);
    };
    for (const type of new Set([...types, "message"])) source.addEventListener(type, on);
    if (count === undefined) source.addEventListener("error", () => done(false));
  });
}

for (const testCase of await cases()) {
  const types = [...new Set(testCase.expected.map((e) => e.type))];
  results[testCase.name] = await collect(`${base}${testCase.path}`, types, undefined, (got) => compare(got, testCase.expected));
}

{
  const session = `node-${Date.now()}`;
  results["reconnect-resumes-with-last-event-id"] = await collect(`${base}/resume/${session}`, ["message"], 6, (got) => {
    const ids = got.map((e) => e.lastEventId).join(",");
    const data = got.map((e) => e.data).join(",");
    return ids === "1,2,3,4,5,6" && data === "1,2,3,4,5,6" ? "pass" : `fail: ids ${ids}, data ${data}`;
  });
}

{
  const session = `node-${Date.now()}`;
  const source = new EventSource(`${base}/no-content/${session}`);
  const erred = await new Promise((resolve) => {
    source.onerror = () => resolve(true);
    setTimeout(() => resolve(false), 10000);
  });
  await sleep(1500);
  const connects = Number(await (await fetch(`${base}/connects/${session}`)).text());
  results["204-stops-reconnecting"] = !erred
    ? "fail: timed out: no error event in 10 s"
    : source.readyState === 2 && connects === 1
      ? "pass"
      : `fail: readyState ${source.readyState}, ${connects} connections`;
  source.close();
}

{
  const tag = `node-${Date.now()}`;
  const opened = await collect(`${base}/until-closed/${tag}`, ["message"], 1, () => "pass");
  let reason = "";
  for (let i = 0; i < 100 && !reason; i++) {
    reason = await (await fetch(`${base}/disconnect-reason/${tag}`)).text();
    if (!reason) await sleep(50);
  }
  results["close-runs-disconnect-hook"] =
    opened !== "pass" ? opened : reason === "client_gone" ? "pass" : `fail: reason ${JSON.stringify(reason)}`;
}

// `open` fires before the first event, which /late sends 300 ms after the head.
results["open-before-first-event"] = await new Promise((resolve) => {
  const order = [];
  const source = new EventSource(`${base}/late`);
  const timer = setTimeout(() => {
    source.close();
    resolve(`fail: timed out, order ${order}`);
  }, 10000);
  source.onopen = () => order.push("open");
  source.onmessage = () => {
    order.push("message");
    clearTimeout(timer);
    source.close();
    resolve(order.join(",") === "open,message" ? "pass" : `fail: order ${order}`);
  };
});

// `retry: 500` sets the reconnection delay: from the end of the first
// response (`error`) to the second `open`.
results["retry-sets-reconnect-delay"] = await new Promise((resolve) => {
  let errorAt = 0;
  let opens = 0;
  const source = new EventSource(`${base}/retry`);
  const timer = setTimeout(() => {
    source.close();
    resolve("fail: no reconnect in 10 s");
  }, 10000);
  source.onerror = () => {
    if (!errorAt) errorAt = performance.now();
  };
  source.onopen = () => {
    opens += 1;
    if (opens === 2) {
      const delay = performance.now() - errorAt;
      clearTimeout(timer);
      source.close();
      resolve(delay >= 450 && delay < 2500 ? "pass" : `fail: reconnected after ${delay.toFixed(0)} ms`);
    }
  };
});

// Keep-alive comments on an idle connection are ignored: one event after
// 1.5 s of pings every 100 ms, and the server says it sent the pings (a
// stream without them would pass the first half alone).
{
  const tag = `node-idle-${Date.now()}`;
  const received = await collect(`${base}/idle/tagged/${tag}`, ["message"], 1, (got) =>
    got.length === 1 && got[0].data === "still connected" ? "pass" : `fail: events ${JSON.stringify(got)}`,
  );
  let bytes = "";
  for (let i = 0; i < 100 && !bytes; i++) {
    bytes = await (await fetch(`${base}/idle-bytes/${tag}`)).text();
    if (!bytes) await sleep(50);
  }
  // The opening `: ` line, the event, and at least ten `: ping` comments.
  const least = ": \n\n".length + "data: still connected\n\n".length + 10 * ": ping\n\n".length;
  results["keep-alive-idle-connection"] =
    received !== "pass"
      ? received
      : Number(bytes) >= least
        ? "pass"
        : `fail: ${bytes || "no"} bytes sent (at least ${least} with pings)`;
}

// Compressed streams (tower-http's CompressionLayer forced on, one encoding
// each). Node's fetch asks for gzip and deflate only, so the client's
// `fetch` option (the package's way to set request headers) asks for the
// one encoding; the response's Content-Encoding is read from the same
// fetch the EventSource reads, and the events must arrive decoded. Node
// 20's fetch cannot decode zstd (matrix.py: not applicable).
for (const encoding of ["gzip", "br"]) {
  let used = "no response";
  const fetchEncoded = async (url, init) => {
    const response = await fetch(url, { ...init, headers: { ...init?.headers, "accept-encoding": encoding } });
    used = response.headers.get("content-encoding");
    return response;
  };
  const want = [
    { type: "message", data: '{"author":"ada","room":"general","text":"hi"}', lastEventId: "" },
    { type: "note", data: "line one\nline two", lastEventId: "2" },
    { type: "message", data: '{"author":"grace","room":"general","text":"hello"}', lastEventId: "2" },
  ];
  const events = await collect(`${base}/compressed/${encoding}`, ["note"], 3, (got) => compare(got, want), {
    fetch: fetchEncoded,
  });
  results[`compressed-${encoding}`] = used !== encoding ? `fail: content-encoding ${used}` : events;
}

process.exit(writeResults("node-eventsource", results) ? 1 : 0);
