// The worker-thread executor with the test-only fault kinds: each fault fails its own job with a
// stable code within its bounds, and the executor runs the next job afterwards (the thread that
// misbehaved is replaced, the process stays up).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { createWorkerExecutor } from "../../../src/adapters/node/worker-executor.ts";
import type { Executor, JobResult } from "../../../src/tasks/executor.ts";

let executor: Executor;
before(() => {
  executor = createWorkerExecutor({ concurrency: 1, memoryMb: 64, faults: true });
});
after(() => executor.close());

const job = (kind: string, input: unknown, timeoutMs = 10_000) => ({ kind, input, params: {}, timeoutMs });

/** Runs one echo and one sha256 job and checks both: the executor still works. */
async function stillWorks(): Promise<void> {
  const echo = await executor.run(job("echo", { n: 1, list: [1, 2, 3] }));
  assert.deepEqual(echo, { ok: true, output: { n: 1, list: [1, 2, 3] }, durationMs: (echo as { durationMs: number }).durationMs });
  const hash = await executor.run(job("sha256", "abc"));
  assert.equal(hash.ok && hash.output, createHash("sha256").update("abc").digest("hex"));
}

function failure(result: JobResult): { code: string; error: string; durationMs: number } {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result as { code: string; error: string; durationMs: number };
}

test("executor: echo and sha256 run; the fault kinds are listed only with faults on", async () => {
  await stillWorks();
  const bytes = new Uint8Array([1, 2, 3]);
  const r = await executor.run(job("sha256", bytes));
  assert.equal(r.ok && r.output, createHash("sha256").update(bytes).digest("hex"));
  assert.ok(executor.kinds.includes("fault.loop"));
  const plain = createWorkerExecutor({ concurrency: 1, memoryMb: 64 });
  try {
    assert.deepEqual([...plain.kinds].sort(), ["chunk", "echo", "sha256", "sum"]);
    assert.equal(failure(await plain.run(job("fault.throw", null))).code, "unknown_kind");
  } finally {
    await plain.close();
  }
});

test("executor: fault.throw fails with task_error, then the next job runs", async () => {
  const f = failure(await executor.run(job("fault.throw", null)));
  assert.equal(f.code, "task_error");
  assert.match(f.error, /throws on purpose/);
  await stillWorks();
});

test("executor: fault.loop fails with timeout within its timeout (plus a margin), then the next job runs", async () => {
  const t0 = performance.now();
  const f = failure(await executor.run(job("fault.loop", null, 300)));
  const took = performance.now() - t0;
  assert.equal(f.code, "timeout");
  assert.match(f.error, /300 ms/);
  assert.ok(took >= 290 && took < 300 + 2_000, `timed out after ${took} ms`);
  await stillWorks();
});

test("executor: fault.alloc fails with out_of_memory at its heap limit, then the next job runs", async () => {
  const f = failure(await executor.run(job("fault.alloc", null, 30_000)));
  assert.equal(f.code, "out_of_memory");
  assert.match(f.error, /64 MB/);
  await stillWorks();
});

test("executor: jobs beyond the concurrency wait and all complete; a hung job does not block the others for longer than its timeout", async () => {
  const results = await Promise.all([executor.run(job("fault.loop", null, 200)), ...Array.from({ length: 5 }, (_, i) => executor.run(job("echo", i)))]);
  assert.equal(failure(results[0]!).code, "timeout");
  assert.deepEqual(
    results.slice(1).map((r) => r.ok && r.output),
    [0, 1, 2, 3, 4],
  );
});

test("executor: close() ends the running job and the queued one with crashed results, not rejections", async () => {
  const ex = createWorkerExecutor({ concurrency: 1, memoryMb: 64, faults: true });
  const running = ex.run(job("fault.loop", null, 60_000));
  const queued = ex.run(job("echo", 1));
  await new Promise((r) => setTimeout(r, 300));
  await ex.close();
  assert.equal(failure(await running).code, "crashed");
  assert.equal(failure(await queued).code, "crashed");
  assert.equal(failure(await ex.run(job("echo", 2))).code, "crashed");
});
