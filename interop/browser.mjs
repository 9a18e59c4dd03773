// Headless Chromium's own EventSource, driven by playwright-core, against
// pages served by interop-server (same origin, and a second origin for CORS).
import { chromium } from "playwright-core";
import { base, writeResults } from "./common.mjs";
import { browserChecks } from "./browser_checks.mjs";
import { tlsChecks } from "./tls_checks.mjs";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
const page = await browser.newPage();
await page.goto(`${base}/`);
const results = await browserChecks(page);
// The `tls` example's self-signed certificate.
const tlsPage = await browser.newPage({ ignoreHTTPSErrors: true });
const tlsResults = await tlsChecks(tlsPage);
await browser.close();
const failed = writeResults("chromium", results) + writeResults("chromium-tls", tlsResults);
process.exit(failed ? 1 : 0);
