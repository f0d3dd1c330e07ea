// The `infer` task kind end to end through the worker-thread executor: onnxruntime loads inside
// the task worker, the model comes from the store checked by hash, failures come back as results
// with stable codes, and an agent where onnxruntime cannot load still runs everything else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { prepareInference } from "../../src/adapters/node/infer-kind.ts";
import { createWorkerExecutor } from "../../src/adapters/node/worker-executor.ts";
import { modelsDirIn } from "../../src/inference/model-store.ts";
import { tokenizeBatch } from "../../src/inference/tokenizer.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { Executor, Job, JobResult } from "../../src/tasks/executor.ts";
import { anomalyReference, assertClose, CPU, embedReference, readings, withModels } from "./helpers.ts";

const job = (input: unknown, timeoutMs = 30_000): Job => ({ kind: "infer", input, params: {}, timeoutMs });
const failure = (r: JobResult) => {
  assert.equal(r.ok, false, `expected a failure, got ${JSON.stringify(r)}`);
  return r as Extract<JobResult, { ok: false }>;
};

async function withExecutor<T>(modelsDir: string, fn: (executor: Executor) => Promise<T>, module?: string): Promise<T> {
  const executor = createWorkerExecutor({ concurrency: 1, memoryMb: 256, inference: { modelsDir, settings: CPU, ...(module ? { module } : {}) } });
  try {
    return await fn(executor);
  } finally {
    await executor.close();
  }
}

test("infer runs sensor-anomaly and text-embed inside a task worker and returns plain tensors", async () => {
  await withModels(async ({ dataDir, hashes }) => {
    await withExecutor(modelsDirIn(dataDir), async (executor) => {
      assert.ok(executor.kinds.includes("infer"));
      const rows = [readings(16, 50, 7), readings(16, 50, 8, 3)];
      const r = await executor.run(job({ model: hashes.sensorAnomaly, inputs: { window: { type: "float32", dims: [2, 16], data: new Float32Array(rows.flat()) } } }));
      assert.ok(r.ok, JSON.stringify(r));
      const score = (r.output as Record<string, { type: string; dims: number[]; data: number[] }>)["score"]!;
      assert.deepEqual([score.type, score.dims], ["float32", [2, 1]]);
      assert.ok(Array.isArray(score.data), "outputs are plain arrays (CBOR- and JSON-friendly)");
      assertClose(score.data, anomalyReference(rows), 1e-5, "score");

      const ids = tokenizeBatch(["sensor 4 reads high", "sensor four reads high"]);
      const e = await executor.run(job({ model: hashes.textEmbed, inputs: { ids } }));
      assert.ok(e.ok, JSON.stringify(e));
      const embedding = (e.output as Record<string, { dims: number[]; data: number[] }>)["embedding"]!;
      assert.deepEqual(embedding.dims, [2, 32]);
      const width = ids.dims[1];
      assertClose(embedding.data, embedReference([ids.data.slice(0, width), ids.data.slice(width)]).flat(), 1e-5, "embedding");
    });
  });
});

