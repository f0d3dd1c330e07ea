// Quorum comparison: exact for everything but floats, floats within |a−b| ≤ 1e-6 + 1e-4·max(|a|,|b|)
// (numbers, Float32Array, Float64Array, nested), and the majority rule (> k/2 agreeing).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ABS_TOLERANCE, majority, outputsAgree, REL_TOLERANCE } from "../../../src/tasks/quorum.ts";

test("quorum: the documented tolerances", () => {
  assert.equal(REL_TOLERANCE, 1e-4);
  assert.equal(ABS_TOLERANCE, 1e-6);
});

test("quorum: exact comparison for integers, strings, booleans, null, bytes, lists and maps", () => {
  assert.equal(outputsAgree(3, 3), true);
  assert.equal(outputsAgree(3, 4), false);
  assert.equal(outputsAgree(1_000_000, 1_000_001), false, "integers never get a tolerance");
  assert.equal(outputsAgree("abc", "abc"), true);
  assert.equal(outputsAgree("abc", "abd"), false);
  assert.equal(outputsAgree(true, true), true);
  assert.equal(outputsAgree(true, 1), false);
  assert.equal(outputsAgree(null, null), true);
  assert.equal(outputsAgree(null, undefined), false);
  assert.equal(outputsAgree(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(outputsAgree(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(outputsAgree(new Uint8Array([1, 2]), [1, 2]), false);
  assert.equal(outputsAgree([1, "a", [2]], [1, "a", [2]]), true);
  assert.equal(outputsAgree([1, 2], [1, 2, 3]), false);
  assert.equal(outputsAgree({ a: 1, b: [2] }, { b: [2], a: 1 }), true, "key order does not matter");
  assert.equal(outputsAgree({ a: 1 }, { a: 1, b: 2 }), false);
  assert.equal(outputsAgree({ a: 1 }, { b: 1 }), false);
  assert.equal(outputsAgree({ wrong: true, was: "string" }, "e3b0c442"), false);
});

test("quorum: floats agree within the tolerance and not beyond", () => {
  assert.equal(outputsAgree(0.1 + 0.2, 0.3), true);
  assert.equal(outputsAgree(1.0, 1.00009), true, "relative 9e-5");
  assert.equal(outputsAgree(1.0, 1.0002), false, "relative 2e-4");
  assert.equal(outputsAgree(1000.5, 1000.55), true);
  assert.equal(outputsAgree(1000.5, 1000.7), false);
  assert.equal(outputsAgree(1e-9, 5e-7), true, "the absolute part covers values near zero");
  assert.equal(outputsAgree(1e-9, 3e-6), false);
  assert.equal(outputsAgree(-2.5, -2.50001), true);
  assert.equal(outputsAgree(-2.5, 2.5), false);
  assert.equal(outputsAgree(NaN, NaN), true);
  assert.equal(outputsAgree(NaN, 1.5), false);
  assert.equal(outputsAgree({ score: 0.71234, label: "cat" }, { label: "cat", score: 0.71235 }), true, "nested floats");
  assert.equal(outputsAgree({ score: 0.7, label: "cat" }, { label: "dog", score: 0.7 }), false);
});

test("quorum: Float32Array and Float64Array compare element-wise within the tolerance", () => {
  const a = new Float32Array([0.1, 0.2, 0.3, 1234.5]);
  const b = new Float32Array([0.10000001, 0.20000002, 0.3, 1234.56]);
  assert.equal(outputsAgree(a, b), true);
  assert.equal(outputsAgree(a, new Float32Array([0.1, 0.2, 0.3, 1236])), false);
  assert.equal(outputsAgree(a, new Float32Array([0.1, 0.2, 0.3])), false, "lengths differ");
  assert.equal(outputsAgree(a, new Float64Array([0.1, 0.2, 0.3, 1234.5])), true, "a CPU float32 and a float64 of the same values");
  assert.equal(outputsAgree([new Float32Array([1.5, 2.5])], [new Float32Array([1.50001, 2.5])]), true, "inside a list");
  assert.equal(outputsAgree(new Float32Array([1, 2]), new Uint8Array([1, 2])), false, "a float tensor is not bytes");
});

test("quorum: majority needs more than k/2 agreeing outputs", () => {
  const votes = (entries: Array<[string, unknown]>) => new Map(entries);
  const v = majority(votes([["a", "x"], ["b", "x"], ["liar", "y"]]), 3)!;
  assert.equal(v.output, "x");
  assert.deepEqual(v.majority, ["a", "b"]);
  assert.deepEqual(v.minority, ["liar"]);
  assert.deepEqual(majority(votes([["a", "x"], ["b", "x"]]), 3), { output: "x", majority: ["a", "b"], minority: [] }, "two of three suffice before the third answers");
  assert.equal(majority(votes([["a", "x"], ["b", "y"]]), 3), null, "no group of two yet");
  assert.equal(majority(votes([["a", "x"], ["b", "y"], ["c", "z"]]), 3), null, "three different answers: no majority");
  assert.equal(majority(votes([["a", "x"], ["b", "x"]]), 4), null, "2 of 4 is not more than half");
  assert.equal(majority(votes([]), 1), null);
  assert.deepEqual(majority(votes([["a", 1]]), 1)?.majority, ["a"]);
  const floats = majority(votes([["a", 0.5], ["b", 0.50001], ["c", 0.9]]), 3)!;
  assert.deepEqual(floats.majority, ["a", "b"], "floats within tolerance form one group");
  assert.deepEqual(floats.minority, ["c"]);
  const five = majority(votes([["a", 1], ["b", 2], ["c", 1], ["d", 3], ["e", 1]]), 5)!;
  assert.deepEqual(five.majority, ["a", "c", "e"]);
  assert.deepEqual(five.minority.sort(), ["b", "d"]);
});
