// Headless Chromium's own EventSource, driven by playwright-core, against
// pages served by interop-server (same origin, and a second origin for CORS).
import { chromium } from "playwright-core";
import { base, writeResults } from "./common.mjs";
import { browserChecks } from "./browser_checks.mjs";

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
await browser.close();
process.exit(writeResults("chromium", results) ? 1 : 0);
