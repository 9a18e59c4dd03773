// Shared by the Node-based interop clients: the case list, comparison and
// the results file that interop/run turns into INTEROP.md.
import { writeFileSync, mkdirSync } from "node:fs";

export const base = process.env.INTEROP_URL;
export const corsBase = process.env.INTEROP_CORS_URL;
if (!base) throw new Error("INTEROP_URL is not set; run interop/run");

export async function cases() {
  const response = await fetch(`${base}/cases.json`);
  return (await response.json()).cases;
}

export function compare(got, want) {
  const same =
    got.length === want.length &&
    got.every(
      (g, i) => g.type === want[i].type && g.data === want[i].data && g.lastEventId === want[i].lastEventId,
    );
  if (same) return "pass";
  const show = (events) =>
    events.map((e) => `(${e.type}, ${JSON.stringify(e.data.slice(0, 40))}, id ${JSON.stringify(e.lastEventId)})`).join(", ");
  return `fail: got [${show(got)}], want [${show(want)}]`;
}

export function writeResults(client, results) {
  const dir = process.env.INTEROP_RESULTS;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${client}.json`, JSON.stringify(results, null, 2));
  }
  const failures = Object.entries(results).filter(([, r]) => r !== "pass");
  for (const [name, result] of Object.entries(results)) {
    console.log(`${client}: ${name}: ${result}`);
  }
  return failures.length;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
