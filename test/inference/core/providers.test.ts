// Execution provider choice from a profile's wishes and what the installed onnxruntime has.
import { test } from "node:test";
import assert from "node:assert/strict";
import { planProviders, type BackendInfo } from "../../../src/inference/providers.ts";

// What onnxruntime-node 1.30 on linux x64 reports, with the CUDA/TensorRT libraries not downloaded.
const skipped: BackendInfo[] = [
  { name: "cpu", bundled: true, installed: true },
  { name: "webgpu", bundled: true, installed: true },
  { name: "cuda", bundled: false, installed: false },
  { name: "tensorrt", bundled: false, installed: false },
];

test("cpu alone stays cpu", () => {
  assert.deepEqual(planProviders(["cpu"], skipped), { providers: ["cpu"], missing: [] });
});

test("a GPU provider whose library was not installed falls back to cpu, saying which and why", () => {
  const plan = planProviders(["tensorrt", "cuda", "cpu"], skipped);
  assert.deepEqual(plan.providers, ["cpu"]);
  assert.deepEqual(plan.missing.map((m) => m.provider), ["tensorrt", "cuda"]);
  assert.match(plan.missing[1]!.reason, /cuda provider library \(libonnxruntime_providers_cuda\.so\) is not installed/);
});

test("installed providers are used in the profile's order, cpu last, and absent ones reported", () => {
  const installed = skipped.map((b) => (b.name === "cuda" ? { ...b, installed: true } : b));
  assert.deepEqual(planProviders(["tensorrt", "cuda", "cpu"], installed).providers, ["cuda", "cpu"]);
  assert.deepEqual(planProviders(["cuda"], installed).providers, ["cuda", "cpu"], "cpu is always the last resort");
  const none = planProviders(["cuda", "cpu"], [{ name: "cpu", bundled: true, installed: true }]);
  assert.deepEqual(none.providers, ["cpu"]);
  assert.match(none.missing[0]!.reason, /has no cuda execution provider/);
});
