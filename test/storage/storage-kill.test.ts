// Replicated storage across real agent processes on 127.0.0.1: a blob stored with r = 2, one
// holder killed with SIGKILL (no goodbye: the broker's last will and missed heartbeats tell the
// rest), and the blob still fetched, checked by hash, and copied again onto the third storage peer.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { event } from "../support/netns.ts";
import { waitFor } from "../support/wait.ts";
import { agentCli, TaskLab } from "../tasks/task-lab.ts";

const exists = (path: string) => stat(path).then(() => true, () => false);

test("store with r = 2, SIGKILL one holder: fetch still succeeds and the blob is re-replicated", { timeout: 120_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [hub, ...peers] = await lab.members(4);
  const { proc: hubProc, url } = await lab.startCoordinator(hub!);
  const procs = peers.map((p) => lab.start(p, ["--broker", url, "--roles", "storage"], { label: `storage ${p.short}` }));
  await lab.joined(hubProc, peers);
  // Each storage peer must know the others before it can pick replicas among them.
  await Promise.all(procs.map((proc, i) => Promise.all(peers.filter((_, j) => j !== i).map((o) => proc.waitFor(event("peer.join", { peer: o.short }), `peer.join ${o.short}`, { timeoutMs: 30_000 })))));

  const bytes = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) % 251);
  const hash = createHash("sha256").update(bytes).digest("hex");
  const file = join(lab.base, "blob.bin");
  await writeFile(file, bytes);
  const stored = await agentCli(["store", file, "--replicas", "2", "--json", "--data-dir", peers[0]!.dir]);
  assert.equal(stored.code, 0, stored.stderr);
  const result = JSON.parse(stored.stdout) as { hash: string; holders: string[]; replicas: number };
  assert.equal(result.hash, hash);
  assert.equal(result.replicas, 2);
  const holders = peers.filter((p) => result.holders.includes(p.id));
  assert.equal(holders.length, 2, `two of the storage peers hold it: ${result.holders.join(", ")}`);
  const spare = peers.find((p) => !result.holders.includes(p.id))!;
  const blobPath = (dir: string) => join(dir, "blobs", hash);
  assert.equal(await exists(blobPath(spare.dir)), false, "the third peer has no copy yet");

  // Kill the holder that did not take the store (the other keeps its copy and must re-replicate).
  const victim = holders.find((p) => p.id !== peers[0]!.id)!;
  procs[peers.indexOf(victim)]!.kill("SIGKILL");

  // Fetched through the hub (no storage role: a fetch task placed on a live storage peer).
  const out = join(lab.base, "out.bin");
  const fetched = await agentCli(["fetch", hash, "--out", out, "--data-dir", hub!.dir]);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.deepEqual(new Uint8Array(await readFile(out)), bytes);

  // The surviving holder copies it to the spare peer, whose copy is intact.
  await waitFor(() => exists(blobPath(spare.dir)), 30_000, "the blob re-replicated onto the third storage peer", 200);
  const copy = await waitFor(async () => {
    const b = await readFile(blobPath(spare.dir)).catch(() => null);
    return b && createHash("sha256").update(b).digest("hex") === hash ? b : null;
  }, 10_000, "an intact copy", 100);
  assert.equal(copy.length, bytes.length);
  const fromSpare = await agentCli(["fetch", hash, "--out", join(lab.base, "spare.bin"), "--data-dir", spare.dir]);
  assert.equal(fromSpare.code, 0, fromSpare.stderr);
});
