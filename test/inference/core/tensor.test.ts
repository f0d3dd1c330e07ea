// `infer` tensors: checking task input, matching it to a model's inputs, and plain outputs. Every
// refusal is `bad_input` and names the input. Node and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import { INFERENCE_ERROR_CODES, InferenceError } from "../../../src/inference/inference-error.ts";
import { kindErrorCode } from "../../../src/tasks/executor.ts";
import { checkInputs, fromTensor, toTensor, type InputMetadata } from "../../../src/inference/tensor.ts";

/** Asserts `fn` throws `bad_input` whose message names `input` and matches `pattern`. */
function badInput(fn: () => unknown, input: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InferenceError, `expected InferenceError, got ${String(e)}`);
    assert.equal(e.code, "bad_input");
    assert.match(e.message, new RegExp(`input "${input}"`));
    assert.match(e.message, pattern);
    return true;
  });
}

test("toTensor turns plain arrays into the matching typed arrays", () => {
  const f = toTensor("x", { type: "float32", dims: [2, 2], data: [1, 2.5, -3, 4] });
  assert.ok(f.data instanceof Float32Array);
  assert.deepEqual([...f.data], [1, 2.5, -3, 4]);
  const i = toTensor("ids", { type: "int64", dims: [3], data: [1, -2, 9007199254740991n] });
  assert.ok(i.data instanceof BigInt64Array);
  assert.deepEqual([...i.data], [1n, -2n, 9007199254740991n]);
  const b = toTensor("mask", { type: "bool", dims: [3], data: [true, false, 1] });
  assert.deepEqual([...b.data], [1, 0, 1]);
  const scalar = toTensor("s", { type: "float64", dims: [], data: [7] });
  assert.deepEqual(scalar.dims, []);
});

test("toTensor uses a matching typed array as it is and converts others", () => {
  const data = new Float32Array([1, 2, 3]);
  assert.equal(toTensor("x", { type: "float32", dims: [3], data }).data, data);
  const converted = toTensor("x", { type: "float32", dims: [3], data: new Float64Array([1, 2, 3]) });
  assert.ok(converted.data instanceof Float32Array);
  assert.ok(toTensor("x", { type: "int32", dims: [2], data: new Int32Array([5, 6]) }).data instanceof Int32Array);
});

test("toTensor refuses malformed tensors, naming the input and what is wrong", () => {
  badInput(() => toTensor("window", null), "window", /expected \{type, dims, data\}/);
  badInput(() => toTensor("window", { type: "float16", dims: [1], data: [1] }), "window", /type expected one of/);
  badInput(() => toTensor("window", { type: "float32", dims: [2, -1], data: [] }), "window", /dims expected/);
  badInput(() => toTensor("window", { type: "float32", dims: [2, 3], data: [1, 2, 3, 4, 5] }), "window", /need 6 values, data has 5/);
  badInput(() => toTensor("window", { type: "float32", dims: [2], data: [1, "2"] }), "window", /data\[1\] is not a valid float32/);
  badInput(() => toTensor("window", { type: "float32", dims: [1], data: "1" }), "window", /data expected an array/);
  badInput(() => toTensor("ids", { type: "int64", dims: [1], data: [1.5] }), "ids", /data\[0\] is not a valid int64/);
  badInput(() => toTensor("ids", { type: "int64", dims: [1], data: [2 ** 60] }), "ids", /not a valid int64/);
  badInput(() => toTensor("ids", { type: "uint8", dims: [1], data: [256] }), "ids", /not a valid uint8/);
  badInput(() => toTensor("big", { type: "float32", dims: [1 << 20, 1 << 20], data: [] }), "big", /more than/);
});

const sensor: InputMetadata[] = [{ name: "window", type: "float32", shape: ["N", "W"] }];
const pair: InputMetadata[] = [
  { name: "a", type: "float32", shape: ["N", 3] },
  { name: "b", type: "float32", shape: ["N", 3] },
];
const t = (type: "float32" | "int64", dims: number[]) => toTensor("t", { type, dims, data: new Array(dims.reduce((x, y) => x * y, 1)).fill(0) });

test("checkInputs accepts what the model takes", () => {
  checkInputs({ window: t("float32", [2, 8]) }, sensor);
  checkInputs({ a: t("float32", [4, 3]), b: t("float32", [4, 3]) }, pair);
});

test("checkInputs names the input that does not fit: unknown, missing, type, rank, fixed and symbolic dims", () => {
  badInput(() => checkInputs({ windows: t("float32", [1, 1]) }, sensor), "windows", /no such input; it takes window: float32 \[N, W\]/);
  badInput(() => checkInputs({ a: t("float32", [1, 3]) }, pair), "b", /missing/);
  badInput(() => checkInputs({ window: t("int64", [1, 4]) }, sensor), "window", /expects float32, got int64/);
  badInput(() => checkInputs({ window: t("float32", [8]) }, sensor), "window", /expects 2 dimensions \[N, W\], got 1 \[8\]/);
  badInput(() => checkInputs({ a: t("float32", [2, 3]), b: t("float32", [2, 4]) }, pair), "b", /dimension 1 must be 3, got 4/);
  badInput(() => checkInputs({ a: t("float32", [2, 3]), b: t("float32", [5, 3]) }, pair), "b", /dimension 0 \(N\) is 5, but N is 2 in input "a"/);
});

test("fromTensor gives plain numbers, bigints only past 2^53, booleans for bool", () => {
  assert.deepEqual(fromTensor("float32", [2], new Float32Array([0.5, 1])), { type: "float32", dims: [2], data: [0.5, 1] });
  assert.deepEqual(fromTensor("int64", [2], new BigInt64Array([1n, -2n])).data, [1, -2]);
  assert.deepEqual(fromTensor("int64", [1], new BigInt64Array([2n ** 60n])).data, [2n ** 60n]);
  assert.deepEqual(fromTensor("bool", [2], new Uint8Array([1, 0])).data, [true, false]);
});

test("every inference error code reaches a task result as itself; other error codes are task_error", () => {
  for (const code of INFERENCE_ERROR_CODES) assert.equal(kindErrorCode(new InferenceError(code, "x")), code);
  assert.equal(kindErrorCode(Object.assign(new Error("x"), { code: "ERR_INVALID_ARG_TYPE" })), "task_error");
  assert.equal(kindErrorCode(new TypeError("x")), "task_error");
  assert.equal(kindErrorCode(null), "task_error");
});
