// The pinned hashes of the shipped models match the bytes the generator makes. Node and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_MODEL_HASHES, BUILTIN_MODELS, builtinModelHash, resolveModelRef } from "../../../src/inference/builtin-models.ts";
import { modelHash } from "../../../src/inference/model-store.ts";

test("BUILTIN_MODEL_HASHES names every shipped model by the sha256 of its bytes", async () => {
  assert.deepEqual(Object.keys(BUILTIN_MODEL_HASHES).sort(), Object.keys(BUILTIN_MODELS).sort());
  for (const [name, model] of Object.entries(BUILTIN_MODELS)) {
    assert.equal(await modelHash(model.make()), BUILTIN_MODEL_HASHES[name], name);
    assert.equal(builtinModelHash(name), BUILTIN_MODEL_HASHES[name]);
  }
});

test("builtinModelHash refuses other names, listing the shipped ones", () => {
  assert.throws(() => builtinModelHash("gpt-9"), { name: "RangeError", message: /"name" expected a shipped model \(sensor-anomaly, text-embed\), got "gpt-9"/ });
  assert.throws(() => builtinModelHash("toString"), RangeError);
});

test("resolveModelRef takes a sha256 or a shipped model's name; anything else is bad_input naming the field", () => {
  const hash = "ab".repeat(32);
  assert.equal(resolveModelRef(hash, "x"), hash);
  assert.equal(resolveModelRef("text-embed", "x"), BUILTIN_MODEL_HASHES["text-embed"]);
  for (const bad of ["AB".repeat(32), "pump-v2", 7, null, undefined, "constructor"]) {
    assert.throws(() => resolveModelRef(bad, 'vectorize "model"'), (e: Error & { code?: string }) => e.code === "bad_input" && /^vectorize "model" expected a model's sha256 .* or a shipped model's name \(sensor-anomaly, text-embed\), got /.test(e.message));
  }
});
