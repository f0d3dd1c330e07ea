// The vector index on its own: upsert, delete, top-k cosine with deterministic ties, argument
// checks naming the field, and a property: top-k equals a full sort of every cosine. Node and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareHits, unitVector, VECTOR_LIMITS, VectorIndex } from "../../../src/vectors/vector-index.ts";

test("query returns the top k by cosine, best first, with meta; ties break by id", () => {
  const index = new VectorIndex();
  assert.deepEqual(index.add([
    { id: "east", vector: [1, 0], meta: { name: "e" } },
    { id: "north", vector: [0, 3] },
    { id: "north-east", vector: [2, 2] },
    { id: "west", vector: [-5, 0] },
    { id: "east-2", vector: [7, 0] },
  ]), { added: 5, updated: 0 });
  assert.equal(index.dim, 2);
  const hits = index.query([10, 0], 3);
  assert.deepEqual(hits.map((h) => h.id), ["east", "east-2", "north-east"], "equal scores come out by id");
  assert.deepEqual(hits[0]!.meta, { name: "e" });
  assert.ok(Math.abs(hits[0]!.score - 1) < 1e-6);
  assert.ok(Math.abs(hits[2]!.score - Math.SQRT1_2) < 1e-6);
  assert.equal(index.query([-1, 0], 1)[0]!.id, "west");
  assert.equal(index.query([1, 1], 100).length, 5, "k beyond the size gives everything");
});

test("add replaces an id in place; delete swap-removes and an emptied index forgets its width", () => {
  const index = new VectorIndex();
  index.add([{ id: "a", vector: [1, 0, 0] }, { id: "b", vector: [0, 1, 0] }, { id: "c", vector: [0, 0, 1] }]);
  assert.deepEqual(index.add([{ id: "a", vector: [0, 0, 1], meta: { v: 2 } }]), { added: 0, updated: 1 });
  assert.equal(index.size, 3);
  assert.deepEqual(index.query([0, 0, 1], 2).map((h) => h.id), ["a", "c"]);
  assert.equal(index.delete(["a", "zzz"]), 1);
  assert.deepEqual([...index.entries()].map((e) => e.id).sort(), ["b", "c"]);
  assert.equal(index.query([0, 0, 1], 1)[0]!.id, "c", "the moved item kept its vector");
  assert.equal(index.delete(["b", "c"]), 2);
  assert.equal(index.dim, null);
  index.add([{ id: "x", vector: [1, 2, 3, 4] }]);
  assert.equal(index.dim, 4);
});

test("bad arguments are TypeError/RangeError naming the field; a bad batch stores nothing", () => {
  const index = new VectorIndex();
  index.add([{ id: "a", vector: [1, 0] }]);
  const cases: [() => unknown, RegExp, typeof TypeError | typeof RangeError][] = [
    [() => index.add([{ id: "b", vector: [1, 2, 3] }]), /"items\[0\]\.vector" has 3 dimensions, the index holds 2/, RangeError],
    [() => index.add([{ id: "b", vector: [1, NaN] }]), /"items\[0\]\.vector\[1\]" expected a finite number, got NaN/, TypeError],
    [() => index.add([{ id: "b", vector: [] }]), /"items\[0\]\.vector" is empty/, RangeError],
    [() => index.add([{ id: "b", vector: [0, 0] }]), /"items\[0\]\.vector" has norm 0/, RangeError],
    [() => index.add([{ id: "", vector: [1, 0] }]), /"items\[0\]\.id" expected 1 to 256 characters, got 0/, RangeError],
    [() => index.add([{ id: 7 as unknown as string, vector: [1, 0] }]), /"items\[0\]\.id" expected a string, got number/, TypeError],
    [() => index.add([{ id: "b", vector: "12" as unknown as number[] }]), /"items\[0\]\.vector" expected an array of numbers, got string/, TypeError],
    [() => index.add([{ id: "ok", vector: [0, 1] }, { id: "b", vector: [1, 0], meta: { f: () => 1 } as never }]), /"items\[1\]\.meta\.f" is not JSON data/, TypeError],
    [() => index.add([{ id: "b", vector: [1, 0], meta: { big: "x".repeat(VECTOR_LIMITS.metaChars) } }]), /"items\[0\]\.meta" is \d+ characters as JSON/, RangeError],
    [() => index.query([1, 0], 0), /"k" expected an integer from 1 to 100, got 0/, RangeError],
    [() => index.query([1, 0, 0], 1), /"vector" has 3 dimensions, the index holds 2/, RangeError],
    [() => index.delete([""]), /"ids\[0\]" expected 1 to 256/, RangeError],
  ];
  for (const [fn, message, type] of cases) assert.throws(fn, (e: unknown) => e instanceof type && message.test((e as Error).message), String(message));
  assert.equal(index.size, 1, "nothing of a refused batch was stored (not even its good first item)");
  assert.deepEqual(new VectorIndex().query([1, 2, 3], 5), [], "an empty index answers any width with nothing");
});

