// routedExecutor's missingModel hook on its own: which failures trigger a fetch, where the model
// hash is read from, and that the job runs again exactly once. The base executor is a small
// stand-in whose model store is a Set (the real worker threads are exercised in model-fetch.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Executor, Job, JobResult } from "../../src/tasks/executor.ts";
import { jobModelHash, routedExecutor } from "../../src/tasks/routed-executor.ts";
import { webTimers } from "../../src/runtime/runtime.ts";

const H = "a".repeat(64);

function base(models: Set<string>, code: "model_not_found" | "model_corrupt" | "bad_input" = "model_not_found"): Executor & { runs: number } {
  const ex = {
    kinds: ["infer"],
    runs: 0,
    async run(job: Job): Promise<JobResult> {
      ex.runs++;
      const hash = jobModelHash(job);
      return hash && models.has(hash) ? { ok: true, output: "ran", durationMs: 1 } : { ok: false, code, error: "no model", durationMs: 1 };
    },
    close: async () => {},
  };
  return ex;
}
const job = (input: unknown, params: Record<string, unknown> = {}): Job => ({ kind: "infer", input, params, timeoutMs: 5_000 });

test("a model_not_found job is run again once after missingModel fetched the model", async () => {
  const models = new Set<string>();
  const b = base(models);
  const asked: string[] = [];
  const ex = routedExecutor(b, {}, webTimers, Date.now, { missingModel: async (h) => (asked.push(h), models.add(h), true) });
  const r = await ex.run(job({ model: H, inputs: {} }));
  assert.deepEqual([r.ok, b.runs, asked], [true, 2, [H]]);
  const viaParams = await ex.run(job({ inputs: {} }, { model: "b".repeat(64) }));
  assert.equal(viaParams.ok, true, "the hash may come from params.model");
});

test("no fetch when the model is named by something else, when the failure is another code, or when the fetch fails", async () => {
  let asked = 0;
  const fetchNothing = async () => (asked++, false);
  const byName = routedExecutor(base(new Set()), {}, webTimers, Date.now, { missingModel: fetchNothing });
  assert.equal(((await byName.run(job({ model: "text-embed" }))) as { code: string }).code, "model_not_found");
  assert.equal(asked, 0);
  const other = base(new Set(), "bad_input");
  await routedExecutor(other, {}, webTimers, Date.now, { missingModel: fetchNothing }).run(job({ model: H }));
  assert.deepEqual([asked, other.runs], [0, 1]);
  const corrupt = base(new Set(), "model_corrupt");
  const r = await routedExecutor(corrupt, {}, webTimers, Date.now, { missingModel: fetchNothing }).run(job({ model: H }));
  assert.deepEqual([(r as { code: string }).code, asked, corrupt.runs], ["model_corrupt", 1, 1], "fetch tried, failed, original failure kept, not run again");
  const throwing = base(new Set());
  const t = await routedExecutor(throwing, {}, webTimers, Date.now, { missingModel: async () => { throw new Error("boom"); } }).run(job({ model: H }));
  assert.deepEqual([(t as { code: string }).code, throwing.runs], ["model_not_found", 1]);
});
