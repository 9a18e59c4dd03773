// Headless Firefox's own EventSource (Debian's firefox-esr), driven over
// WebDriver BiDi, Firefox's built-in remote protocol, running the same
// checks as Chromium (browser_checks.mjs). Playwright's BiDi driver needs
// commands Firefox ESR does not have yet (emulation.setMediaFeaturesOverride),
// so this speaks the few BiDi commands the checks need itself (over the `ws`
// package): a page that can `goto` and `evaluate(fn, arg)`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { checkEngine } from "./engine.mjs";

const executable = process.env.FIREFOX || "/usr/bin/firefox-esr";
const profile = mkdtempSync(join(tmpdir(), "interop-firefox-"));
const firefox = spawn(
  executable,
  ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port", "0"],
  { stdio: ["ignore", "pipe", "pipe"] },
);

/** The BiDi endpoint Firefox prints once it listens. */
const endpoint = await new Promise((resolve, reject) => {
  let printed = "";
  const read = (chunk) => {
    printed += chunk;
    const found = printed.match(/WebDriver BiDi listening on (ws:\/\/\S+)/);
    if (found) resolve(found[1]);
  };
  firefox.stdout.on("data", read);
  firefox.stderr.on("data", read);
  firefox.on("exit", (code) => reject(new Error(`firefox exited (${code}): ${printed}`)));
  setTimeout(() => reject(new Error(`firefox did not start BiDi: ${printed}`)), 30_000);
});

const socket = new WebSocket(`${endpoint}/session`);
await new Promise((resolve, reject) => {
  socket.addEventListener("open", resolve);
  socket.addEventListener("error", reject);
});
let nextId = 0;
const waiting = new Map();
socket.addEventListener("message", (message) => {
  const reply = JSON.parse(String(message.data));
  const answer = waiting.get(reply.id);
  if (!answer) return;
  waiting.delete(reply.id);
  if (reply.type === "error") answer.reject(new Error(`${reply.error}: ${reply.message}`));
  else answer.resolve(reply.result);
});

/** Sends one BiDi command; resolves with its result. */
function send(method, params) {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });
}

/** A value for the page, as BiDi's LocalValue. */
function local(value) {
  if (value === undefined) return { type: "undefined" };
  if (value === null) return { type: "null" };
  if (typeof value === "string") return { type: "string", value };
  if (typeof value === "boolean") return { type: "boolean", value };
  if (typeof value === "number") return { type: "number", value };
  if (Array.isArray(value)) return { type: "array", value: value.map(local) };
  return { type: "object", value: Object.entries(value).map(([k, v]) => [k, local(v)]) };
}

/** A value from the page (BiDi's RemoteValue), as JavaScript. */
function remote(value) {
  switch (value.type) {
    case "undefined":
      return undefined;
    case "null":
      return null;
    case "string":
    case "boolean":
      return value.value;
    case "number":
      return typeof value.value === "number" ? value.value : Number(value.value);
    case "array":
      return value.value.map(remote);
    case "object":
      return Object.fromEntries(value.value.map(([k, v]) => [typeof k === "string" ? k : remote(k), remote(v)]));
    default:
      return `<${value.type}>`;
  }
}

// Insecure certificates: the `tls` example's is self-signed.
await send("session.new", { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
const { contexts } = await send("browsingContext.getTree", {});
const context = contexts[0].context;

const page = {
  async goto(url) {
    await send("browsingContext.navigate", { context, url, wait: "complete" });
  },
  async evaluate(fn, arg) {
    const outcome = await send("script.callFunction", {
      functionDeclaration: fn.toString(),
      arguments: [local(arg)],
      target: { context },
      awaitPromise: true,
    });
    if (outcome.type === "exception") {
      throw new Error(`in the page: ${outcome.exceptionDetails.text}`);
    }
    return remote(outcome.result);
  },
};

await checkEngine("firefox", {
  page,
  close() {
    socket.close();
    firefox.kill();
    rmSync(profile, { recursive: true, force: true });
  },
});
