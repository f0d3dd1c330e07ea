// store / fetch end to end across in-process agents with the storage role on one embedded broker
// (aedes on 127.0.0.1, port 0): replication to r peers, a fetch that survives a holder leaving,
// re-replication to the third peer (checked on its disk), corrupt copies refused, retention.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { blobsDirIn } from "../../src/storage/blob-store.ts";
import type { StoreResult } from "../../src/storage/storage-service.ts";
import { Scope } from "../support/mesh-fixtures.ts";
import { waitFor } from "../support/wait.ts";
import { runTask, storageMesh, storageOf } from "./storage-fixtures.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const onDisk = (dataDir: string, hash: string) => stat(`${blobsDirIn(dataDir)}/${hash}`).then(() => true, () => false);
const done = <T>(o: Awaited<ReturnType<typeof runTask>>): T => {
  assert.equal(o.state, "done", JSON.stringify(o));
  return (o as { output: T }).output;
};

for (const how of ["stopped", "vanished"] as const) {
  test(`store with r = 2 on three storage peers: one holder ${how}, fetch still succeeds, the blob is re-replicated to the third`, { timeout: 60_000 }, async () => {
    const scope = new Scope();
    try {
      // "vanished": the holder's connection freezes (no goodbye, no last will yet); the others see it gone by its silence.
      const agents = await storageMesh(scope, [
        { name: "s0", roles: ["storage"] },
        { name: "s1", roles: ["storage"], relay: true },
        { name: "s2", roles: ["storage"], relay: true },
      ]);
      const [s0] = agents;
      // 600 KiB: three pieces on the wire.
      const blob = new Uint8Array(600 * 1024).map((_, i) => (i * 31) % 256);
      const t0 = Date.now();
      const stored = done<StoreResult>(await runTask(s0!.agent, { kind: "store", input: blob, params: { replicas: 2 } }));
      const storeMs = Date.now() - t0;
      assert.equal(stored.hash, sha256(blob));
      assert.equal(stored.size, blob.byteLength);
      assert.deepEqual([stored.replicas, stored.wanted, stored.holders.length], [2, 2, 2]);
      const holders = agents.filter((a) => stored.holders.includes(a.agent.identity.id));
      const other = agents.find((a) => !stored.holders.includes(a.agent.identity.id))!;
      for (const h of holders) assert.ok(await onDisk(h.kit.dataDir, stored.hash), `${h.name} holds it`);
      assert.equal(await onDisk(other.kit.dataDir, stored.hash), false, "exactly r copies");
      // Every holder knows who the holders are.
      for (const h of holders) await waitFor(() => storageOf(h.agent).store.manifest(stored.hash)?.holders.length === 2, 5_000, `${h.name}'s holders list`);

      // Stop a holder that does not host the broker (the mesh lives on through s0's broker).
      const victim = holders.find((h) => h !== s0)!;
      const survivor = holders.find((h) => h !== victim)!;
      if (how === "stopped") await victim.agent.stop();
      else {
        victim.relay!.freeze();
        await waitFor(() => agents.every((a) => a === victim || a.agent.node.peers.get(victim.agent.identity.id)?.health === "gone"), 10_000, "the vanished holder seen as gone");
      }
      const asker = agents.find((a) => a !== victim)!;
      const t1 = Date.now();
      const fetched = done<Uint8Array>(await runTask(asker.agent, { kind: "fetch", input: { hash: stored.hash } }));
      const fetchMs = Date.now() - t1;
      assert.deepEqual(new Uint8Array(fetched), blob);

      // The surviving holder copies it to the third agent, which then holds an intact copy on disk.
      await waitFor(() => onDisk(other.kit.dataDir, stored.hash), 15_000, "re-replication to the third agent");
      assert.equal(sha256(await readFile(`${blobsDirIn(other.kit.dataDir)}/${stored.hash}`)), stored.hash);
      await waitFor(() => (storageOf(survivor.agent).status() as { rereplicated: number }).rereplicated === 1, 5_000, "the survivor counts its copy (after the new holder's blob.stored)");
      await waitFor(() => storageOf(other.agent).store.manifest(stored.hash)?.holders.join() === [survivor.agent.identity.id, other.agent.identity.id].sort().join(), 5_000, "the holders list drops the stopped agent");
      process.stderr.write(`# store 600 KiB r=2: ${storeMs} ms; fetch after a holder ${how}: ${fetchMs} ms\n`);
    } finally {
      await scope.close();
    }
  });
}

