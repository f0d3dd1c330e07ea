// What a storage peer accepts from others, on real in-process agents (aedes on 127.0.0.1 port 0):
// pushes only from live storage peers, a bounded number of transfers, the disk quota, manifests a
// push cannot shorten, repairs that pass over a refusing peer, stop()/start(), and a fetch task
// refused at once when the blob cannot travel in a task envelope.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BlobError } from "../../src/storage/blob-error.ts";
import { PutIntake } from "../../src/storage/put-intake.ts";
import type { StoreResult } from "../../src/storage/storage-service.ts";
import { Scope } from "../support/mesh-fixtures.ts";
import { waitFor } from "../support/wait.ts";
import { runTask, storageMesh, storageOf, type MeshAgent } from "./storage-fixtures.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const KiB = 1024;
const blobOf = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 31 + seed) % 251);
type Transfers = { open: number; reservedBytes: number; stalled: number; refused: Record<string, number> };
const transfers = (a: Parameters<typeof storageOf>[0]) => (storageOf(a).status() as { transfers: Transfers }).transfers;
const code = (error: unknown) => (error as { code?: string }).code;

test("transfers in progress are bounded: per sender, in bytes claimed, and dropped when stalled", () => {
  const intake = new PutIntake({ maxBlobBytes: 1_000, perSender: 2, budgetBytes: 1_500, stallMs: 30_000 });
  const piece = (rid: string, size: number, offset = 0, data = new Uint8Array(1)) => ({ rid, hash: "0".repeat(64), size, offset, data, replicas: 1, expiresAt: null, holders: [] });
  const fits = () => true;
  assert.deepEqual(intake.offer("a", piece("1", 2_000), 0, fits), { refused: "blob_too_large", error: "blob is 2000 bytes, limit 1000 (storage.maxBlobMb)" });
  assert.equal(intake.offer("a", piece("1", 600), 0, fits), null, "opens");
  assert.equal(intake.offer("a", piece("2", 600), 0, fits), null, "opens");
  assert.equal((intake.offer("a", piece("3", 10), 0, fits) as { refused: string }).refused, "too_many_puts");
  assert.equal((intake.offer("b", piece("1", 600), 0, fits) as { refused: string }).refused, "storage_busy", "1200 + 600 claimed would pass the 1500 budget");
  assert.equal((intake.offer("b", piece("2", 10), 0, () => false) as { refused: string }).refused, "storage_full");
  assert.deepEqual([intake.size, intake.reserved()], [2, 1_200]);
  // a piece keeps a transfer alive; one without a piece for 30 s is dropped
  assert.equal(intake.offer("a", piece("1", 600, 1), 20_000, fits), null);
  assert.equal(intake.offer("b", piece("9", 300), 40_000, fits), null, "a's transfer 2 stalled and was dropped, so this fits");
  assert.deepEqual([intake.size, intake.stalled], [2, 1]);
  assert.equal(intake.prune(80_000), 2);
  assert.deepEqual(intake.refusedBy, { not_storage_peer: 0, blob_too_large: 1, too_many_puts: 1, storage_busy: 1, storage_full: 1 });
  const whole = intake.offer("c", piece("1", 3, 0, new Uint8Array([1, 2, 3])), 0, fits);
  assert.deepEqual(whole, { whole: new Uint8Array([1, 2, 3]) });
  assert.equal(intake.size, 0, "a complete transfer is closed");
});

