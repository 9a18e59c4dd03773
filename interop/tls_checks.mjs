// The `tls` example in a browser: one page opens 50 EventSources over HTTPS.
// Over HTTP/2 (ALPN) all 50 receive events on one connection; with the
// server's HTTP/2 turned off (TLS_HTTP2=0) the browser's six connections per
// origin let 6 through and the other 44 wait. Shared by browser.mjs and
// firefox.mjs: `page` needs only `goto(url)` and `evaluate(fn, arg)`.
import { sleep } from "./common.mjs";

export const tlsUrl = process.env.TLS_URL;
export const tlsHttp1Url = process.env.TLS_HTTP1_URL;

/** Polls the page's `window.streams` until `done(streams)` or `ms` pass. */
async function streamsWhen(page, done, ms) {
  const deadline = Date.now() + ms;
  let streams;
  do {
    streams = await page.evaluate(() => window.streams ?? null);
    if (streams && done(streams)) break;
    await sleep(100);
  } while (Date.now() < deadline);
  return streams;
}

export async function tlsChecks(page) {
  const results = {};
  // No server to check is a failure of both checks, not an absence of them.
  if (!tlsUrl || !tlsHttp1Url) {
    const why = `fail: the tls example did not start (TLS_URL ${tlsUrl || "unset"}, TLS_HTTP1_URL ${tlsHttp1Url || "unset"})`;
    return { "h2-50-streams": why, "http1-6-streams": why };
  }
  try {
    await page.goto(`${tlsUrl}?streams=50`);
    const h2 = await streamsWhen(page, (s) => s.live === 50, 15_000);
    const overH2 = h2?.protocols.every((p) => p === "h2");
    results["h2-50-streams"] =
      h2?.live === 50 && overH2 ? "pass" : `fail: ${JSON.stringify(h2)}`;

    await page.goto(`${tlsHttp1Url}?streams=50`);
    // Six arrive within a tick; wait two seconds more for any seventh.
    await streamsWhen(page, (s) => s.live >= 6, 15_000);
    await sleep(2_000);
    const h1 = await page.evaluate(() => window.streams ?? null);
    const overH1 = h1?.protocols.every((p) => p === "http/1.1");
    results["http1-6-streams"] =
      h1?.live === 6 && overH1 ? "pass" : `fail: ${JSON.stringify(h1)}`;
  } catch (error) {
    results["h2-50-streams"] ??= `fail: ${error.message}`;
    results["http1-6-streams"] ??= `fail: ${error.message}`;
  }
  return results;
}