test("store and fetch across two agents; a corrupt copy on disk is refused and an intact one fetched from the peer", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const [a, b] = await storageMesh(scope, [
      { name: "a", roles: ["storage", "processing"] },
      { name: "b", roles: ["storage"] },
    ]);
    const stored = done<StoreResult>(await runTask(b!.agent, { kind: "store", input: "hello from b", params: { replicas: 2 } }));
    assert.equal(stored.hash, sha256(new TextEncoder().encode("hello from b")));
    assert.deepEqual([...stored.holders].sort(), [a!.agent.identity.id, b!.agent.identity.id].sort());

    // Damage a's copy: a fetch asked of a refuses it (blob_corrupt, counted) and gets b's copy.
    const path = `${blobsDirIn(a!.kit.dataDir)}/${stored.hash}`;
    await writeFile(path, "hello from c");
    const fetched = await storageOf(a!.agent).fetchBytes(stored.hash);
    assert.equal(new TextDecoder().decode(fetched), "hello from b");
    assert.equal(storageOf(a!.agent).store.corrupt, 1, "the corrupt copy was detected by its hash");
    assert.equal(sha256(await readFile(path)), stored.hash, "and replaced by the intact copy");

    // Through the task path too, from either side; and an unknown hash is blob_not_found.
    for (const asker of [a!, b!]) assert.equal(new TextDecoder().decode(done<Uint8Array>(await runTask(asker.agent, { kind: "fetch", input: stored.hash }))), "hello from b");
    const missing = await runTask(a!.agent, { kind: "fetch", input: "e".repeat(64) });
    assert.equal(missing.state, "failed");
    assert.match((missing as { detail: string }).detail, /blob_not_found/);
    const bad = await runTask(a!.agent, { kind: "store", input: "x", params: { replicas: 0 } });
    assert.match((bad as { detail: string }).detail, /bad_input.*replicas/);
  } finally {
    await scope.close();
  }
});

test("retention: a blob stored with a short retention is deleted by the sweep on every holder", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const agents = await storageMesh(scope, [
      { name: "a", roles: ["storage"], config: { storage: { sweepSeconds: 0.1 } } },
      { name: "b", roles: ["storage"], config: { storage: { sweepSeconds: 0.1 } } },
    ]);
    const keep = done<StoreResult>(await runTask(agents[0]!.agent, { kind: "store", input: "kept" }));
    const brief = done<StoreResult>(await runTask(agents[0]!.agent, { kind: "store", input: "brief", params: { retentionHours: 0.5 / 3600 } })); // half a second
    for (const a of agents) assert.ok(await onDisk(a.kit.dataDir, brief.hash));
    // The sweep removes the file, then its manifest, then counts: wait for the count too.
    const expired = (a: (typeof agents)[number]) => (storageOf(a.agent).status() as { expired: number }).expired;
    await waitFor(async () => !(await onDisk(agents[0]!.kit.dataDir, brief.hash)) && !(await onDisk(agents[1]!.kit.dataDir, brief.hash)) && agents.every((a) => expired(a) === 1), 10_000, "expired blob deleted on both holders");
    for (const a of agents) {
      assert.ok(await onDisk(a.kit.dataDir, keep.hash), "a blob without retention stays");
      assert.equal((storageOf(a.agent).status() as { expired: number }).expired, 1);
    }
  } finally {
    await scope.close();
  }
});
