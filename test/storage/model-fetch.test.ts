// Models from storage peers, end to end: a worker whose models dir lacks the model an `infer` task
// names fetches it by hash from a storage peer, checks it, adds it and runs the task; a corrupted
// model file on the worker is refused by its hash (model_corrupt) and, once a storage peer holds
// the model, replaced by the intact copy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { nodeFiles } from "../../src/adapters/node/files-node.ts";
import { ModelStore, modelsDirIn } from "../../src/inference/model-store.ts";
import type { StoreResult } from "../../src/storage/storage-service.ts";
import { pairAddModel } from "../inference/helpers.ts";
import { Scope } from "../support/mesh-fixtures.ts";
import { runTask, storageMesh } from "./storage-fixtures.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const inputs = { a: { type: "float32", dims: [1, 3], data: [1, 2, 3] }, b: { type: "float32", dims: [1, 3], data: [10, 20, 30] } };
const SUM = { sum: { type: "float32", dims: [1, 3], data: [11, 22, 33] } };

test("a model missing on the worker is fetched from a storage peer by hash and the infer task succeeds", { timeout: 90_000 }, async () => {
  const scope = new Scope();
  try {
    const [storage, worker] = await storageMesh(scope, [
      { name: "storage", roles: ["storage"] },
      { name: "worker", roles: ["processing"], inference: true },
    ]);
    const model = pairAddModel();
    const hash = sha256(model);
    const stored = await runTask(storage!.agent, { kind: "store", input: model, params: { replicas: 2 } });
    assert.equal(stored.state, "done", JSON.stringify(stored));
    const result = (stored as { output: StoreResult }).output;
    assert.equal(result.hash, hash, "a model's blob hash is its model hash");
    assert.deepEqual([result.replicas, result.wanted], [1, 2], "one storage peer: fewer replicas than asked, said so");
    const path = new ModelStore(nodeFiles, modelsDirIn(worker!.kit.dataDir)).path(hash);
    assert.equal(await stat(path).then(() => true, () => false), false, "the worker lacks the model");

    const outcome = await runTask(storage!.agent, { kind: "infer", input: { model: hash, inputs } });
    assert.equal(outcome.state, "done", JSON.stringify(outcome));
    assert.deepEqual((outcome as { output: unknown }).output, SUM);
    assert.deepEqual((outcome as { workers: string[] }).workers, [worker!.agent.identity.id]);
    assert.equal(sha256(await readFile(path)), hash, "the worker now holds the intact model");
  } finally {
    await scope.close();
  }
});

test("a corrupted model file on the worker is refused by its hash; with the model on a storage peer it is replaced and the task succeeds", { timeout: 90_000 }, async () => {
  const scope = new Scope();
  try {
    const [storage, worker] = await storageMesh(scope, [
      { name: "storage", roles: ["storage"] },
      { name: "worker", roles: ["processing"], inference: true },
    ]);
    const models = new ModelStore(nodeFiles, modelsDirIn(worker!.kit.dataDir));
    const hash = await models.add(pairAddModel());
    const bytes = await readFile(models.path(hash));
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(models.path(hash), bytes);

    // No storage peer holds it: the worker refuses its copy, every attempt, and the task fails.
    const refused = await runTask(storage!.agent, { kind: "infer", input: { model: hash, inputs } });
    assert.equal(refused.state, "failed", JSON.stringify(refused));
    assert.match((refused as { detail: string }).detail, /model_corrupt/);

    const stored = await runTask(storage!.agent, { kind: "store", input: pairAddModel() });
    assert.equal(stored.state, "done", JSON.stringify(stored));
    const outcome = await runTask(storage!.agent, { kind: "infer", input: { model: hash, inputs } });
    assert.equal(outcome.state, "done", JSON.stringify(outcome));
    assert.deepEqual((outcome as { output: unknown }).output, SUM);
    assert.equal(sha256(await readFile(models.path(hash))), hash, "the damaged file was replaced by the intact model");
  } finally {
    await scope.close();
  }
});
