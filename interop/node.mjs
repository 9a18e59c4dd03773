// Node's `eventsource` package (npm), against interop-server.
import { EventSource } from "eventsource";
import { base, cases, compare, writeResults, sleep } from "./common.mjs";

const results = {};

// Collects the events of `url` of the given types and of the default type
// `message` until the response ends (the first `error`), then closes: an
// extra event, or one of another type than expected, shows in the result.
// With `count`, stops after that many events instead (streams that do not end).
function collect(url, types, count) {
  return new Promise((resolve) => {
    const got = [];
    const source = new EventSource(url);
    const done = () => {
      clearTimeout(timer);
      source.close();
      resolve(got);
    };
    const timer = setTimeout(done, 10000);
    const on = (event) => {
      got.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
      if (got.length === count) done();
    };
    for (const type of new Set([...types, "message"])) source.addEventListener(type, on);
    if (count === undefined) source.addEventListener("error", done);
  });
}

for (const testCase of await cases()) {
  const types = [...new Set(testCase.expected.map((e) => e.type))];
  const got = await collect(`${base}${testCase.path}`, types);
  results[testCase.name] = compare(got, testCase.expected);
}

{
  const session = `node-${Date.now()}`;
  const got = await collect(`${base}/resume/${session}`, ["message"], 6);
  const ids = got.map((e) => e.lastEventId).join(",");
  const data = got.map((e) => e.data).join(",");
  results["reconnect-resumes-with-last-event-id"] =
    ids === "1,2,3,4,5,6" && data === "1,2,3,4,5,6" ? "pass" : `fail: ids ${ids}, data ${data}`;
}

{
  const session = `node-${Date.now()}`;
  const source = new EventSource(`${base}/no-content/${session}`);
  await new Promise((resolve) => {
    source.onerror = resolve;
  });
  await sleep(1500);
  const connects = Number(await (await fetch(`${base}/connects/${session}`)).text());
  results["204-stops-reconnecting"] =
    source.readyState === 2 && connects === 1 ? "pass" : `fail: readyState ${source.readyState}, ${connects} connections`;
  source.close();
}

{
  const tag = `node-${Date.now()}`;
  await collect(`${base}/until-closed/${tag}`, ["message"], 1);
  let reason = "";
  for (let i = 0; i < 100 && !reason; i++) {
    reason = await (await fetch(`${base}/disconnect-reason/${tag}`)).text();
    if (!reason) await sleep(50);
  }
  results["close-runs-disconnect-hook"] = reason === "client_gone" ? "pass" : `fail: reason ${JSON.stringify(reason)}`;
}

process.exit(writeResults("node-eventsource", results) ? 1 : 0);
