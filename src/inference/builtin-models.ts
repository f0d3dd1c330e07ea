import { InferenceError } from "./inference-error.ts";
import { encodeOnnxModel, type OnnxModel } from "./onnx-writer.ts";

/**
 * The models that ship with the project, as code: each is a small real ONNX graph written by
 * `encodeOnnxModel`, byte for byte the same on every machine (so each always has the same sha256,
 * its name in a model store). `scripts/make-models.ts` writes them to files; `docs/models.md` says
 * what each computes. ONNX opset 17, IR version 8.
 */

/** Added to the variance before the square root in `sensor-anomaly`, so a flat window scores 0. */
export const ANOMALY_EPSILON = 1e-6;

/**
 * `sensor-anomaly`: input `window` float32 [N, W] (N windows of W readings each), output `score`
 * float32 [N, 1], the largest |z-score| in each window:
 * `max_i |x_i - mean(x)| / sqrt(mean((x - mean(x))²) + ANOMALY_EPSILON)`.
 * A window whose readings all sit near their mean scores low; one spike scores high (a single
 * outlier among W readings scores close to sqrt(W - 1)).
 */
export function sensorAnomalyModel(): OnnxModel {
  const axes = { axes: { ints: [1] }, keepdims: { i: 1 } };
  return {
    name: "sensor-anomaly",
    doc: "Largest absolute z-score in each window of sensor readings.",
    opset: 17,
    inputs: [{ name: "window", type: "float32", shape: ["N", "W"], doc: "N windows of W readings each" }],
    outputs: [{ name: "score", type: "float32", shape: ["N", 1], doc: "max |z| per window" }],
    initializers: [{ name: "epsilon", dims: [], data: Float32Array.of(ANOMALY_EPSILON) }],
    nodes: [
      { op: "ReduceMean", inputs: ["window"], outputs: ["mean"], attributes: axes },
      { op: "Sub", inputs: ["window", "mean"], outputs: ["centred"] },
      { op: "Mul", inputs: ["centred", "centred"], outputs: ["squared"] },
      { op: "ReduceMean", inputs: ["squared"], outputs: ["variance"], attributes: axes },
      { op: "Add", inputs: ["variance", "epsilon"], outputs: ["variance_eps"] },
      { op: "Sqrt", inputs: ["variance_eps"], outputs: ["std"] },
      { op: "Div", inputs: ["centred", "std"], outputs: ["z"] },
      { op: "Abs", inputs: ["z"], outputs: ["abs_z"] },
      { op: "ReduceMax", inputs: ["abs_z"], outputs: ["score"], attributes: axes },
    ],
    metadata: [["p2p-agent.model", "sensor-anomaly"]],
  };
}

/** `text-embed`'s vocabulary: token ids 0 (padding) to TEXT_EMBED_VOCAB - 1. */
export const TEXT_EMBED_VOCAB = 4096;
/** `text-embed`'s output dimension. */
export const TEXT_EMBED_DIM = 32;
/** Seed of the PRNG that fills `text-embed`'s table. */
export const TEXT_EMBED_SEED = 0x70327061; // "p2pa"
/** Added to the L2 norm before dividing, so an all-padding row embeds to zeros, not NaN. */
export const EMBED_EPSILON = 1e-12;

/**
 * The deterministic PRNG the table is filled from: mulberry32 (32-bit integer operations only, so
 * every runtime and CPU gives the same sequence). Returns a function giving numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `text-embed`'s embedding table, row-major [TEXT_EMBED_VOCAB, TEXT_EMBED_DIM]: row 0 (padding)
 * is all zeros, every other value uniform in [-1, 1) from `mulberry32(TEXT_EMBED_SEED)`.
 */
export function embeddingTable(): Float32Array {
  const next = mulberry32(TEXT_EMBED_SEED);
  const table = new Float32Array(TEXT_EMBED_VOCAB * TEXT_EMBED_DIM);
  for (let i = TEXT_EMBED_DIM; i < table.length; i++) table[i] = next() * 2 - 1;
  return table;
}

/**
 * `text-embed`: input `ids` int64 [N, T] (token ids from `tokenize` in src/inference/tokenizer.ts,
 * padded with 0), output `embedding` float32 [N, TEXT_EMBED_DIM]: each text's L2-normalised mean
 * of its tokens' rows of a fixed pseudo-random table. Padding rows are zero and the result is
 * normalised, so padding does not change a text's embedding. Not a trained model: texts sharing
 * words come out close (cosine similarity), texts sharing none come out near orthogonal.
 */
