// `chunk` and `vectorize` end to end across two in-process agents on one embedded broker: agent A
// coordinates (no processing role, so it never runs tasks itself), agent B runs them in its
// worker threads with onnxruntime, its shipped models written into its store at start by
// `prepareInference`. Vectors are checked against raw onnxruntime run here on the same texts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { Agent } from "../../src/agent/agent.ts";
import { prepareInference } from "../../src/adapters/node/infer-kind.ts";
import { loadOnnxRuntime } from "../../src/adapters/node/onnx-runtime.ts";
import { BUILTIN_MODEL_HASHES, BUILTIN_MODELS } from "../../src/inference/builtin-models.ts";
import { modelsDirIn } from "../../src/inference/model-store.ts";
import { tokenizeBatch } from "../../src/inference/tokenizer.ts";
import type { InferWorkerOptions } from "../../src/adapters/node/infer-kind.ts";
import { chunkText, type Chunk } from "../../src/tasks/chunk.ts";
import type { TaskOutcome, TaskSpec } from "../../src/tasks/task.ts";
import { makeMesh, runtime, Scope, testLogger } from "../support/mesh-fixtures.ts";
import { startTaskAgent } from "../support/task-agent.ts";
import { waitFor } from "../support/wait.ts";
import { assertClose, CPU, readings } from "./helpers.ts";

const TEXT_EMBED = BUILTIN_MODEL_HASHES["text-embed"]!;

function start(scope: Scope, dataDir: string, config: Record<string, unknown>, name: string, inference: InferWorkerOptions | null): Promise<Agent> {
  return startTaskAgent(scope, dataDir, config, name, { inference });
}

/** Two agents: A coordinates and hosts the broker, B runs tasks with onnxruntime. */
async function twoAgents(scope: Scope) {
  const kit = await makeMesh(scope, 1);
  const a = await start(scope, kit.owner.dataDir, { broker: "embedded", roles: "coordinator" }, "A", null);
  const bDir = kit.members[0]!.dataDir;
  const inference = await prepareInference({ dataDir: bDir, settings: CPU, log: testLogger("B") });
  assert.ok(inference, "onnxruntime loads here");
  const b = await start(scope, bDir, { broker: a.hostedBroker!.url, roles: "processing" }, "B", inference);
  await waitFor(() => a.node.peers.live().some((p) => p.id === b.identity.id && p.presence?.roles.includes("processing")), 15_000, "B joins A's mesh");
  let n = 0;
  const run = async (spec: Partial<TaskSpec> & { kind: string }): Promise<TaskOutcome> => {
    const id = await a.tasks.coordinator.submit({ id: `t${n++}`, ...spec });
    return a.tasks.coordinator.wait(id);
  };
  const output = async (spec: Partial<TaskSpec> & { kind: string }): Promise<unknown> => {
    const o = await run(spec);
    assert.equal(o.state, "done", JSON.stringify(o));
    assert.deepEqual(o.state === "done" && o.workers, [b.identity.id], "B ran it, not the coordinator");
    return o.state === "done" ? o.output : null;
  };
  const failure = async (spec: Partial<TaskSpec> & { kind: string }): Promise<string> => {
    const o = await run(spec);
    assert.equal(o.state, "failed", JSON.stringify(o));
    assert.equal(o.state === "failed" && o.reason, "task_error");
    return o.state === "failed" ? o.detail : "";
  };
  return { a, b, bDir, output, failure };
}

/** What raw onnxruntime, in this process, gives for `texts` with the shipped text-embed model. */
async function rawEmbeddings(texts: string[]): Promise<number[][]> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(BUILTIN_MODELS["text-embed"]!.make(), { executionProviders: ["cpu"], intraOpNumThreads: 1 });
  try {
    const ids = tokenizeBatch(texts);
    const out = await session.run({ ids: new ort.Tensor("int64", BigInt64Array.from(ids.data, BigInt), ids.dims) });
    const data = Array.from(out["embedding"]!.data as Float32Array);
    return texts.map((_, i) => data.slice(i * 32, (i + 1) * 32));
  } finally {
    await session.release();
  }
}

const cosine = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0) / (Math.hypot(...x) * Math.hypot(...y));

const REPORT =
  "Pump 4 pressure rose above six bar at dawn. The operator opened the relief valve. " +
  "Pressure fell back to four bar within a minute! Was the sensor on pump 4 calibrated? " +
  "Nobody checked the calibration log that week. The relief valve on pump 4 was replaced later.";

