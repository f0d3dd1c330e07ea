import { InferenceError } from "./inference-error.ts";

/** Element types an `infer` tensor may have (onnxruntime's names). */
export const TENSOR_TYPES = ["float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool"] as const;

/** One element type. */
export type TensorType = (typeof TENSOR_TYPES)[number];

/** The typed array holding a checked tensor's elements (`bool` is a `Uint8Array` of 0 and 1). */
export type TensorData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** A checked tensor, ready for onnxruntime: element count equals the product of `dims`. */
export interface Tensor {
  type: TensorType;
  dims: number[];
  data: TensorData;
}

/**
 * A tensor as `infer` returns it, plain enough for CBOR, JSON and `postMessage`: numbers (int64
 * and uint64 too while every value is a safe integer, else bigints), booleans for `bool`.
 */
export interface TensorOutput {
  type: string;
  dims: number[];
  data: number[] | bigint[] | boolean[];
}

/** The most elements one tensor may have (2^28: 1 GiB of float32), a guard against silly dims. */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

type Make = { array: new (n: number) => TensorData; min: number | bigint; max: number | bigint };
const KINDS: Record<TensorType, Make> = {
  float32: { array: Float32Array, min: -Infinity, max: Infinity },
  float64: { array: Float64Array, min: -Infinity, max: Infinity },
  int8: { array: Int8Array, min: -128, max: 127 },
  uint8: { array: Uint8Array, min: 0, max: 255 },
  int16: { array: Int16Array, min: -32768, max: 32767 },
  uint16: { array: Uint16Array, min: 0, max: 65535 },
  int32: { array: Int32Array, min: -(2 ** 31), max: 2 ** 31 - 1 },
  uint32: { array: Uint32Array, min: 0, max: 2 ** 32 - 1 },
  int64: { array: BigInt64Array, min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { array: BigUint64Array, min: 0n, max: 2n ** 64n - 1n },
  bool: { array: Uint8Array, min: 0, max: 1 },
};

const bad = (name: string, what: string) => new InferenceError("bad_input", `input ${JSON.stringify(name)}: ${what}`);
const show = (v: unknown) => (typeof v === "bigint" ? `${v}n` : typeof v === "string" ? JSON.stringify(v.slice(0, 20)) : v === null ? "null" : typeof v === "object" ? typeof v : String(v));

/**
 * Checks one `infer` input `{type, dims, data}` named `name` and returns it as a `Tensor`. `data`
 * may be a plain array or any typed array (the matching one is used as is, others are copied).
 * Throws `InferenceError` `bad_input`, the message naming the input and what is wrong with it
 * (an unknown type, a bad dimension, a length that does not match the dims, a value out of range).
 */
export function toTensor(name: string, value: unknown): Tensor {
  if (typeof value !== "object" || value === null) throw bad(name, `expected {type, dims, data}, got ${show(value)}`);
  const { type, dims, data } = value as { type?: unknown; dims?: unknown; data?: unknown };
  if (!(TENSOR_TYPES as readonly unknown[]).includes(type)) throw bad(name, `type expected one of ${TENSOR_TYPES.join(", ")}, got ${show(type)}`);
  if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d >= 0)) throw bad(name, `dims expected a list of non-negative integers, got ${JSON.stringify(dims)}`);
  const count = dims.reduce((a: number, b: number) => a * b, 1);
  if (count > MAX_TENSOR_ELEMENTS) throw bad(name, `dims [${dims.join(", ")}] make ${count} elements, more than ${MAX_TENSOR_ELEMENTS}`);
  const isArrayLike = Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView));
  if (!isArrayLike) throw bad(name, `data expected an array or typed array, got ${show(data)}`);
  const items = data as ArrayLike<unknown>;
  if (items.length !== count) throw bad(name, `dims [${dims.join(", ")}] need ${count} values, data has ${items.length}`);
  const kind = KINDS[type as TensorType];
  if (data instanceof kind.array && type !== "bool") return { type: type as TensorType, dims: [...dims], data: data as TensorData };
  const out = new kind.array(count);
  for (let i = 0; i < count; i++) (out as unknown as unknown[])[i] = element(name, type as TensorType, kind, items[i], i);
  return { type: type as TensorType, dims: [...dims], data: out };
}

