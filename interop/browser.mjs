// Headless Chromium's own EventSource, driven by playwright-core, against
// pages served by interop-server (same origin, and a second origin for CORS).
import { chromium } from "playwright-core";
import { checkEngine } from "./engine.mjs";

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
await checkEngine("chromium", {
  page: await browser.newPage(),
  // The `tls` example's self-signed certificate.
  tlsPage: () => browser.newPage({ ignoreHTTPSErrors: true }),
  close: () => browser.close(),
});