test("chunk and vectorize run on the other agent; vectors match raw onnxruntime; similar texts score higher", { timeout: 60_000 }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const { bDir, output } = await twoAgents(scope);
  assert.deepEqual((await readdir(modelsDirIn(bDir))).sort(), Object.values(BUILTIN_MODEL_HASHES).map((h) => `${h}.onnx`).sort(), "prepareInference wrote the shipped models into B's store");

  const chunks = (await output({ kind: "chunk", input: { text: REPORT }, params: { size: 90, overlap: 30 } })) as Chunk[];
  assert.deepEqual(chunks, chunkText(REPORT, { size: 90, overlap: 30 }));
  assert.ok(chunks.length >= 3 && chunks.slice(0, -1).every((c) => /[.!?] $/.test(c.text)), `chunks end at sentences: ${JSON.stringify(chunks.map((c) => c.text))}`);

  const fromChunks = (await output({ kind: "vectorize", input: chunks })) as { model: string; dim: number; vectors: number[][] };
  assert.deepEqual([fromChunks.model, fromChunks.dim, fromChunks.vectors.length], [TEXT_EMBED, 32, chunks.length]);
  assertClose(fromChunks.vectors.flat(), (await rawEmbeddings(chunks.map((c) => c.text))).flat(), 1e-6, "vectors of the chunks");

  const texts = ["the relief valve on pump 4 opened", "pump 4 relief valve was opened", "quarterly invoices are due on friday"];
  const v = (await output({ kind: "vectorize", input: texts, params: { batch: 2 } })) as { vectors: number[][] };
  assert.ok(v.vectors.every((row) => Array.isArray(row) && row.every((x) => typeof x === "number")), "plain number lists");
  assertClose(v.vectors.flat(), (await rawEmbeddings(texts)).flat(), 1e-6, "vectors in batches of 2");
  const [valve, valveAgain, invoices] = v.vectors as [number[], number[], number[]];
  assert.ok(cosine(valve, valveAgain) > 0.6, `similar texts: ${cosine(valve, valveAgain)}`);
  assert.ok(cosine(valve, valveAgain) > cosine(valve, invoices) + 0.3, `similar ${cosine(valve, valveAgain)} vs unrelated ${cosine(valve, invoices)}`);

  const one = (await output({ kind: "vectorize", input: "pump 4", params: { model: "text-embed" } })) as { model: string; vectors: number[][] };
  assert.equal(one.model, TEXT_EMBED, "a shipped model by name");
  assertClose(one.vectors[0]!, (await rawEmbeddings(["pump 4"]))[0]!, 1e-6, "one text");
  assert.deepEqual(await output({ kind: "vectorize", input: [] }), { model: TEXT_EMBED, dim: 32, vectors: [] });

  const window = readings(8, 20, 3, 5);
  const scored = (await output({ kind: "infer", input: { model: "sensor-anomaly", inputs: { window: { type: "float32", dims: [1, 8], data: window } } } })) as { score: { data: number[] } };
  assert.ok(scored.score.data[0]! > 2, "infer takes a shipped model by name too");
});

test("bad input and params fail the task naming the field; a model that is not an embedding model is refused", { timeout: 60_000 }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const { failure, output } = await twoAgents(scope);
  assert.match(await failure({ kind: "vectorize", input: 42 }), /^bad_input: vectorize input expected a text, a list of texts or a list of chunks/);
  assert.match(await failure({ kind: "vectorize", input: ["ok", { txt: "no" }] }), /^bad_input: vectorize input\[1\] expected a text or a chunk \{text: string\}, got object/);
  assert.match(await failure({ kind: "vectorize", input: "x", params: { batch: 0 } }), /^bad_input: vectorize "batch" expected an integer from 1 to 4096, got 0/);
  assert.match(await failure({ kind: "vectorize", input: "x", params: { model: "bert" } }), /^bad_input: vectorize "model" expected a model's sha256 .* got "bert"/);
  assert.match(await failure({ kind: "vectorize", input: "x", params: { model: "sensor-anomaly" } }), /^bad_input: vectorize "model" 169e1f\w+ is not a text embedding model: .* window: float32 \[N, W\]/);
  assert.match(await failure({ kind: "chunk", input: "x", params: { size: 10, overlap: 10 } }), /^bad_input: chunk "overlap" expected an integer from 0 to 5, got 10/);
  assert.match(await failure({ kind: "chunk", input: 7 }), /^bad_input: chunk input expected a text or \{text: string\}, got number/);
  assert.match(await failure({ kind: "infer", input: { model: "pump-v2", inputs: {} } }), /^bad_input: infer input "model" expected a model's sha256/);
  // B carries on after all that.
  assert.equal(((await output({ kind: "vectorize", input: "still here" })) as { vectors: number[][] }).vectors.length, 1);
});
