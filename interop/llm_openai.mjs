// The official `openai` npm client against the `llm` example.
//
// Environment: LLM_URL (the example's base URL), INTEROP_RESULTS (a
// directory: writes openai-node.json, a result per check). Exits 1 if a
// check fails.
import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";

const url = process.env.LLM_URL;
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
const prompt = "the quick brown fox jumps over the lazy dog";
const expected = `You said: ${prompt}`;
const messages = [{ role: "user", content: prompt }];
const results = {};

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

await check("chat-stream", async () => {
  let text = "";
  let finish = null;
  const stream = await client.chat.completions.create({ model: "fake-1", messages, stream: true });
  for await (const chunk of stream) {
    assert(chunk.object === "chat.completion.chunk", JSON.stringify(chunk));
    text += chunk.choices[0].delta.content ?? "";
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  assert(text === expected, JSON.stringify(text));
  assert(finish === "stop", finish);
});

await check("chat-complete", async () => {
  const completion = await client.chat.completions.create({ model: "fake-1", messages, stream: false });
  assert(completion.choices[0].message.content === expected, JSON.stringify(completion));
});

await check("responses-stream", async () => {
  let text = "";
  const kinds = [];
  const numbers = [];
  const stream = await client.responses.create({ model: "fake-1", input: prompt, stream: true });
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
  const stream = client.responses.stream({ model: "fake-1", input: prompt });
  for await (const _ of stream) {
    // drained
  }
  const final = await stream.finalResponse();
  assert(final.output_text === expected, JSON.stringify(final.output_text));
});

await check("error-object", async () => {
  try {
    await client.chat.completions.create({ model: "no-such-model", messages, stream: true });
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
    model: "fake-1",
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
