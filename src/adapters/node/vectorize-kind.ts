import { BUILTIN_MODEL_HASHES, resolveModelRef } from "../../inference/builtin-models.ts";
import { InferenceError } from "../../inference/inference-error.ts";
import { tokenize } from "../../inference/tokenizer.ts";
import type { KindFn } from "../../tasks/kinds.ts";
import type { ModelSession } from "./onnx-runtime.ts";

/** Texts per onnxruntime run unless `params.batch` says otherwise. */
export const VECTORIZE_BATCH = 64;
/** The largest `params.batch`. */
export const MAX_VECTORIZE_BATCH = 4096;
/** Tokens kept per text unless `params.maxTokens` says otherwise (the tokenizer's default). */
export const VECTORIZE_MAX_TOKENS = 256;

/** What `vectorize` returns: one `dim`-long vector per text, in the order of the input. */
export interface VectorizeOutput {
  /** The sha256 of the model that made the vectors (a shipped model's name resolved). */
  model: string;
  dim: number;
  vectors: number[][];
}

/** `vectorize`'s checked settings. */
export interface VectorizeParams {
  model: string;
  batch: number;
  maxTokens: number;
}

const describe = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v);

function textOf(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { text?: unknown }).text === "string") return (value as { text: string }).text;
  throw new InferenceError("bad_input", `${where} expected a text or a chunk {text: string}, got ${describe(value)}`);
}

/**
 * The texts of a `vectorize` input: a text, a chunk `{text, ...}` (what `chunk` outputs), or a list
 * of either. Throws `InferenceError` `bad_input` naming the input or the list element that is wrong.
 */
export function vectorizeTexts(input: unknown): string[] {
  if (Array.isArray(input)) return input.map((v, i) => textOf(v, `vectorize input[${i}]`));
  if (typeof input === "string" || (typeof input === "object" && input !== null)) return [textOf(input, "vectorize input")];
  throw new InferenceError("bad_input", `vectorize input expected a text, a list of texts or a list of chunks ({text}), got ${describe(input)}`);
}

function integerParam(params: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const value = params[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InferenceError("bad_input", `vectorize "${name}" expected an integer from 1 to ${max}, got ${typeof value === "number" ? value : describe(value)}`);
  }
  return value;
}

/**
 * `vectorize`'s params, checked: `model` (a sha256 or a shipped model's name; default
 * `text-embed`), `batch` (texts per onnxruntime run, 1-4096, default 64) and `maxTokens` (tokens
 * kept per text, 1-4096, default 256). Throws `InferenceError` `bad_input` naming the field.
 */
export function vectorizeParams(params: Record<string, unknown>): VectorizeParams {
  return {
    model: params["model"] === undefined ? BUILTIN_MODEL_HASHES["text-embed"]! : resolveModelRef(params["model"], 'vectorize "model"'),
    batch: integerParam(params, "batch", VECTORIZE_BATCH, MAX_VECTORIZE_BATCH),
    maxTokens: integerParam(params, "maxTokens", VECTORIZE_MAX_TOKENS, 4096),
  };
}

/**
 * Token ids of `texts` as `text-embed`'s `ids` tensor: int64 [N, T], each row padded with 0 to the
 * longest (T at least 1). The same ids as `tokenizeBatch`, written straight into a BigInt64Array.
 */
export function idsTensor(texts: readonly string[], maxTokens: number): { type: "int64"; dims: number[]; data: BigInt64Array } {
  const rows = texts.map((t) => tokenize(t, { maxTokens }));
  const width = Math.max(1, ...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((row, i) => row.forEach((id, j) => (data[i * width + j] = BigInt(id))));
  return { type: "int64", dims: [rows.length, width], data };
}

/**
 * The `vectorize` kind: texts (or chunks) into embeddings with an ONNX model, `batch` texts per
 * onnxruntime run. `session(hash)` gives the cached session of a model in the store. The model
 * must take one int64 [N, T] input of token ids (the hashing tokenizer's, see
 * src/inference/tokenizer.ts) and give a float [N, D] output first; another model fails with
 * `bad_input` saying what it takes. Output `{model, dim, vectors}` (plain number lists, CBOR- and
 * JSON-friendly); an empty list gives no vectors (the model still runs once to learn `dim`).
 */
export function vectorizeKind(session: (hash: string) => Promise<ModelSession>): KindFn {
  return async (input, params) => {
    const texts = vectorizeTexts(input);
    const { model, batch, maxTokens } = vectorizeParams(params);
    const s = await session(model);
    const [ids, ...more] = s.inputs;
    if (!ids || more.length > 0 || ids.type !== "int64" || ids.shape?.length !== 2) {
      const takes = s.inputs.map((m) => `${m.name}: ${m.type ?? "?"} [${(m.shape ?? []).join(", ")}]`).join("; ");
      throw new InferenceError("bad_input", `vectorize "model" ${model} is not a text embedding model: vectorize needs one int64 [N, T] input of token ids, the model takes ${takes}`);
    }
    const outputName = s.outputNames[0]!;
    const vectors: number[][] = [];
    let dim = 0;
    for (let at = 0; at < Math.max(1, texts.length); at += batch) {
      const part = texts.length === 0 ? [""] : texts.slice(at, at + batch);
      const out = (await s.run({ [ids.name]: idsTensor(part, maxTokens) }))[outputName]!;
      if (out.dims.length !== 2 || out.dims[0] !== part.length || !out.type.startsWith("float")) {
        throw new InferenceError("bad_input", `vectorize "model" ${model} gave ${out.type} [${out.dims.join(", ")}] for ${part.length} texts, not one float vector per text`);
      }
      dim = out.dims[1]!;
      const data = out.data as number[];
      if (texts.length > 0) for (let r = 0; r < part.length; r++) vectors.push(data.slice(r * dim, (r + 1) * dim));
    }
    return { model, dim, vectors } satisfies VectorizeOutput;
  };
}
