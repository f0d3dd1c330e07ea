// Splitting: parts sized in proportion to the weights, consecutive and in order, merged back in order.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { proportional, SPLITTERS } from "../../../src/tasks/splitting.ts";

test("splitting: proportional sizes", () => {
  const items = Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(proportional(items, [1, 1, 2]).map((p) => p.length), [25, 25, 50]);
  assert.deepEqual(proportional(items, [3, 1]).map((p) => p.length), [75, 25]);
  assert.deepEqual(proportional([1, 2, 3], [1, 1, 1, 1, 1]).map((p) => p.length), [1, 1, 1], "empty parts are dropped");
  assert.deepEqual(proportional([1, 2, 3], [0, 1]), [[1, 2, 3]], "a zero weight gets nothing");
  assert.deepEqual(proportional([], [1, 2]), []);
  assert.throws(() => proportional([1], []), RangeError);
  assert.throws(() => proportional([1], [0, -1]), /weights must include a positive value/);
});

test("splitting: parts are consecutive, keep every item once, in order, and track the weights (property)", () => {
  fc.assert(
    fc.property(fc.array(fc.integer(), { maxLength: 300 }), fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 }), (items, weights) => {
      const parts = proportional(items, weights);
      assert.deepEqual(parts.flat(), items);
      const total = weights.reduce((a, b) => a + b, 0);
      // Each cut lies within one item of its exact proportional position.
      let acc = 0;
      let start = 0;
      const cuts = weights.map((w) => Math.round(((acc += w) / total) * items.length));
      for (const p of parts) {
        start += p.length;
        assert.ok(cuts.includes(start), `cut at ${start} is one of ${cuts.join(",")}`);
      }
    }),
  );
});

test("splitting: sum and echo split and merge back to the unsplit result, in order", () => {
  const input = Array.from({ length: 10_000 }, (_, i) => i + 1);
  const parts = SPLITTERS.sum!.split(input, [2, 1, 1]) as number[][];
  assert.equal(parts.length, 3);
  assert.deepEqual(parts.map((p) => p.length), [5000, 2500, 2500]);
  const sums = parts.map((p) => p.reduce((a, b) => a + b, 0));
  assert.equal(SPLITTERS.sum!.merge(sums), 50_005_000);
  const letters = ["a", "b", "c", "d", "e", "f", "g"];
  const echoParts = SPLITTERS.echo!.split(letters, [1, 1, 1]);
  assert.deepEqual(SPLITTERS.echo!.merge(echoParts), letters);
  assert.throws(() => SPLITTERS.sum!.split("not a list", [1]), /sum input must be a list to be split/);
});
