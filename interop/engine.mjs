// One browser engine's run, the same for Chromium, Firefox and WebKit: the
// browser checks on interop-server, the HTTPS checks on the `tls` example,
// the engine closed whatever happened, the results written, the exit code.
import { base, writeResults } from "./common.mjs";
import { browserChecks } from "./browser_checks.mjs";
import { tlsChecks } from "./tls_checks.mjs";

/**
 * `page` needs `goto(url)` and `evaluate(fn, arg)`; `tlsPage()` gives the page
 * for the HTTPS checks (one that accepts a self-signed certificate; the same
 * page by default); `close()` ends the browser.
 */
export async function checkEngine(engine, { page, tlsPage = async () => page, close }) {
  const results = {};
  const tlsResults = {};
  let crashed = false;
  try {
    await page.goto(`${base}/`);
    await browserChecks(page, results);
    Object.assign(tlsResults, await tlsChecks(await tlsPage()));
  } catch (error) {
    // The checks done so far are written; the ones not done are missing,
    // which matrix.py marks ✗.
    console.error(`${engine}: the checks stopped: ${error.stack ?? error}`);
    crashed = true;
  } finally {
    await close();
  }
  const failed = writeResults(engine, results) + writeResults(`${engine}-tls`, tlsResults);
  process.exit(failed || crashed ? 1 : 0);
}
