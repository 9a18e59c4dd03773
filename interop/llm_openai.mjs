// The official `openai` npm client against the `llm` example.
//
// The model is not named here: the client finds it with `models.list()`, as
// it would on any OpenAI-compatible server, and every later check asks for
// that model (they fail, saying why, if the list did not give one).
//
// Environment: LLM_URL (the example's base URL), INTEROP_RESULTS (a
// directory: writes openai-node.json, a result per check). Exits 1 if a
// check fails.
import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";

const url = process.env.LLM_URL;
// The body of the last error response, as the server sent it: the SDK wraps
// an error body in `{ error: ... }` itself when the server did not, so only
// the bytes show that the server did.
let lastErrorBody = null;
async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  if (!response.ok) lastErrorBody = await response.clone().text();
  return response;
}
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0, fetch: recordingFetch });
const prompt = "the quick brown fox jumps over the lazy dog";
const expected = `You said: ${prompt}`;
const messages = [{ role: "user", content: prompt }];
// A name the server must not have: `models-unknown` fails if it has it.
const unknown = "no-such-model";
// OpenAI's `model` object has exactly these fields.
const modelFields = ["created", "id", "object", "owned_by"];
const results = {};
// The `model` object `models-list` found: null until then, or if it found none.
let listed = null;

async function check(name, test) {
  try {
    await test();
    results[name] = "pass";
  } catch (error) {
    results[name] = `fail: ${error}`;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// The id of the model to ask for: the one `models.list()` gave.
function model() {
  if (listed === null) throw new Error("no model to ask for: models-list found none");
  return listed.id;
}

// `item` is a `model` object: OpenAI's fields exactly, `created` in Unix seconds.
function checkModelObject(item) {
  const shown = JSON.stringify(item);
  assert(JSON.stringify(Object.keys(item).sort()) === JSON.stringify(modelFields), shown);
  assert(item.object === "model", shown);
  assert(typeof item.id === "string" && item.id !== "", shown);
  assert(typeof item.owned_by === "string" && item.owned_by !== "", shown);
  // Seconds, not milliseconds: after 2020, and not in the future.
  assert(Number.isInteger(item.created) && item.created >= 1_577_836_800 && item.created <= Date.now() / 1000, shown);
}

await check("models-list", async () => {
  const page = await client.models.list();
  assert(page.object === "list", JSON.stringify(page.object));
  const models = [];
  for await (const item of page) models.push(item);
  // The example has one model: with several, the checks below would ask for
  // whichever came first.
  assert(models.length === 1, JSON.stringify(models));
  checkModelObject(models[0]);
  listed = models[0];
});

await check("models-retrieve", async () => {
  const retrieved = await client.models.retrieve(model());
  checkModelObject(retrieved);
  // Compared field by field, in one order: the server need not keep its own.
  const fields = (item) => JSON.stringify(item, Object.keys(item).sort());
  assert(fields(retrieved) === fields(listed), `${fields(retrieved)} listed as ${fields(listed)}`);
});

await check("models-unknown", async () => {
  lastErrorBody = null;
  try {
    await client.models.retrieve(unknown);
  } catch (error) {
    assert(error instanceof OpenAI.NotFoundError, `${error}`);
    assert(error.status === 404 && error.code === "model_not_found", `${error}`);
    const body = JSON.parse(lastErrorBody);
    assert(JSON.stringify(Object.keys(body)) === '["error"]', lastErrorBody);
    const fields = body.error;
    assert(JSON.stringify(Object.keys(fields).sort()) === '["code","message","param","type"]', lastErrorBody);
    assert(fields.message.includes(unknown), lastErrorBody);
    assert(fields.type === "invalid_request_error" && fields.param === null, lastErrorBody);
    assert(fields.code === "model_not_found", lastErrorBody);
    return;
  }
  throw new Error(`${unknown} retrieved: the server has a model it must not`);
});

await check("chat-stream", async () => {
  let text = "";
  let finish = null;
  const stream = await client.chat.completions.create({ model: model(), messages, stream: true });
  for await (const chunk of stream) {
    assert(chunk.object === "chat.completion.chunk", JSON.stringify(chunk));
    text += chunk.choices[0].delta.content ?? "";
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  assert(text === expected, JSON.stringify(text));
  assert(finish === "stop", finish);
});

await check("chat-complete", async () => {
  const completion = await client.chat.completions.create({ model: model(), messages, stream: false });
  assert(completion.choices[0].message.content === expected, JSON.stringify(completion));
  assert(completion.model === model(), completion.model);
});

await check("responses-stream", async () => {
  let text = "";
  const kinds = [];
  const numbers = [];
  const stream = await client.responses.create({ model: model(), input: prompt, stream: true });
  for await (const event of stream) {
    kinds.push(event.type);
    numbers.push(event.sequence_number);
    if (event.type === "response.output_text.delta") text += event.delta;
  }
  assert(text === expected, JSON.stringify(text));
  assert(kinds[0] === "response.created" && kinds.at(-1) === "response.completed", kinds.join());
  assert(numbers.every((n, i) => n === i), numbers.join());
});

await check("responses-helper", async () => {
  // The SDK's stream helper rebuilds the response from the events.
  const stream = client.responses.stream({ model: model(), input: prompt });
  for await (const _ of stream) {
    // drained
  }
  const final = await stream.finalResponse();
  assert(final.output_text === expected, JSON.stringify(final.output_text));
});

await check("error-object", async () => {
  try {
    await client.chat.completions.create({ model: unknown, messages, stream: true });
  } catch (error) {
    assert(error instanceof OpenAI.NotFoundError, `${error}`);
    assert(error.code === "model_not_found", error.code);
    return;
  }
  throw new Error("no error");
});

async function produced() {
  const response = await fetch(`${url}/stats`);
  return (await response.json()).produced;
}

await check("cancel", async () => {
  const before = await produced();
  const long = Array(200).fill("word").join(" ");
  const stream = await client.chat.completions.create({
    model: model(),
    messages: [{ role: "user", content: long }],
    stream: true,
  });
  let tokens = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0].delta.content) tokens += 1;
    if (tokens === 3) break; // leaving the loop aborts the request
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = await produced();
  assert(after - before <= 4, `${after - before} tokens produced for 3 read`);
});

if (process.env.INTEROP_RESULTS) {
  fs.writeFileSync(path.join(process.env.INTEROP_RESULTS, "openai-node.json"), JSON.stringify(results));
}
for (const [name, result] of Object.entries(results)) console.log(`openai (npm) ${name}: ${result}`);
process.exit(Object.values(results).every((r) => r === "pass") ? 0 : 1);