test("pushes: only from live storage peers, at most 4 open per sender, within the disk quota (storage_full)", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const [s0, s1, p] = await storageMesh(scope, [
      { name: "s0", roles: ["storage"], config: { storage: { maxBlobMb: 1, maxTotalMb: 1 } } },
      { name: "s1", roles: ["storage"] },
      { name: "p", roles: ["coordinator"] },
    ]);
    const s0id = s0!.agent.identity.id;
    const put = (from: typeof p, rid: string, size: number) =>
      from!.agent.node.send(s0id, "blob.put", { rid, hash: "0".repeat(64), size, offset: 0, data: new Uint8Array(KiB), replicas: 1, expiresAt: null, holders: [] }, { private: true });

    // A member without the storage role: refused, nothing allocated.
    await put(p, "p1", 1024 * KiB);
    await waitFor(() => transfers(s0!.agent).refused.not_storage_peer === 1, 5_000, "the push from a non-storage member refused");
    assert.equal(transfers(s0!.agent).open, 0);

    // The disk quota (1 MiB): a store here, then a push and a store that would pass it.
    const first = (await storageOf(s0!.agent).kinds.store!(blobOf(600 * KiB, 1), { replicas: 1 })) as StoreResult;
    assert.equal(first.hash, sha256(blobOf(600 * KiB, 1)));
    const pushed = blobOf(500 * KiB, 2);
    await assert.rejects(storageOf(s1!.agent).client.push(s0id, sha256(pushed), pushed, { replicas: 1, expiresAt: null, holders: [] }), (e: unknown) => code(e) === "storage_full");
    await assert.rejects(storageOf(s0!.agent).kinds.store!(pushed, { replicas: 1 }) as Promise<unknown>, (e: unknown) => e instanceof BlobError && e.code === "storage_full" && /maxTotalMb/.test(e.message));
    assert.ok(transfers(s0!.agent).refused.storage_full! >= 1, "counted (per piece refused)");
    assert.equal(storageOf(s0!.agent).store.manifest(sha256(pushed)), null);

    // Four transfers from s1 left open (one piece each); a fifth is refused.
    for (let i = 0; i < 4; i++) await put(s1, `open${i}`, 50 * KiB);
    await waitFor(() => transfers(s0!.agent).open === 4, 5_000, "four transfers open");
    const small = blobOf(2 * KiB, 3);
    await assert.rejects(storageOf(s1!.agent).client.push(s0id, sha256(small), small, { replicas: 1, expiresAt: null, holders: [] }), (e: unknown) => code(e) === "blob_refused" && /too_many_puts/.test((e as Error).message));
    assert.deepEqual([transfers(s0!.agent).open, transfers(s0!.agent).reservedBytes, transfers(s0!.agent).refused.too_many_puts], [4, 200 * KiB, 1]);
  } finally {
    await scope.close();
  }
});

test("a push of a blob held already merges holders and never shortens its retention", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const [s0, s1] = await storageMesh(scope, [
      { name: "s0", roles: ["storage"] },
      { name: "s1", roles: ["storage"] },
    ]);
    const bytes = blobOf(10 * KiB, 4);
    const hash = sha256(bytes);
    const ids = [s0!.agent.identity.id, s1!.agent.identity.id];
    await storageOf(s0!.agent).kinds.store!(bytes, { replicas: 1 });
    const s1client = storageOf(s1!.agent).client;
    await s1client.push(ids[0]!, hash, bytes, { replicas: 1, expiresAt: 1, holders: [ids[1]!] });
    const after = storageOf(s0!.agent).store.manifest(hash)!;
    assert.equal(after.expiresAt, null, "kept forever still");
    assert.deepEqual(after.holders, [...ids].sort(), "the pusher is a holder now");
    assert.equal(await storageOf(s0!.agent).sweep(), 0);
    assert.ok(storageOf(s0!.agent).store.manifest(hash), "not deleted by the sweep");
    // a higher replicas is taken; a lower one is not
    await s1client.push(ids[0]!, hash, bytes, { replicas: 3, expiresAt: null, holders: [] });
    await s1client.push(ids[0]!, hash, bytes, { replicas: 1, expiresAt: null, holders: [] });
    assert.equal(storageOf(s0!.agent).store.manifest(hash)!.replicas, 3);
  } finally {
    await scope.close();
  }
});

