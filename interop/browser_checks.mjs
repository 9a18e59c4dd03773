// The browser checks, for any browser: `page` needs `evaluate(fn, arg)`
// (the function runs in the page, served by interop-server) and nothing
// else, so Chromium (playwright-core) and Firefox (WebDriver BiDi,
// firefox.mjs) run the same checks.
import { base, corsBase, cases, compare } from "./common.mjs";

// Fills `results` as it goes: a check that throws leaves the ones before it.
export async function browserChecks(page, results) {
  // Collects the events of `url` of the given types and of the default type
  // `message` until the response ends (the first `error`), then closes: an
  // extra event, or one of another type than expected, shows in the result.
  // With `count`, stops after that many events instead (streams that do not end).
  // Resolves with `{ got, timedOut }`: see `unlessTimedOut`.
  async function collect(url, types, count, options = {}) {
    return page.evaluate(
      ({ url, types, count, options }) =>
        new Promise((resolve) => {
          const got = [];
          const source = new EventSource(url, options);
          const done = (timedOut) => {
            clearTimeout(timer);
            source.close();
            resolve({ got, timedOut });
          };
          const timer = setTimeout(() => done(true), 10000);
          const on = (event) => {
            got.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
            if (got.length === count) done(false);
          };
          for (const type of new Set([...types, "message"])) source.addEventListener(type, on);
          if (count === undefined) source.addEventListener("error", () => done(false));
        }),
      { url, types, count, options },
    );
  }

  // A stream that neither ended nor gave its `count` events within the 10 s
  // fails, whatever `got` holds: events that match are no proof of a
  // response that never ended, nor a wait that saw nothing.
  function unlessTimedOut({ got, timedOut }, judge) {
    if (!timedOut) return judge(got);
    return `fail: timed out after 10 s, ${got.length} events: ${JSON.stringify(got).slice(0, 200)}`;
  }

  for (const testCase of await cases()) {
    const types = [...new Set(testCase.expected.map((e) => e.type))];
    results[testCase.name] = unlessTimedOut(await collect(testCase.path, types), (got) => compare(got, testCase.expected));
  }

  // Compressed streams (tower-http's CompressionLayer forced on, one
  // encoding each): the browser decodes each event as it arrives. The
  // encoding is read from a fetch of the same path by the same browser.
  const accepted = await page.evaluate(() => fetch("/accept-encoding").then((response) => response.text()));
  for (const encoding of ["gzip", "br", "zstd"]) {
    const path = `/compressed/${encoding}`;
    if (!accepted.split(",").some((item) => item.trim().split(";")[0] === encoding)) {
      // Not asked for: the server rightly sends the stream uncompressed,
      // and the cell says the check does not apply to this browser.
      console.log(`browser does not accept ${encoding} (Accept-Encoding: ${accepted}): compressed-${encoding} not applicable`);
      continue;
    }
    const used = await page.evaluate(
      (url) => fetch(url).then(async (response) => {
        const used = response.headers.get("content-encoding");
        await response.text();
        return used;
      }),
      path,
    );
    const want = [
      { type: "message", data: '{"author":"ada","room":"general","text":"hi"}', lastEventId: "" },
      { type: "note", data: "line one\nline two", lastEventId: "2" },
      { type: "message", data: '{"author":"grace","room":"general","text":"hello"}', lastEventId: "2" },
    ];
    const events = unlessTimedOut(await collect(path, ["note"], 3), (got) => compare(got, want));
    results[`compressed-${encoding}`] =
      used !== encoding ? `fail: content-encoding ${used}` : events;
  }

  // `open` fires before the first event.
  results["open-before-first-event"] = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const order = [];
        const source = new EventSource("/late");
        source.onopen = () => order.push("open");
        source.onmessage = () => {
          order.push("message");
          source.close();
          resolve(order.join(",") === "open,message" ? "pass" : `fail: order ${order}`);
        };
        setTimeout(() => resolve(`fail: timed out, order ${order}`), 10000);
      }),
  );

  // `retry: 500` sets the reconnection delay.
  results["retry-sets-reconnect-delay"] = await page.evaluate(
    () =>
      new Promise((resolve) => {
        let errorAt = 0;
        let opens = 0;
        const source = new EventSource("/retry");
        source.onerror = () => {
          if (!errorAt) errorAt = performance.now();
        };
        source.onopen = () => {
          opens += 1;
          if (opens === 2) {
            const delay = performance.now() - errorAt;
            source.close();
            resolve(delay >= 450 && delay < 2500 ? "pass" : `fail: reconnected after ${delay.toFixed(0)} ms`);
          }
        };
        setTimeout(() => resolve("fail: no reconnect"), 10000);
      }),
  );

  // A stream that ends makes the browser reconnect with Last-Event-ID; the
  // endpoint resumes with no gap and no duplicate.
  {
    const session = `browser-${Date.now()}`;
    const received = await collect(`/resume/${session}`, ["message"], 6);
    const connects = Number(await (await fetch(`${base}/connects/${session}`)).text());
    results["reconnect-resumes-with-last-event-id"] = unlessTimedOut(received, (got) => {
      const ids = got.map((e) => e.lastEventId).join(",");
      const data = got.map((e) => e.data).join(",");
      return ids === "1,2,3,4,5,6" && data === "1,2,3,4,5,6" && connects >= 3
        ? "pass"
        : `fail: ids ${ids}, data ${data}, ${connects} connections`;
    });
  }

  // 204 stops reconnection.
  {
    const session = `browser-${Date.now()}`;
    const state = await page.evaluate(
      (url) =>
        new Promise((resolve) => {
          const source = new EventSource(url);
          source.onerror = () => setTimeout(() => resolve(source.readyState), 1500);
          setTimeout(() => resolve("timed out: no error event in 10 s"), 10000);
        }),
      `/no-content/${session}`,
    );
    const connects = Number(await (await fetch(`${base}/connects/${session}`)).text());
    results["204-stops-reconnecting"] =
      state === 2 && connects === 1 ? "pass" : `fail: readyState ${state}, ${connects} connections`;
  }

  // EventSource.close() makes the server's disconnect hook run.
  {
    const tag = `browser-${Date.now()}`;
    const opened = await collect(`/until-closed/${tag}`, ["message"], 1);
    let reason = "";
    for (let i = 0; i < 100 && !reason; i++) {
      reason = await (await fetch(`${base}/disconnect-reason/${tag}`)).text();
      if (!reason) await new Promise((r) => setTimeout(r, 50));
    }
    results["close-runs-disconnect-hook"] = unlessTimedOut(opened, () =>
      reason === "client_gone" ? "pass" : `fail: reason ${JSON.stringify(reason)}`,
    );
  }

  // Keep-alive comments are sent on an idle connection and ignored: one event
  // after 1.5 s of pings every 100 ms, and the server says it sent the pings
  // (a stream without them would pass the first half alone).
  {
    const tag = `idle-${Date.now()}`;
    const received = await collect(`/idle/tagged/${tag}`, ["message"], 1);
    let bytes = "";
    for (let i = 0; i < 100 && !bytes; i++) {
      bytes = await (await fetch(`${base}/idle-bytes/${tag}`)).text();
      if (!bytes) await new Promise((r) => setTimeout(r, 50));
    }
    // The opening `: ` line, the event, and at least ten `: ping` comments.
    const least = ": \n\n".length + "data: still connected\n\n".length + 10 * ": ping\n\n".length;
    results["keep-alive-idle-connection"] = unlessTimedOut(received, (got) =>
      got.length === 1 && got[0].data === "still connected" && Number(bytes) >= least
        ? "pass"
        : `fail: events ${JSON.stringify(got)}, ${bytes || "no"} bytes sent (at least ${least} with pings)`,
    );
  }

  // Cross-origin through a CorsLayer, with and without credentials.
  for (const withCredentials of [false, true]) {
    const received = await collect(`${corsBase}/cases/unnamed`, ["message"], 1, { withCredentials });
    results[`cors-with-credentials-${withCredentials}`] = unlessTimedOut(received, (got) =>
      got.length === 1 && got[0].data === "hello" ? "pass" : `fail: ${JSON.stringify(got)}`,
    );
  }

  // web-platform-tests request-status-error: 204, 205, 404, 410 and 503 make
  // the browser fire `error`, close (readyState 2), and not reconnect.
  for (const code of [204, 205, 404, 410, 503]) {
    const session = `status-${code}-${Date.now()}`;
    const state = await page.evaluate(
      (url) =>
        new Promise((resolve) => {
          const source = new EventSource(url);
          source.onerror = () => setTimeout(() => resolve(source.readyState), 800);
          setTimeout(() => resolve("timed out: no error event in 10 s"), 10000);
        }),
      `/wpt/status/${code}/${session}`,
    );
    const connects = Number(await (await fetch(`${base}/connects/${session}`)).text());
    results[`wpt-status-${code}-closes`] =
      state === 2 && connects === 1 ? "pass" : `fail: readyState ${state}, ${connects} connections`;
  }

  // web-platform-tests format-mime-*: a bogus MIME type fails; a trailing `;`
  // and a charset parameter are fine.
  for (const [kind, shouldOpen] of [["bogus", false], ["trailing-semicolon", true], ["charset", true]]) {
    const outcome = await page.evaluate(
      (url) =>
        new Promise((resolve) => {
          const source = new EventSource(url);
          source.onmessage = (event) => {
            source.close();
            resolve(`message ${event.data}`);
          };
          source.onerror = () => {
            if (source.readyState === 2) resolve("closed");
          };
          setTimeout(() => {
            source.close();
            resolve("timeout");
          }, 5000);
        }),
      `/wpt/mime/${kind}`,
    );
    const want = shouldOpen ? "message mime" : "closed";
    results[`wpt-mime-${kind}`] = outcome === want ? "pass" : `fail: ${outcome}, want ${want}`;
  }

  // web-platform-tests format-field-retry and format-field-id-null, from raw
  // bytes: `retry:03000` applies, a bogus retry and a NUL id are ignored.
  {
    const received = await collect("/wpt/raw-fields", ["message"], 2);
    results["wpt-raw-fields-id-null-ignored"] = unlessTimedOut(received, (got) =>
      got.map((e) => e.lastEventId).join(",") === "9,9" && got.length === 2 ? "pass" : `fail: ${JSON.stringify(got)}`,
    );
  }
}
