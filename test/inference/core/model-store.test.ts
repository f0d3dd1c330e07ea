// The content-addressed model store on the runtime's own `Files` (Node's adapter under Node,
// Deno's under Deno): names are hashes, and a file that no longer matches its name is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { sha256 } from "@noble/hashes/sha2.js";
import { selectRuntime } from "../../../src/adapters/select-runtime.ts";
import { toHex } from "../../../src/core/bytes.ts";
import { InferenceError } from "../../../src/inference/inference-error.ts";
import { isModelHash, ModelStore, modelsDirIn } from "../../../src/inference/model-store.ts";
import { withTempDir } from "../../runtime/helpers.ts";

const { files } = await selectRuntime();
const model = new TextEncoder().encode("not really onnx, but bytes are bytes to the store");

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof InferenceError, `expected InferenceError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test("add names a model by the sha256 of its bytes and stores it as <dir>/<hash>.onnx", async () => {
  await withTempDir(async (data) => {
    const store = new ModelStore(files, modelsDirIn(data));
    const hash = await store.add(model);
    assert.equal(hash, toHex(sha256(model)), "Web Crypto's SHA-256 agrees with noble's");
    assert.ok(isModelHash(hash));
    assert.equal(store.path(hash), `${data}/models/${hash}.onnx`);
    assert.deepEqual(new Uint8Array(await readFile(store.path(hash))), model);
    assert.deepEqual(await store.get(hash), model);
    assert.equal(await store.add(model), hash, "adding again is a no-op");
    assert.deepEqual(await store.list(), [hash]);
    assert.equal(await store.has(hash), true);
  });
});

test("get refuses a corrupted file with model_corrupt, every time; add repairs it", async () => {
  await withTempDir(async (data) => {
    const store = new ModelStore(files, modelsDirIn(data));
    const hash = await store.add(model);
    const damaged = new Uint8Array(model);
    damaged[3] = damaged[3]! ^ 1;
    await writeFile(store.path(hash), damaged);
    await rejectsWith(store.get(hash), "model_corrupt", new RegExp(`is corrupt: its bytes hash to [0-9a-f]{64}, not ${hash}`));
    await rejectsWith(store.get(hash), "model_corrupt", /corrupt/);
    assert.equal(await store.has(hash), false);
    assert.equal(await store.add(model), hash);
    assert.deepEqual(await store.get(hash), model, "a fresh add replaced the damaged copy");
  });
});

test("get of an absent model is model_not_found; bad hashes and bytes are TypeErrors", async () => {
  await withTempDir(async (data) => {
    const store = new ModelStore(files, modelsDirIn(data));
    const absent = "0".repeat(64);
    await rejectsWith(store.get(absent), "model_not_found", new RegExp(`model ${absent} is not in ${data}/models`));
    assert.deepEqual(await store.list(), []);
    assert.throws(() => store.path("../../etc/passwd"), TypeError);
    assert.throws(() => store.path("A".repeat(64)), TypeError, "upper-case hex is not a model name");
    await assert.rejects(store.add(new Uint8Array(0)), TypeError);
    await assert.rejects(store.add("text" as unknown as Uint8Array), TypeError);
  });
});

test("list ignores files that are not <hash>.onnx; remove deletes a model", async () => {
  await withTempDir(async (data) => {
    const store = new ModelStore(files, modelsDirIn(data));
    const hash = await store.add(model);
    await writeFile(`${store.dir}/notes.txt`, "hello");
    await writeFile(`${store.dir}/short.onnx`, "x");
    assert.deepEqual(await store.list(), [hash]);
    await store.remove(hash);
    assert.deepEqual(await store.list(), []);
    await store.remove(hash);
  });
});
