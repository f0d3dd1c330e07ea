// The shipped models under the real onnxruntime-node: they load, and compute what their JS
// reference computes; sessions are cached per model hash; inputs that do not fit are refused
// naming the input; execution providers fall back to cpu with a log line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createInferenceRuntime, loadOnnxRuntime } from "../../src/adapters/node/onnx-runtime.ts";
import { InferenceError } from "../../src/inference/inference-error.ts";
import { toTensor } from "../../src/inference/tensor.ts";
import { tokenizeBatch } from "../../src/inference/tokenizer.ts";
import { createLogger } from "../../src/log/logger.ts";
import { anomalyReference, assertClose, CPU, embedReference, readings, withModels } from "./helpers.ts";

const window = (rows: number[][]) => toTensor("window", { type: "float32", dims: [rows.length, rows[0]!.length], data: rows.flat() });

function capture(): { lines: Array<Record<string, unknown>>; log: ReturnType<typeof createLogger> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: createLogger({ json: true, level: "debug", write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

test("sensor-anomaly computes the largest |z-score| per window, as the JS reference does", async () => {
  await withModels(async ({ store, hashes }) => {
    const runtime = await createInferenceRuntime({ settings: CPU });
    const rows = [readings(32, 20, 1), readings(32, 20, 2, 17), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32], new Array(32).fill(3.5)];
    const session = await runtime.session(hashes.sensorAnomaly, () => store.get(hashes.sensorAnomaly));
    const { score } = await session.run({ window: window(rows) });
    assert.equal(score!.type, "float32");
    assert.deepEqual(score!.dims, [4, 1]);
    assertClose(score!.data as number[], anomalyReference(rows), 1e-5, "score");
    const [calm, spiked, , flat] = score!.data as number[];
    assert.ok(spiked! > 5 && calm! < 3, `a spike stands out: calm ${calm}, spiked ${spiked}`);
    assert.equal(flat, 0, "a flat window scores 0, not NaN");
    await runtime.close();
  });
});

test("text-embed gives unit vectors equal to the JS reference; shared words make texts close", async () => {
  await withModels(async ({ store, hashes }) => {
    const runtime = await createInferenceRuntime({ settings: CPU });
    const texts = ["the pump is overheating", "pump overheating again", "quarterly invoice attached", ""];
    const ids = tokenizeBatch(texts);
    const session = await runtime.session(hashes.textEmbed, () => store.get(hashes.textEmbed));
    const { embedding } = await session.run({ ids: toTensor("ids", ids) });
    assert.deepEqual(embedding!.dims, [4, 32]);
    const rows: number[][] = [];
    for (let i = 0; i < 4; i++) rows.push(ids.data.slice(i * ids.dims[1], (i + 1) * ids.dims[1]));
    const expected = embedReference(rows);
    assertClose(embedding!.data as number[], expected.flat(), 1e-5, "embedding");
    const vec = (i: number) => (embedding!.data as number[]).slice(i * 32, (i + 1) * 32);
    const dot = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k]!, 0);
    assertClose([dot(vec(0), vec(0))], [1], 1e-5, "unit length");
    assert.ok(dot(vec(0), vec(1)) > dot(vec(0), vec(2)) + 0.2, "texts sharing words are closer than texts sharing none");
    assert.deepEqual(vec(3), new Array(32).fill(0), "empty text embeds to zeros");
    await runtime.close();
  });
});

test("sessions are cached by model hash: one load per model, shared by concurrent callers, LRU-bounded", async () => {
  await withModels(async ({ store, hashes }) => {
    const runtime = await createInferenceRuntime({ settings: CPU, maxSessions: 1 });
    const loads: string[] = [];
    const load = (hash: string) => () => (loads.push(hash), store.get(hash));
    const [a, b] = await Promise.all([runtime.session(hashes.sensorAnomaly, load(hashes.sensorAnomaly)), runtime.session(hashes.sensorAnomaly, load(hashes.sensorAnomaly))]);
    assert.equal(a, b, "concurrent callers get one session");
    assert.equal(await runtime.session(hashes.sensorAnomaly, load(hashes.sensorAnomaly)), a, "a later call reuses it");
    assert.deepEqual(loads, [hashes.sensorAnomaly]);
    await runtime.session(hashes.pairAdd, load(hashes.pairAdd)); // evicts sensor-anomaly (maxSessions 1)
    const again = await runtime.session(hashes.sensorAnomaly, load(hashes.sensorAnomaly));
    assert.notEqual(again, a);
    assert.deepEqual(loads, [hashes.sensorAnomaly, hashes.pairAdd, hashes.sensorAnomaly]);
    await runtime.close();
  });
});

test("a failed load is not cached: model_corrupt now, fine once the file is repaired", async () => {
  await withModels(async ({ store, hashes }) => {
    const runtime = await createInferenceRuntime({ settings: CPU });
    const good = await store.get(hashes.pairAdd);
    await store.files.writeFileAtomic(store.path(hashes.pairAdd), good.slice(0, -1), 0o644);
    await assert.rejects(runtime.session(hashes.pairAdd, () => store.get(hashes.pairAdd)), (e: unknown) => e instanceof InferenceError && e.code === "model_corrupt");
    await store.add(good);
    const session = await runtime.session(hashes.pairAdd, () => store.get(hashes.pairAdd));
    assert.deepEqual(session.outputNames, ["sum"]);
    await runtime.close();
  });
});

