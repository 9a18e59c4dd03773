// The typed contract reaching the frontend: the TypeScript module that
// `typed_events typescript` generates type-checks under `tsc --strict`, a
// handler of the wrong payload type, an unknown event name or a query
// parameter of the wrong type does not, and
// the compiled module receives the example's events, typed, in headless
// Chromium. Environment: TYPED_URL (the example), CHROMIUM, INTEROP_RESULTS
// (writes contract-typescript.json). Exits 1 if a check fails.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const here = new URL(".", import.meta.url).pathname;
const origin = process.env.TYPED_URL;
const dir = mkdtempSync(join(tmpdir(), "typed-contract-"));
const results = {};

const module = execFileSync(join(here, "../target/debug/examples/typed_events"), ["typescript"], { encoding: "utf8" });
writeFileSync(join(dir, "weather.ts"), module);

const page = `import { weather } from "./weather.js";

declare global {
  interface Window { received: unknown[]; done: boolean }
}
window.received = [];
const source = weather()
  .on("reading", (reading, event) => {
    const celsius: number = reading.celsius;
    const station: string = reading.station;
    window.received.push({ event: "reading", celsius, station, id: event.lastEventId });
  })
  .on("alert", (alert) => {
    const level: number = alert.level;
    const text: string = alert.text;
    window.received.push({ event: "alert", level, text });
  })
  .on("note", (note) => {
    const text: string = note;
    window.received.push({ event: "note", text });
  })
  .on("station_closed", (closed) => {
    const nothing: null = closed;
    window.received.push({ event: "station_closed", data: nothing });
    source.close();
    window.done = true;
  });
`;
writeFileSync(join(dir, "page.ts"), page);
// The ticker's function: its path and query parameters, typed.
writeFileSync(
  join(dir, "ticker.ts"),
  `import { ticker } from "./weather.js";\nticker({ symbol: "ACME", count: 3 }).on("price", (price) => { const cents: number = price.cents; console.log(cents); });\nticker({ symbol: "ACME" }).on("reset", (reset) => console.log(reset.resume));\n`,
);
writeFileSync(
  join(dir, "wrong_query.ts"),
  `import { ticker } from "./weather.js";\nticker({ symbol: "ACME", count: "three" });\n`,
);
// One mistake each: a payload of the wrong type, an event the endpoint
// does not send.
writeFileSync(
  join(dir, "wrong_payload.ts"),
  `import { weather } from "./weather.js";\nweather().on("reading", (reading: { celsius: string }) => console.log(reading.celsius));\n`,
);
writeFileSync(
  join(dir, "unknown_event.ts"),
  `import { weather } from "./weather.js";\nweather().on("rain", () => console.log("rain"));\n`,
);

const tsc = join(here, "node_modules/.bin/tsc");
const flags = ["--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", "--lib", "es2022,dom", "--skipLibCheck"];
const check = (file, extra = ["--noEmit"]) =>
  spawnSync(tsc, [...flags, ...extra, join(dir, file)], { encoding: "utf8" });

function run(name, test) {
  return Promise.resolve()
    .then(test)
    .then(
      () => { results[name] = "pass"; },
      (error) => { results[name] = `fail: ${error.message}`; },
    );
}

await run("typescript-strict", () => {
  const compiled = check("page.ts", ["--outDir", join(dir, "out")]);
  if (compiled.status !== 0) throw new Error(compiled.stdout + compiled.stderr);
});

await run("typescript-query-parameters", () => {
  const ok = check("ticker.ts");
  if (ok.status !== 0) throw new Error(`ticker.ts: ${ok.stdout}`);
  const wrong = check("wrong_query.ts");
  if (wrong.status === 0) throw new Error("a string for `count` type-checked");
  if (!(wrong.stdout.includes("TS2322") && wrong.stdout.includes("'string' is not assignable to type 'number'"))) {
    throw new Error(`wrong_query.ts: ${wrong.stdout}`);
  }
});

await run("typescript-refuses-wrong-handlers", () => {
  // The errors README.md shows: an unknown event name is TS2345 on "rain".
  for (const [file, expected] of [
    ["wrong_payload.ts", ["'celsius' are incompatible"]],
    ["unknown_event.ts", ["TS2345", `"rain"`]],
  ]) {
    const result = check(file);
    if (result.status === 0) throw new Error(`${file} type-checked`);
    if (!expected.every((text) => result.stdout.includes(text))) {
      throw new Error(`${file}: ${result.stdout}`);
    }
  }
});

await run("chromium-typed-events", async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    const tab = await browser.newPage();
    // The page and the compiled module, served as if from the example's
    // origin; the events come from the example itself.
    await tab.route(`${origin}/contract/**`, (route) => {
      const path = new URL(route.request().url()).pathname.replace("/contract/", "");
      if (path === "index.html") {
        return route.fulfill({ contentType: "text/html", body: `<script type="module" src="page.js"></script>` });
      }
      return route.fulfill({ contentType: "text/javascript", body: readFileSync(join(dir, "out", path)) });
    });
    await tab.goto(`${origin}/contract/index.html`);
    await tab.waitForFunction(() => window.done === true, null, { timeout: 10_000 });
    const received = await tab.evaluate(() => window.received);
    const want = [
      { event: "reading", celsius: 21.5, station: "Zürich", id: "1" },
      { event: "alert", level: 2, text: "Föhn storm\nsecure loose objects" },
      { event: "reading", celsius: 28, station: "São Paulo 🌦", id: "2" },
      { event: "note", text: "line one\r\nline two" },
      { event: "station_closed", data: null },
    ];
    if (JSON.stringify(received) !== JSON.stringify(want)) {
      throw new Error(`got ${JSON.stringify(received)}`);
    }
  } finally {
    await browser.close();
  }
});

if (process.env.INTEROP_RESULTS) {
  writeFileSync(join(process.env.INTEROP_RESULTS, "contract-typescript.json"), JSON.stringify(results));
}
for (const [name, result] of Object.entries(results)) {
  console.log(`contract (TypeScript) ${name}: ${result}`);
}
process.exit(Object.values(results).every((r) => r === "pass") ? 0 : 1);
