// The official MCP TypeScript SDK (@modelcontextprotocol/sdk) against the
// `mcp` example. It speaks the handshake revisions (up to 2025-11-25).
// Environment: as interop/mcp_client.py; writes mcp-typescript.json.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const STEPS = 6;
const results = {};

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function stats(url) {
  const response = await fetch(url.replace(/\/mcp$/, "/stats"));
  return response.json();
}

async function connect(url) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    // Resume at once when the server closes a stream (it sends `retry`).
    reconnectionOptions: {
      initialReconnectionDelay: 100,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 5,
    },
  });
  const client = new Client({ name: "interop", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

async function countdown(client, steps = STEPS, signal) {
  const progress = [];
  const answer = await client.callTool({ name: "countdown", arguments: { steps } }, undefined, {
    onprogress: ({ progress: done, total }) => {
      assert(total === steps, `total ${total}`);
      progress.push(done);
    },
    signal,
    timeout: 30_000,
  });
  assert(!answer.isError, JSON.stringify(answer));
  return { progress, text: answer.content[0].text };
}

const expectedProgress = JSON.stringify(Array.from({ length: STEPS }, (_, i) => i + 1));

/** Runs `use(client, transport)` in a session of its own, ended after. */
async function inSession(url, use) {
  const { client, transport } = await connect(url);
  try {
    return await use(client, transport);
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close();
  }
}

/** A whole countdown: every progress notification once, then the answer. */
async function countdownInFull(client) {
  const { progress, text } = await countdown(client);
  assert(JSON.stringify(progress) === expectedProgress, `progress ${JSON.stringify(progress)}`);
  assert(text === `liftoff after ${STEPS} steps`, text);
}

function revision(url, expected) {
  return inSession(url, async (client, transport) => {
    assert(transport.protocolVersion === expected, `negotiated ${transport.protocolVersion}`);
    const tools = await client.listTools();
    assert(tools.tools.map((t) => t.name).join() === "countdown,echo", JSON.stringify(tools));
    await countdownInFull(client);
  });
}

async function resume(url) {
  const before = (await stats(url)).streams_resumed;
  // Every notification and the result exactly once, across the resumes.
  await inSession(url, countdownInFull);
  const resumed = (await stats(url)).streams_resumed - before;
  assert(resumed >= 2, `the server closed the stream, yet it was resumed ${resumed} times`);
}

function cancel(url) {
  return inSession(url, async (client) => {
    const before = (await stats(url)).steps_counted;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 350);
    await countdown(client, 100, controller.signal).then(
      () => { throw new Error("not cancelled"); },
      () => {},
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const counted = (await stats(url)).steps_counted - before;
    // 100 ms a step: about 3 before the cancel, at most one more in flight.
    assert(counted <= 5, `${counted} steps counted for a call cancelled after 0.35 s`);
  });
}

const checks = {
  "revision-2025-11-25": () => revision(process.env.MCP_URL, "2025-11-25"),
  "revision-2025-06-18": () => revision(process.env.MCP_URL_2025_06_18, "2025-06-18"),
  "revision-2025-03-26": () => revision(process.env.MCP_URL_2025_03_26, "2025-03-26"),
  resume: () => resume(process.env.MCP_URL_RESUME),
  "cancel-2025-11-25": () => cancel(process.env.MCP_URL),
};

for (const [name, check] of Object.entries(checks)) {
  try {
    await check();
    results[name] = "pass";
  } catch (error) {
    results[name] = `fail: ${error.message}`;
  }
}
if (process.env.INTEROP_RESULTS) {
  writeFileSync(join(process.env.INTEROP_RESULTS, "mcp-typescript.json"), JSON.stringify(results));
}
for (const [name, result] of Object.entries(results)) {
  console.log(`mcp (TypeScript) ${name}: ${result}`);
}
process.exit(Object.values(results).every((r) => r === "pass") ? 0 : 1);