export function textEmbedModel(): OnnxModel {
  return {
    name: "text-embed",
    doc: "Mean of hashed-token embeddings, L2-normalised.",
    opset: 17,
    inputs: [{ name: "ids", type: "int64", shape: ["N", "T"], doc: "token ids, 0 = padding" }],
    outputs: [{ name: "embedding", type: "float32", shape: ["N", TEXT_EMBED_DIM], doc: "unit-length embeddings" }],
    initializers: [
      { name: "table", dims: [TEXT_EMBED_VOCAB, TEXT_EMBED_DIM], data: embeddingTable() },
      { name: "epsilon", dims: [], data: Float32Array.of(EMBED_EPSILON) },
    ],
    nodes: [
      { op: "Gather", inputs: ["table", "ids"], outputs: ["vectors"], attributes: { axis: { i: 0 } } },
      { op: "ReduceMean", inputs: ["vectors"], outputs: ["mean"], attributes: { axes: { ints: [1] }, keepdims: { i: 0 } } },
      { op: "ReduceL2", inputs: ["mean"], outputs: ["norm"], attributes: { axes: { ints: [1] }, keepdims: { i: 1 } } },
      { op: "Add", inputs: ["norm", "epsilon"], outputs: ["norm_eps"] },
      { op: "Div", inputs: ["mean", "norm_eps"], outputs: ["embedding"] },
    ],
    metadata: [["p2p-agent.model", "text-embed"]],
  };
}

/** The shipped models by name: a description of each and its ONNX bytes. */
export const BUILTIN_MODELS: Readonly<Record<string, { describe: string; make: () => Uint8Array }>> = {
  "sensor-anomaly": { describe: "float32 [N, W] readings → float32 [N, 1] largest |z-score| per window", make: () => encodeOnnxModel(sensorAnomalyModel()) },
  "text-embed": { describe: `int64 [N, T] token ids → float32 [N, ${TEXT_EMBED_DIM}] unit embeddings`, make: () => encodeOnnxModel(textEmbedModel()) },
};

/**
 * The shipped models' sha256 by name, pinned so an agent can name them without generating them
 * (`test/inference/core/builtin-models.test.ts` checks each against the bytes `BUILTIN_MODELS`
 * makes). Changing a model changes its hash: update both.
 */
export const BUILTIN_MODEL_HASHES: Readonly<Record<string, string>> = {
  "sensor-anomaly": "169e1fb2afc7c4a78d0da81c52475ac6891db3868ae6ced0018801aa00da17f6",
  "text-embed": "9af923e85afd72aed0cf7b279d406756b56771a761464636828f55dfcd5cb704",
};

/**
 * The sha256 of the shipped model `name` (`"text-embed"`, `"sensor-anomaly"`), the name it has in
 * every model store. Throws `RangeError` naming the shipped models for any other name.
 */
export function builtinModelHash(name: string): string {
  const hash = Object.hasOwn(BUILTIN_MODEL_HASHES, name) ? BUILTIN_MODEL_HASHES[name] : undefined;
  if (hash === undefined) throw new RangeError(`"name" expected a shipped model (${Object.keys(BUILTIN_MODEL_HASHES).join(", ")}), got ${JSON.stringify(name)}`);
  return hash;
}

/**
 * A task's model reference as a model hash: a sha256 (64 lower-case hex digits) as it is, or a
 * shipped model's name (`"text-embed"`) as its pinned hash. Throws `InferenceError` `bad_input`
 * beginning with `field` (e.g. `vectorize "model"`) for anything else.
 */
export function resolveModelRef(value: unknown, field: string): string {
  if (typeof value === "string" && /^[0-9a-f]{64}$/.test(value)) return value;
  if (typeof value === "string" && Object.hasOwn(BUILTIN_MODEL_HASHES, value)) return BUILTIN_MODEL_HASHES[value]!;
  const names = Object.keys(BUILTIN_MODEL_HASHES).join(", ");
  throw new InferenceError("bad_input", `${field} expected a model's sha256 (64 lower-case hex digits) or a shipped model's name (${names}), got ${JSON.stringify(value)?.slice(0, 80)}`);
}