function element(name: string, type: TensorType, kind: Make, v: unknown, i: number): number | bigint {
  const fail = () => bad(name, `data[${i}] is not a valid ${type} value: ${show(v)}`);
  if (type === "bool") {
    if (v === true || v === 1) return 1;
    if (v === false || v === 0) return 0;
    throw fail();
  }
  if (type === "float32" || type === "float64") {
    if (typeof v !== "number") throw fail();
    return v;
  }
  if (typeof kind.min === "bigint") {
    // int64/uint64: a safe-integer number or a bigint, within range.
    const big = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : null;
    if (big === null || big < kind.min || big > (kind.max as bigint)) throw fail();
    return big;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < kind.min || v > (kind.max as number)) throw fail();
  return v;
}

/**
 * A tensor from onnxruntime as plain data (see `TensorOutput`): float and small-integer types as
 * numbers; int64/uint64 as numbers when every value is a safe integer, else as bigints; `bool`
 * as booleans.
 */
export function fromTensor(type: string, dims: readonly number[], data: ArrayLike<number | bigint | boolean>): TensorOutput {
  const values = Array.from(data);
  if (type === "bool") return { type, dims: [...dims], data: values.map((v) => v === true || v === 1) };
  if (values.every((v) => typeof v !== "bigint" || (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)))) {
    return { type, dims: [...dims], data: values.map((v) => Number(v)) };
  }
  return { type, dims: [...dims], data: values.map((v) => BigInt(v as number | bigint)) };
}

/** What a model says about one of its inputs: a symbolic dimension is a string (or -1). */
export interface InputMetadata {
  name: string;
  /** Absent when the input is not a tensor (a sequence or map). */
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

/**
 * Checks `inputs` against what the model takes: every input it needs is there and no other; each
 * has the model's element type, its number of dimensions, and its size in every fixed dimension;
 * a symbolic dimension (say `N`) has one size across all inputs. Throws `InferenceError`
 * `bad_input` naming the input and listing what the model expects.
 */
export function checkInputs(inputs: Readonly<Record<string, Tensor>>, metadata: readonly InputMetadata[]): void {
  const expected = metadata.map((m) => `${m.name}: ${m.type ?? "?"} [${(m.shape ?? []).join(", ")}]`).join("; ");
  for (const name of Object.keys(inputs)) {
    if (!metadata.some((m) => m.name === name)) throw bad(name, `the model has no such input; it takes ${expected}`);
  }
  const symbols = new Map<string, { size: number; input: string }>();
  for (const m of metadata) {
    const t = inputs[m.name];
    if (!t) throw bad(m.name, `missing; the model takes ${expected}`);
    if (m.type === undefined) throw bad(m.name, "the model takes a non-tensor value here, which infer cannot pass");
    if (t.type !== m.type) throw bad(m.name, `the model expects ${m.type}, got ${t.type}`);
    if (!m.shape) continue;
    if (t.dims.length !== m.shape.length) throw bad(m.name, `the model expects ${m.shape.length} dimensions [${m.shape.join(", ")}], got ${t.dims.length} [${t.dims.join(", ")}]`);
    m.shape.forEach((want, axis) => {
      const got = t.dims[axis]!;
      if (typeof want === "number" && want >= 0 && got !== want) throw bad(m.name, `dimension ${axis} must be ${want}, got ${got} (dims [${t.dims.join(", ")}], expected [${m.shape!.join(", ")}])`);
      if (typeof want === "string" && want !== "") {
        const seen = symbols.get(want);
        if (seen && seen.size !== got) throw bad(m.name, `dimension ${axis} (${want}) is ${got}, but ${want} is ${seen.size} in input ${JSON.stringify(seen.input)}`);
        symbols.set(want, seen ?? { size: got, input: m.name });
      }
    });
  }
}
