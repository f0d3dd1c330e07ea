// Shared set-up for the onnxruntime tests: a temporary data dir whose model store holds the shipped
// models (generated now, as the build does), a tiny user model, and the plain-JS reference math
// the models' outputs are checked against.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeFiles } from "../../src/adapters/node/files-node.ts";
import { ANOMALY_EPSILON, BUILTIN_MODELS, EMBED_EPSILON, embeddingTable, TEXT_EMBED_DIM } from "../../src/inference/builtin-models.ts";
import { ModelStore, modelsDirIn } from "../../src/inference/model-store.ts";
import { encodeOnnxModel } from "../../src/inference/onnx-writer.ts";
import type { InferenceSettings } from "../../src/profiles/profile.ts";

/** onnxruntime's defaults on the CPU. */
export const CPU: InferenceSettings = { executionProviders: ["cpu"], intraOpThreads: 1, interOpThreads: 1 };

/** A model store in a fresh data dir, with the shipped models and `pair-add` in it. */
export interface ModelsFixture {
  dataDir: string;
  store: ModelStore;
  hashes: { sensorAnomaly: string; textEmbed: string; pairAdd: string };
}

/**
 * `pair-add`: a user model of the kind anyone might bring, two float32 inputs `a` and `b` of
 * shape [N, 3] (a fixed and a symbolic dimension) → `sum` = a + b.
 */
export function pairAddModel(): Uint8Array {
  return encodeOnnxModel({
    name: "pair-add",
    opset: 17,
    inputs: [
      { name: "a", type: "float32", shape: ["N", 3] },
      { name: "b", type: "float32", shape: ["N", 3] },
    ],
    outputs: [{ name: "sum", type: "float32", shape: ["N", 3] }],
    nodes: [{ op: "Add", inputs: ["a", "b"], outputs: ["sum"] }],
  });
}

/** Runs `fn` with a fresh fixture; removes the data dir afterwards. */
export async function withModels<T>(fn: (fixture: ModelsFixture) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), "p2p-models-"));
  try {
    const store = new ModelStore(nodeFiles, modelsDirIn(dataDir));
    const hashes = {
      sensorAnomaly: await store.add(BUILTIN_MODELS["sensor-anomaly"]!.make()),
      textEmbed: await store.add(BUILTIN_MODELS["text-embed"]!.make()),
      pairAdd: await store.add(pairAddModel()),
    };
    return await fn({ dataDir, store, hashes });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** sensor-anomaly's math in float64: max |x - mean| / sqrt(var + eps) per window. */
export function anomalyReference(windows: number[][]): number[] {
  return windows.map((w) => {
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, x) => a + (x - mean) ** 2, 0) / w.length;
    const std = Math.sqrt(variance + ANOMALY_EPSILON);
    return Math.max(...w.map((x) => Math.abs(x - mean) / std));
  });
}

/** text-embed's math in float64: mean of table rows over T (padding included), L2-normalised. */
export function embedReference(rows: number[][]): number[][] {
  const table = embeddingTable();
  return rows.map((ids) => {
    const mean = new Array<number>(TEXT_EMBED_DIM).fill(0);
    for (const id of ids) for (let d = 0; d < TEXT_EMBED_DIM; d++) mean[d]! += table[id * TEXT_EMBED_DIM + d]! / ids.length;
    const norm = Math.sqrt(mean.reduce((a, x) => a + x * x, 0)) + EMBED_EPSILON;
    return mean.map((x) => x / norm);
  });
}

/** Asserts every value of `actual` is within `tolerance` (absolute plus relative) of `expected`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5, what = "value"): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tolerance * (1 + Math.abs(e)))) throw new Error(`${what}[${i}] = ${a}, expected ${e} (tolerance ${tolerance})`);
  }
}

/** Deterministic pseudo-random readings around `base` with noise, and a spike where asked. */
export function readings(count: number, base: number, seed: number, spikeAt = -1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(base + (s / 2 ** 32 - 0.5) + (i === spikeAt ? 25 : 0));
  }
  return out;
}
