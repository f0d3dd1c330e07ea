// The blob store on a real disk: content addressing, a re-hash on every read (a corrupt copy is
// refused, deleted and counted), manifests that survive a restart; the config section's parser;
// the re-replication plan; and a corrupt model file refused by the model store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { nodeFiles } from "../../src/adapters/node/files-node.ts";
import { buildConfig, ConfigError } from "../../src/config/agent-config.ts";
import { modelHash, ModelStore, modelsDirIn } from "../../src/inference/model-store.ts";
import { BlobError } from "../../src/storage/blob-error.ts";
import { BlobStore, blobsDirIn } from "../../src/storage/blob-store.ts";
import { Assembly, parsePutPiece, PIECE_BYTES, pieces } from "../../src/storage/blob-wire.ts";
import { planRepairs, RepairBackoff } from "../../src/storage/replication.ts";
import { parseStorageConfig } from "../../src/storage/storage-config.ts";
import { pairAddModel } from "../inference/helpers.ts";
import { Scope } from "../support/mesh-fixtures.ts";

const meta = { storedAt: 1, expiresAt: null, replicas: 2, holders: ["b", "a"] };

test("put names a blob by its sha256, get re-hashes it, manifests come back after a restart", async () => {
  const scope = new Scope();
  try {
    const dir = blobsDirIn(await scope.tempDir());
    const store = new BlobStore(nodeFiles, dir);
    await store.load("a", 0);
    const bytes = new TextEncoder().encode("hello blobs");
    const m = await store.put(bytes, meta);
    assert.equal(m.hash, await modelHash(bytes));
    assert.deepEqual(m.holders, ["a", "b"], "holders sorted and unique");
    assert.deepEqual(await readFile(`${dir}/${m.hash}`), Buffer.from(bytes));
    assert.deepEqual(await store.get(m.hash), bytes);
    await assert.rejects(store.put(bytes, meta, "0".repeat(64)), (e: unknown) => e instanceof BlobError && e.code === "blob_corrupt");
    await assert.rejects(store.get("f".repeat(64)), (e: unknown) => e instanceof BlobError && e.code === "blob_not_found");
    assert.throws(() => store.path("../etc/passwd"), TypeError);

    const again = new BlobStore(nodeFiles, dir);
    await again.load("a", 0);
    assert.deepEqual(again.manifest(m.hash), m);
    assert.equal(again.bytes(), bytes.byteLength);
    await again.remove(m.hash);
    assert.equal(again.manifest(m.hash), null);
    assert.equal(await again.has(m.hash), false);
  } finally {
    await scope.close();
  }
});

test("a corrupted blob on disk is detected by its hash, refused with blob_corrupt, deleted and counted", async () => {
  const scope = new Scope();
  try {
    const dir = blobsDirIn(await scope.tempDir());
    const store = new BlobStore(nodeFiles, dir);
    await store.load("a", 0);
    const { hash } = await store.put(new Uint8Array(100_000).fill(7), meta);
    const bytes = await readFile(`${dir}/${hash}`);
    bytes[50_000]! ^= 0x01; // one bit
    await writeFile(`${dir}/${hash}`, bytes);
    await assert.rejects(store.get(hash), (e: unknown) => e instanceof BlobError && e.code === "blob_corrupt" && e.message.includes("is corrupt"));
    assert.equal(store.corrupt, 1);
    assert.equal(store.manifest(hash), null, "the corrupt copy is gone");
    await assert.rejects(store.get(hash), (e: unknown) => e instanceof BlobError && e.code === "blob_not_found");
  } finally {
    await scope.close();
  }
});

test("a corrupted model file is refused by the model store with model_corrupt", async () => {
  const scope = new Scope();
  try {
    const models = new ModelStore(nodeFiles, modelsDirIn(await scope.tempDir()));
    const hash = await models.add(pairAddModel());
    const bytes = await readFile(models.path(hash));
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(models.path(hash), bytes);
    await assert.rejects(models.get(hash), (e: unknown) => (e as { code?: string }).code === "model_corrupt");
    assert.equal(await models.add(pairAddModel()), hash, "adding the intact model again replaces the damaged copy");
    assert.ok(await models.has(hash));
  } finally {
    await scope.close();
  }
});

test("pieces reassemble in any order; malformed put pieces are refused", () => {
  const bytes = new Uint8Array(PIECE_BYTES * 2 + 5).map((_, i) => i % 251);
  const parts = pieces(bytes);
  assert.equal(parts.length, 3);
  const a = new Assembly(bytes.byteLength);
  assert.equal(a.add(parts[2]!.offset, parts[2]!.data), null);
  assert.equal(a.add(parts[0]!.offset, parts[0]!.data), null);
  assert.equal(a.add(parts[0]!.offset, parts[0]!.data), null, "a duplicate piece counts once");
  assert.deepEqual(a.add(parts[1]!.offset, parts[1]!.data), bytes);
  assert.deepEqual(new Assembly(0).add(0, new Uint8Array(0)), new Uint8Array(0));
  const good = { rid: "r1", hash: "a".repeat(64), size: 10, offset: 5, data: new Uint8Array(5), replicas: 2, expiresAt: null, holders: ["x"] };
  assert.ok(parsePutPiece(good));
  assert.equal(parsePutPiece({ ...good, offset: 6 }), null, "piece past the end");
  assert.equal(parsePutPiece({ ...good, hash: "nope" }), null);
  assert.equal(parsePutPiece({ ...good, replicas: 0 }), null);
  assert.equal(parsePutPiece({ ...good, holders: [1] }), null);
});