test("inputs that do not fit the model are refused before onnxruntime runs, naming the input", async () => {
  await withModels(async ({ store, hashes }) => {
    const runtime = await createInferenceRuntime({ settings: CPU });
    const sensor = await runtime.session(hashes.sensorAnomaly, () => store.get(hashes.sensorAnomaly));
    const pair = await runtime.session(hashes.pairAdd, () => store.get(hashes.pairAdd));
    const refused = async (p: Promise<unknown>, pattern: RegExp) =>
      assert.rejects(p, (e: unknown) => e instanceof InferenceError && e.code === "bad_input" && pattern.test(e.message));
    const f32 = (name: string, dims: number[]) => toTensor(name, { type: "float32", dims, data: new Array(dims.reduce((a, b) => a * b, 1)).fill(1) });
    await refused(sensor.run({ window: f32("window", [8]) }), /input "window": the model expects 2 dimensions \[N, W\], got 1/);
    await refused(sensor.run({ window: toTensor("window", { type: "int64", dims: [1, 2], data: [1, 2] }) }), /input "window": the model expects float32, got int64/);
    await refused(sensor.run({ readings: f32("readings", [1, 2]) }), /input "readings": the model has no such input; it takes window: float32 \[N, W\]/);
    await refused(pair.run({ a: f32("a", [2, 3]), b: f32("b", [2, 4]) }), /input "b": dimension 1 must be 3, got 4/);
    await refused(pair.run({ a: f32("a", [2, 3]) }), /input "b": missing/);
    const { sum } = await pair.run({ a: f32("a", [2, 3]), b: f32("b", [2, 3]) });
    assert.deepEqual(sum!.data, [2, 2, 2, 2, 2, 2]);
    await runtime.close();
  });
});

test("bytes that are not ONNX are refused as model_invalid, naming the model", async () => {
  const runtime = await createInferenceRuntime({ settings: CPU });
  const hash = "ab".repeat(32);
  await assert.rejects(runtime.session(hash, async () => new Uint8Array([1, 2, 3, 4])), (e: unknown) => e instanceof InferenceError && e.code === "model_invalid" && e.message.includes(hash));
  await runtime.close();
});

test("profile threads and providers: cuda asked but not installed → cpu, with a log line naming what was missing", async () => {
  await withModels(async ({ store, hashes }) => {
    const { lines, log } = capture();
    const runtime = await createInferenceRuntime({ settings: { executionProviders: ["tensorrt", "cuda", "cpu"], intraOpThreads: 2, interOpThreads: 1 }, log });
    assert.deepEqual(runtime.providers, ["cpu"]);
    const missing = lines.filter((l) => l["event"] === "inference.provider_missing");
    assert.deepEqual(missing.map((l) => l["provider"]), ["tensorrt", "cuda"]);
    assert.match(String(missing[1]!["reason"]), /libonnxruntime_providers_cuda\.so/);
    const session = await runtime.session(hashes.sensorAnomaly, () => store.get(hashes.sensorAnomaly));
    assert.deepEqual(session.providers, ["cpu"]);
    await runtime.close();
  });
});

test("a provider that is listed but fails when the session is made → cpu for good, logged", async () => {
  await withModels(async ({ store, hashes }) => {
    const { lines, log } = capture();
    // A wrapper of onnxruntime-node that claims CUDA is bundled; making a CUDA session then fails here.
    const module = fileURLToPath(new URL("./fixtures/ort-claims-cuda.mjs", import.meta.url));
    const runtime = await createInferenceRuntime({ settings: { executionProviders: ["cuda", "cpu"], intraOpThreads: 0, interOpThreads: 0 }, log, module });
    assert.deepEqual(runtime.providers, ["cuda", "cpu"]);
    // Bytes refused on the CPU too are the model's fault: model_invalid, and CUDA is not blamed.
    await assert.rejects(runtime.session("cd".repeat(32), async () => new Uint8Array([1, 2, 3])), (e: unknown) => e instanceof InferenceError && e.code === "model_invalid");
    assert.deepEqual(runtime.providers, ["cuda", "cpu"]);
    assert.equal(lines.length, 0);
    const session = await runtime.session(hashes.sensorAnomaly, () => store.get(hashes.sensorAnomaly));
    assert.deepEqual(session.providers, ["cpu"]);
    assert.deepEqual(runtime.providers, ["cpu"]);
    const failed = lines.find((l) => l["event"] === "inference.provider_failed");
    assert.equal(failed?.["providers"], "cuda,cpu");
    assert.equal(failed?.["using"], "cpu");
    await runtime.close();
  });
});

test("onnxruntime that cannot be loaded is inference_unavailable, with the reason", async () => {
  await assert.rejects(loadOnnxRuntime("onnxruntime-node-that-is-not-installed"), (e: unknown) => {
    assert.ok(e instanceof InferenceError);
    assert.equal(e.code, "inference_unavailable");
    assert.match(e.message, /onnxruntime cannot be loaded \(onnxruntime-node-that-is-not-installed\): .*not/i);
    return true;
  });
  await assert.rejects(createInferenceRuntime({ settings: CPU, module: "onnxruntime-node-that-is-not-installed" }), (e: unknown) => e instanceof InferenceError && e.code === "inference_unavailable");
});
