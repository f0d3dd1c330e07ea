// The worker side on a fake executor: results, busy when the queue is full, the test-only lie,
// and a stopping worker that hands its work back (busy) instead of failing it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { silentLogger } from "../../../src/log/logger.ts";
import type { Executor, Job, JobResult } from "../../../src/tasks/executor.ts";
import { WorkerService, type RunReply, type RunRequest } from "../../../src/tasks/worker-service.ts";

/** An executor whose jobs the test ends by hand; close() ends the running ones as `crashed`, like the real one. */
function fakeExecutor() {
  const running: Array<{ job: Job; end: (r: JobResult) => void }> = [];
  const executor: Executor = {
    kinds: ["echo"],
    run: (job) => new Promise<JobResult>((end) => running.push({ job, end })),
    async close() {
      for (const r of running.splice(0)) r.end({ ok: false, code: "crashed", error: "task worker exited with code 1", durationMs: 1 });
    },
  };
  return { executor, running };
}

const request = (attempt: string, input: unknown = attempt): RunRequest => ({ attempt, taskId: `t-${attempt}`, kind: "echo", input, params: {}, priority: 5, timeoutMs: 1_000 });
const tick = () => new Promise<void>((r) => setImmediate(r));

test("worker-service: runs a request and answers its result; a full queue answers busy at once", async () => {
  const { executor, running } = fakeExecutor();
  const w = new WorkerService({ executor, concurrency: 1, capacity: 1, log: silentLogger });
  const replies: RunReply[] = [];
  w.accept(request("a"), (r) => replies.push(r));
  w.accept(request("b"), (r) => replies.push(r));
  w.accept(request("c"), (r) => replies.push(r));
  assert.deepEqual(replies, [{ type: "task.busy", body: { attempt: "c", queue: 1 } }]);
  running[0]!.end({ ok: true, output: "A", durationMs: 3 });
  await tick();
  assert.deepEqual(replies[1], { type: "task.result", body: { attempt: "a", ok: true, output: "A", durationMs: 3 } });
  running[1]!.end({ ok: false, code: "task_error", error: "boom", durationMs: 2 });
  await tick();
  assert.deepEqual(replies[2], { type: "task.result", body: { attempt: "b", ok: false, code: "task_error", error: "boom", durationMs: 2 } });
  assert.deepEqual(w.counters, { accepted: 2, busy: 1, succeeded: 1, failed: 1 });
});

test("worker-service: with the test-only lie, every successful output is wrong", async () => {
  const { executor, running } = fakeExecutor();
  const w = new WorkerService({ executor, concurrency: 1, capacity: 0, log: silentLogger, faults: { lie: true } });
  const replies: RunReply[] = [];
  w.accept(request("a"), (r) => replies.push(r));
  running[0]!.end({ ok: true, output: "right", durationMs: 1 });
  await tick();
  assert.deepEqual(replies[0], { type: "task.result", body: { attempt: "a", ok: true, output: { wrong: true, was: "string" }, durationMs: 1 } });
});

test("worker-service: a stopping worker answers busy for work it can no longer finish, so it is placed elsewhere, not failed", async () => {
  const { executor, running } = fakeExecutor();
  const w = new WorkerService({ executor, concurrency: 1, capacity: 2, log: silentLogger });
  const replies: RunReply[] = [];
  w.accept(request("running"), (r) => replies.push(r));
  w.accept(request("queued"), (r) => replies.push(r));
  w.stop();
  w.accept(request("late"), (r) => replies.push(r));
  await executor.close();
  for (let i = 0; i < 5; i++) await tick();
  running[0]?.end({ ok: false, code: "crashed", error: "executor closed", durationMs: 0 });
  for (let i = 0; i < 5; i++) await tick();
  const byAttempt = Object.fromEntries(replies.map((r) => [r.body.attempt, r.type]));
  assert.deepEqual(byAttempt, { running: "task.busy", queued: "task.busy", late: "task.busy" });
  assert.equal(w.counters.failed, 0);
});