test("re-replication plan: only the lowest surviving holder acts, and only up to the replicas wanted", () => {
  const m = (hash: string, holders: string[], replicas = 2) => ({ hash, size: 1, storedAt: 0, expiresAt: null, replicas, holders });
  const gone = new Set(["b"]);
  const isLost = (id: string) => gone.has(id);
  // What agent a holds: 1 lost its other holder, 3 is fine, 4 was stored when too few peers were live.
  const onA = [m("1", ["a", "b"]), m("3", ["a", "c"]), m("4", ["a"], 3), m("6", ["a", "b", "c"])];
  assert.deepEqual(planRepairs(onA, "a", isLost, ["c", "d", "e"]), [
    { hash: "1", lost: ["b"], survivors: ["a"], missing: 1, targets: ["c", "d", "e"] }, // one copy missing; d, e if c refuses
    { hash: "4", lost: [], survivors: ["a"], missing: 2, targets: ["c", "d", "e"] },
    { hash: "6", lost: ["b"], survivors: ["a", "c"], missing: 0, targets: [] }, // enough copies left: only the holders list changes
  ]);
  assert.deepEqual(planRepairs([m("2", ["b", "c"])], "c", isLost, ["a", "d"]), [{ hash: "2", lost: ["b"], survivors: ["c"], missing: 1, targets: ["a", "d"] }]);
  const backedOff = (hash: string, peer: string) => hash === "1" && peer === "c";
  assert.deepEqual(planRepairs([onA[0]!], "a", isLost, ["c", "d"], new Set(), backedOff), [{ hash: "1", lost: ["b"], survivors: ["a"], missing: 1, targets: ["d"] }], "a peer backed off for a blob is passed over");
  assert.deepEqual(planRepairs([m("5", ["a", "b", "c"], 3)], "c", isLost, ["d"]), [], "c is not the lowest survivor of 5: a acts");
  assert.deepEqual(planRepairs(onA, "a", isLost, ["c", "d"], new Set(["1", "4", "6"])), [], "busy blobs are skipped");
});

test("repair backoff per (blob, peer): doubling waits, capped, forgotten on success", () => {
  const b = new RepairBackoff(100, 1_000);
  assert.equal(b.blocked("h", "p", 0), false);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.failed("h", "p", 0)), [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(b.blocked("h", "p", 999), true);
  assert.equal(b.blocked("h", "p", 1_000), false);
  assert.equal(b.blocked("h", "q", 0), false, "other peers are not affected");
  assert.equal(b.blocked("g", "p", 0), false, "other blobs are not affected");
  b.succeeded("h", "p");
  assert.equal(b.failed("h", "p", 0), 100, "a success starts over");
  b.retain(new Set(["g"]));
  assert.equal(b.blocked("h", "p", 0), false, "blobs no longer held are forgotten");
});

test("the storage config section: defaults, values, and refusals naming the field", () => {
  assert.deepEqual(buildConfig("/d").storage, { replicas: 2, retentionHours: null, maxBlobMb: 64, maxTotalMb: 1024, sweepSeconds: 60 });
  assert.deepEqual(buildConfig("/d", { storage: { replicas: 3, retentionHours: 0.5 } }).storage, { replicas: 3, retentionHours: 0.5, maxBlobMb: 64, maxTotalMb: 1024, sweepSeconds: 60 });
  assert.equal(buildConfig("/d", { storage: { maxBlobMb: 8, maxTotalMb: 10 } }).storage.maxTotalMb, 10);
  assert.equal(buildConfig("/d", { storage: { maxBlobMb: 2048 } }).storage.maxTotalMb, 2048, "the default quota grows to one largest blob");
  const refused = (value: unknown, field: string) => assert.throws(() => parseStorageConfig(value), (e: unknown) => e instanceof ConfigError && e.field === field);
  refused({ replicas: 0 }, "storage.replicas");
  refused({ replicas: 2.5 }, "storage.replicas");
  refused({ retentionHours: -1 }, "storage.retentionHours");
  refused({ maxBlobMb: "big" }, "storage.maxBlobMb");
  refused({ maxTotalMb: 0 }, "storage.maxTotalMb");
  refused({ maxTotalMb: 1.5 }, "storage.maxTotalMb");
  refused({ maxBlobMb: 64, maxTotalMb: 32 }, "storage.maxTotalMb");
  refused({ copies: 2 }, "storage.copies");
  refused([2], "storage");
});
