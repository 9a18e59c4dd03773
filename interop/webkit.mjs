// WebKit's own EventSource (Debian's WebKitGTK MiniBrowser), driven over
// classic WebDriver by WebKitWebDriver, running the same checks as Chromium
// and Firefox (browser_checks.mjs). WebKitGTK needs a display: interop/run
// starts this under `xvfb-run`.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { checkEngine } from "./engine.mjs";

const driverBinary = process.env.WEBKIT_DRIVER || "/usr/bin/WebKitWebDriver";
const browserBinary =
  process.env.WEBKIT_BROWSER || "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/** A free loopback port for the driver. */
const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const driver = spawn(driverBinary, [`--port=${port}`], { stdio: "ignore" });
const origin = `http://127.0.0.1:${port}`;

/** One WebDriver command; resolves with its `value`. */
async function command(method, path, body) {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const { value } = await response.json();
  if (!response.ok) throw new Error(`${path}: ${value.error}: ${value.message}`);
  return value;
}

let session;
for (let attempt = 0; attempt < 50 && !session; attempt++) {
  try {
    session = await command("POST", "/session", {
      capabilities: {
        alwaysMatch: {
          // The `tls` example's certificate is self-signed.
          acceptInsecureCerts: true,
          "webkitgtk:browserOptions": { binary: browserBinary, args: ["--automation"] },
        },
      },
    });
  } catch (error) {
    if (attempt === 49) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const prefix = `/session/${session.sessionId}`;
await command("POST", `${prefix}/timeouts`, { script: 60_000 });

const page = {
  async goto(url) {
    await command("POST", `${prefix}/url`, { url });
  },
  async evaluate(fn, arg) {
    // The function runs in the page; its promise's value comes back as JSON.
    const script = `const [arg, done] = arguments;
      Promise.resolve((${fn.toString()})(arg)).then(
        (value) => done({ value: value === undefined ? null : value }),
        (error) => done({ error: String(error) }),
      );`;
    const outcome = await command("POST", `${prefix}/execute/async`, { script, args: [arg ?? null] });
    if (outcome.error) throw new Error(`in the page: ${outcome.error}`);
    return outcome.value;
  },
};

await checkEngine("webkit", {
  page,
  async close() {
    await command("DELETE", prefix).catch(() => {});
    driver.kill();
  },
});
