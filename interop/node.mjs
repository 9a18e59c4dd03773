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
function collect(url, types, count, judge) {
  return new Promise((resolve) => {
    const got = [];
    const source = new EventSource(url);
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

process.exit(writeResults("node-eventsource", results) ? 1 : 0);
