// The vector index on disk, through the runtime's own `Files` (Node's adapter under Node, Deno's
// under Deno): batched atomic snapshots, a restart reloads the same answers, and a damaged or
// foreign file is moved aside with a warning instead of stopping the agent. Node and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { selectRuntime } from "../../../src/adapters/select-runtime.ts";
import { createLogger } from "../../../src/log/logger.ts";
import type { Files } from "../../../src/runtime/runtime.ts";
import { encodeCbor } from "../../../src/wire/cbor.ts";
import { crc32 } from "../../../src/vectors/crc32.ts";
import { decodeSnapshot, encodeSnapshot, IndexStore, SNAPSHOT_FORMAT } from "../../../src/vectors/index-store.ts";
import { VectorIndex, type VectorItem } from "../../../src/vectors/vector-index.ts";
import { FakeTime } from "../../support/fake-time.ts";
import { withTempDir } from "../../runtime/helpers.ts";

const runtime = await selectRuntime();

/** The runtime's files, counting atomic writes. */
function countingFiles(): Files & { writes: number } {
  const f = runtime.files;
  const counted = {
    writes: 0,
    readFile: (p: string) => f.readFile(p),
    writeFileAtomic: (p: string, d: Uint8Array, m: number) => {
      counted.writes++;
      return f.writeFileAtomic(p, d, m);
    },
    mkdirp: (p: string, m: number) => f.mkdirp(p, m),
    mode: (p: string) => f.mode(p),
    remove: (p: string) => f.remove(p),
    list: (p: string) => f.list(p),
  };
  return counted;
}

function storeIn(dataDir: string, files: Files, time: FakeTime, lines: string[] = []) {
  const log = createLogger({ json: true, write: (l) => lines.push(l), now: () => time.now() });
  return new IndexStore({ files, timers: time, clock: time, log, dataDir, debounceMs: 500 });
}

const items: VectorItem[] = [
  { id: "alpha", vector: [1, 2, 3], meta: { title: "first", tags: ["a", "b"], n: 1.5 } },
  { id: "beta", vector: [-1, 0.5, 2] },
  { id: "gamma", vector: [0, 0, 1], meta: { nested: { ok: true, none: null } } },
];

test("changes are saved in one batch after the debounce; a restart reloads the same answers", async () => {
  await withTempDir(async (dataDir) => {
    const time = new FakeTime();
    const files = countingFiles();
    const store = storeIn(dataDir, files, time);
    const index = await store.load();
    assert.equal(index.size, 0, "no snapshot yet: an empty index");
    for (const item of items) {
      index.add([item]);
      store.changed();
    }
    await time.advance(499);
    assert.equal(files.writes, 0, "nothing written before the debounce");
    await time.advance(1);
    assert.equal(files.writes, 1, "three changes, one write");
    index.delete(["beta"]);
    store.changed();
    await store.close();
    assert.equal(files.writes, 2, "close saves what is pending");
    assert.equal(time.pending, 0, "no timer left behind");
    await store.close();
    assert.equal(files.writes, 2, "nothing new: no write");
    assert.deepEqual(await readdir(`${dataDir}/vectors`), ["index.cbor"]);

    const again = await storeIn(dataDir, files, new FakeTime()).load();
    assert.equal(again.size, 2);
    assert.equal(again.dim, 3);
    const before = index.query([1, 1, 1], 5);
    const after = again.query([1, 1, 1], 5);
    assert.deepEqual(after.map((h) => [h.id, h.meta]), before.map((h) => [h.id, h.meta]));
    after.forEach((h, i) => assert.ok(Math.abs(h.score - before[i]!.score) < 1e-6));
  });
});

test("crc32 gives the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test("snapshots round-trip exactly, including an empty index", () => {
  const index = new VectorIndex();
  index.add(items);
  const back = decodeSnapshot(encodeSnapshot(index));
  assert.deepEqual([...back.entries()].map((e) => [e.id, [...e.vector], e.meta]), [...index.entries()].map((e) => [e.id, [...e.vector], e.meta]));
  assert.equal(decodeSnapshot(encodeSnapshot(new VectorIndex())).size, 0);
});

test("a damaged, truncated or foreign snapshot is moved aside with a warning; the agent starts empty", async () => {
  const good = (() => {
    const index = new VectorIndex();
    index.add(items);
    return encodeSnapshot(index);
  })();
  const flipped = good.slice();
  flipped[good.length - 20]! ^= 0x40;
  const cases: [string, Uint8Array, RegExp][] = [
    ["bit flip", flipped, /does not match its crc32/],
    ["truncated", good.subarray(0, good.length - 7), /./],
    ["foreign", new TextEncoder().encode('{"not":"cbor"}'), /./],
    ["other format", encodeCbor({ format: "p2p-vectors/9", body: new Uint8Array(1) }), /not a p2p-vectors\/1 snapshot/],
    ["sizes disagree", rewrap({ dim: 3, ids: ["a", "b"], vectors: new Uint8Array(12), meta: [null, null] }), /sizes disagree/],
    ["zero vector", rewrap({ dim: 2, ids: ["a"], vectors: new Uint8Array(8), meta: [null] }), /norm 0/],
  ];
  for (const [name, bytes, reason] of cases) {
    await withTempDir(async (dataDir) => {
      const time = new FakeTime();
      await runtime.files.mkdirp(`${dataDir}/vectors`, 0o700);
      await writeFile(`${dataDir}/vectors/index.cbor`, bytes);
      const lines: string[] = [];
      const index = await storeIn(dataDir, runtime.files, time, lines).load();
      assert.equal(index.size, 0, name);
      const warn = lines.map((l) => JSON.parse(l)).find((l) => l.event === "vectors.corrupt");
      assert.ok(warn, `${name}: a vectors.corrupt line`);
      assert.equal(warn.level, "warn");
      assert.match(warn.reason, reason, name);
      assert.equal(warn.movedTo, `${dataDir}/vectors/index.cbor.corrupt-${time.now()}`);
      assert.deepEqual(await readdir(`${dataDir}/vectors`), [`index.cbor.corrupt-${time.now()}`], `${name}: only the moved file is left`);
      assert.deepEqual(new Uint8Array(await readFile(warn.movedTo)), new Uint8Array(bytes), `${name}: kept byte for byte`);
    });
  }
});

/** A snapshot with a correct checksum around `body`, so only the body's own checks can refuse it. */
function rewrap(body: unknown): Uint8Array {
  const inner = encodeCbor(body);
  return encodeCbor({ format: SNAPSHOT_FORMAT, crc32: crc32(inner), body: inner });
}