test("infer refuses wrong inputs with bad_input naming the input; the worker carries on", async () => {
  await withModels(async ({ dataDir, hashes }) => {
    await withExecutor(modelsDirIn(dataDir), async (executor) => {
      const wrongType = failure(await executor.run(job({ model: hashes.sensorAnomaly, inputs: { window: { type: "int64", dims: [1, 3], data: [1, 2, 3] } } })));
      assert.equal(wrongType.code, "bad_input");
      assert.match(wrongType.error, /input "window": the model expects float32, got int64/);
      const wrongShape = failure(await executor.run(job({ model: hashes.pairAdd, inputs: { a: { type: "float32", dims: [1, 2], data: [1, 2] }, b: { type: "float32", dims: [1, 3], data: [1, 2, 3] } } })));
      assert.equal(wrongShape.code, "bad_input");
      assert.match(wrongShape.error, /input "a": dimension 1 must be 3, got 2/);
      const badData = failure(await executor.run(job({ model: hashes.pairAdd, inputs: { a: { type: "float32", dims: [1, 3], data: [1, 2] } } })));
      assert.match(badData.error, /input "a": dims \[1, 3\] need 3 values, data has 2/);
      const badModel = failure(await executor.run(job({ model: "pump-v2", inputs: { a: { type: "float32", dims: [1], data: [1] } } })));
      assert.equal(badModel.code, "bad_input");
      assert.match(badModel.error, /"model" expected a model's sha256/);
      const ok = await executor.run(job({ model: hashes.pairAdd, inputs: { a: { type: "float32", dims: [1, 3], data: [1, 2, 3] }, b: { type: "float32", dims: [1, 3], data: [10, 20, 30] } } }));
      assert.deepEqual(ok.ok && ok.output, { sum: { type: "float32", dims: [1, 3], data: [11, 22, 33] } });
    });
  });
});

test("a corrupted model file is refused by hash (model_corrupt); an absent one is model_not_found", async () => {
  await withModels(async ({ dataDir, store, hashes }) => {
    const bytes = await store.get(hashes.pairAdd);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(store.path(hashes.pairAdd), bytes);
    await withExecutor(modelsDirIn(dataDir), async (executor) => {
      const inputs = { a: { type: "float32", dims: [1, 3], data: [1, 2, 3] }, b: { type: "float32", dims: [1, 3], data: [1, 2, 3] } };
      const corrupt = failure(await executor.run(job({ model: hashes.pairAdd, inputs })));
      assert.equal(corrupt.code, "model_corrupt");
      assert.match(corrupt.error, new RegExp(`${hashes.pairAdd}\\.onnx is corrupt`));
      const absent = failure(await executor.run(job({ model: "f".repeat(64), inputs })));
      assert.equal(absent.code, "model_not_found");
    });
  });
});

test("where onnxruntime cannot load: infer fails with inference_unavailable, other kinds still run", async () => {
  await withModels(async ({ dataDir, hashes }) => {
    await withExecutor(
      modelsDirIn(dataDir),
      async (executor) => {
        const r = failure(await executor.run(job({ model: hashes.sensorAnomaly, inputs: { window: { type: "float32", dims: [1, 2], data: [1, 2] } } })));
        assert.equal(r.code, "inference_unavailable");
        assert.match(r.error, /onnxruntime cannot be loaded \(onnxruntime-node-missing\)/);
        const echo = await executor.run({ kind: "echo", input: "still here", params: {}, timeoutMs: 5_000 });
        assert.deepEqual(echo.ok && echo.output, "still here");
      },
      "onnxruntime-node-missing",
    );
  });
});

test("at start, prepareInference says whether this agent can infer; without onnxruntime the kind is not offered", async () => {
  await withModels(async ({ dataDir }) => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const ready = await prepareInference({ dataDir, settings: CPU, log });
    assert.equal(ready?.modelsDir, modelsDirIn(dataDir));
    assert.equal(lines.at(-1)?.["event"], "inference.ready");
    const missing = await prepareInference({ dataDir, settings: CPU, log, module: "onnxruntime-node-missing" });
    assert.equal(missing, null);
    assert.deepEqual([lines.at(-1)?.["event"], lines.at(-1)?.["code"]], ["inference.unavailable", "inference_unavailable"]);
    const executor = createWorkerExecutor({ concurrency: 1, memoryMb: 128, inference: missing });
    try {
      assert.ok(!executor.kinds.includes("infer"));
      const r = failure(await executor.run(job({ model: "0".repeat(64), inputs: {} }, 5_000)));
      assert.equal(r.code, "unknown_kind");
      const sum = await executor.run({ kind: "sum", input: [1, 2, 3], params: {}, timeoutMs: 5_000 });
      assert.deepEqual(sum.ok && sum.output, 6);
    } finally {
      await executor.close();
    }
  });
});