test("vectors are stored unit length, so cosine is independent of scale", () => {
  const v = unitVector([3, 4]);
  assert.deepEqual([...v].map((x) => Math.round(x * 1e6) / 1e6), [0.6, 0.8]);
  const index = new VectorIndex();
  index.add([{ id: "small", vector: [0.001, 0.002] }, { id: "big", vector: [1000, 2000.5] }]);
  const [a, b] = index.query([1, 2], 2);
  assert.ok(Math.abs(a!.score - 1) < 1e-6 && Math.abs(b!.score - 1) < 1e-4);
});

// The reference: every item's score computed exactly as the index does (float32 unit vectors, a
// float64 sum in index order), then a full sort. The index's k-selection must agree exactly.
function reference(items: { id: string; vector: number[] }[], q: number[], k: number) {
  const uq = unitVector(q);
  const last = new Map<string, Float32Array>();
  for (const it of items) last.set(it.id, unitVector(it.vector));
  const scored = [...last].map(([id, v]) => {
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += v[j]! * uq[j]!;
    return { id, score: dot };
  });
  return scored.sort(compareHits).slice(0, k);
}

test("property: top-k equals the first k of a full sort of every cosine (ties by id)", () => {
  const dim = 4;
  // Small integer components make exact ties (and duplicates) common, which is what the tie-break needs.
  const component = fc.integer({ min: -3, max: 3 });
  const vec = fc.array(component, { minLength: dim, maxLength: dim }).filter((v) => v.some((x) => x !== 0));
  const item = fc.record({ id: fc.stringMatching(/^[a-f]{1,3}$/), vector: vec });
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 60 }), vec, fc.integer({ min: 1, max: 20 }), fc.array(fc.stringMatching(/^[a-f]{1,2}$/), { maxLength: 10 }), (items, q, k, gone) => {
      const index = new VectorIndex();
      index.add(items);
      index.delete(gone);
      const kept = items.filter((it) => !gone.includes(it.id));
      const got = index.query(q, k);
      const want = kept.length === 0 ? [] : reference(kept, q, k);
      assert.deepEqual(got.map((h) => [h.id, h.score]), want.map((h) => [h.id, h.score]));
    }),
    { numRuns: 300 },
  );
});

test("10,000 × 32 brute-force query time is measured", (t) => {
  const n = 10_000;
  const dim = 32;
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const index = new VectorIndex();
  const items = Array.from({ length: n }, (_, i) => ({ id: `item-${i}`, vector: Array.from({ length: dim }, rand) }));
  let t0 = performance.now();
  index.add(items);
  const addMs = performance.now() - t0;
  const q = Array.from({ length: dim }, rand);
  for (let i = 0; i < 20; i++) index.query(q, 10); // warm up
  const runs = 200;
  t0 = performance.now();
  for (let i = 0; i < runs; i++) index.query(q, 10);
  const perQuery = (performance.now() - t0) / runs;
  t.diagnostic(`add 10,000 x 32: ${addMs.toFixed(1)} ms; query k=10: ${perQuery.toFixed(3)} ms`);
  assert.deepEqual(index.query(q, 10), reference(items, q, 10));
  assert.ok(perQuery < 50, `a query took ${perQuery} ms`);
});