test("re-replication passes over a peer that refuses the copy, and stops sending it pieces", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    // The candidate tried first (the member with the lower ID) takes blobs up to 2 MiB only: it refuses.
    const agents = await storageMesh(
      scope,
      [
        { name: "s0", roles: ["storage"] },
        { name: "refuser", roles: ["storage"], config: { storage: { maxBlobMb: 2 } } },
        { name: "taker", roles: ["storage"] },
      ],
      { membersById: true },
    );
    const [s0, refuser, taker] = agents as [MeshAgent, MeshAgent, MeshAgent];
    assert.ok(refuser.agent.identity.id < taker.agent.identity.id);
    // A 3 MiB blob (12 pieces) held only by s0 that wants two copies: the repair sweep copies it.
    const bytes = blobOf(3 * 1024 * KiB, 6);
    const hash = sha256(bytes);
    await storageOf(s0.agent).store.put(bytes, { storedAt: 0, expiresAt: null, replicas: 2, holders: [s0.agent.identity.id] });
    await waitFor(() => storageOf(taker.agent).store.manifest(hash) !== null, 15_000, "the second candidate got the copy");
    await waitFor(() => storageOf(s0.agent).store.manifest(hash)!.holders.length === 2, 5_000, "s0 knows both holders");
    assert.equal(storageOf(refuser.agent).store.manifest(hash), null);
    const refused = transfers(refuser.agent).refused.blob_too_large ?? 0;
    assert.ok(refused >= 1, "the first candidate refused");
    assert.ok(refused <= 8, `pieces stop once the copy is refused (${refused} of 12 reached it)`);
    assert.equal(storageOf(s0.agent).counters.rereplicated, 1);
  } finally {
    await scope.close();
  }
});

test("stop() ends pushes and pulls in flight at once; start() afterwards works again", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const [s0, s1, s2] = await storageMesh(scope, [
      { name: "s0", roles: ["storage"] },
      { name: "s1", roles: ["storage"], relay: true },
      { name: "s2", roles: ["storage"] },
    ]);
    const service = storageOf(s0!.agent);
    s1!.relay!.freeze();
    const pending = service.client.pull(s1!.agent.identity.id, "1".repeat(64));
    const settled = pending.then(
      () => "resolved",
      (e: Error) => e.message,
    );
    await waitFor(() => service.client.pending === 1, 5_000, "the pull waits for the frozen peer");
    const client = service.client;
    const t0 = Date.now();
    await service.stop();
    assert.match(await settled, /closed/);
    assert.ok(Date.now() - t0 < 2_000, "rejected at once, not after its 60 s timer");
    assert.equal(client.pending, 0, "no wait (and no timer) left");
    assert.throws(() => service.client, /not started/);
    await service.start();
    await waitFor(() => s0!.agent.node.peers.get(s1!.agent.identity.id)?.health === "gone", 15_000, "the frozen peer seen as gone");
    const bytes = blobOf(20 * KiB, 7);
    const stored = (await service.kinds.store!(bytes, { replicas: 2 })) as StoreResult;
    assert.deepEqual([...stored.holders].sort(), [s0!.agent.identity.id, s2!.agent.identity.id].sort(), "pushed to s2 by the new client");
  } finally {
    await scope.close();
  }
});

test("a fetch task for a blob over what a task envelope carries fails at once with blob_too_large", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const [s0, s1, c] = await storageMesh(scope, [
      { name: "s0", roles: ["storage"] },
      { name: "s1", roles: ["storage"] },
      { name: "c", roles: ["coordinator"] },
    ]);
    const bytes = blobOf(1024 * KiB, 8);
    const hash = sha256(bytes);
    await storageOf(s0!.agent).store.put(bytes, { storedAt: 0, expiresAt: null, replicas: 1, holders: [s0!.agent.identity.id] });
    // s1 lacks it (it asks s0 and stops at the first piece); s0 knows the size from its manifest.
    await assert.rejects(storageOf(s1!.agent).kinds.fetch!({ hash }, {}) as Promise<unknown>, (e: unknown) => code(e) === "blob_too_large");
    await assert.rejects(storageOf(s0!.agent).kinds.fetch!({ hash }, {}) as Promise<unknown>, (e: unknown) => code(e) === "blob_too_large");
    const t0 = Date.now();
    const outcome = await runTask(c!.agent, { kind: "fetch", input: { hash } });
    assert.equal(outcome.state, "failed", JSON.stringify(outcome));
    assert.match(JSON.stringify(outcome), /blob_too_large/);
    assert.ok(Date.now() - t0 < 10_000, `failed in ${Date.now() - t0} ms`);
    // the control path (agent fetch on a storage peer) still has the whole maxBlobMb
    assert.equal(sha256(await storageOf(s1!.agent).fetchBytes(hash)), hash);
  } finally {
    await scope.close();
  }
});
