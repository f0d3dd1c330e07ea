// The retention clock and the payload-dropping helpers, on their own (the coordinator's use of them
// is tested across real agents in test/tasks/minimization.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { RetentionClock, withoutInput, withoutOutput } from "../../../src/tasks/retention.ts";
import type { TaskOutcome, TaskSpec } from "../../../src/tasks/task.ts";

const spec: TaskSpec = { id: "t", kind: "echo", priority: 5, input: "secret", params: { note: "secret" }, deadline: 1e15, quorum: 1, private: false };

test("retention: withoutInput drops input and params, and is a no-op once dropped", () => {
  const dropped = withoutInput(spec);
  assert.deepEqual(dropped, { ...spec, input: null, params: {} });
  assert.equal(spec.input, "secret", "the original is not changed");
  assert.equal(withoutInput(dropped), dropped);
});

test("retention: withoutOutput drops a result's output and cuts a task error to its code", () => {
  const done: TaskOutcome = { id: "t", state: "done", output: "secret", worker: "w", workers: ["w"], durationMs: 3 };
  assert.deepEqual(withoutOutput(done), { ...done, output: null, outputDeleted: true });
  const error: TaskOutcome = { id: "t", state: "failed", reason: "task_error", detail: 'bad_input: got "secret"' };
  assert.deepEqual(withoutOutput(error), { ...error, detail: "bad_input" });
  const deadline: TaskOutcome = { id: "t", state: "failed", reason: "deadline", detail: "not done by 2026-01-01" };
  assert.equal(withoutOutput(deadline), deadline, "the mesh's own words stay");
});

test("retention: a zero policy scrubs at once; otherwise when due, in order", () => {
  const now = { t: 1_000 };
  const zero = new RetentionClock();
  let scrubbed = 0;
  zero.finished(now.t, () => scrubbed++);
  zero.delivered(now.t, () => scrubbed++);
  assert.equal(scrubbed, 2);
  assert.deepEqual(zero.counters, { inputsDeleted: 1, outputsDeleted: 1 });

  const keep = new RetentionClock({ inputSeconds: 2, outputSeconds: 5 });
  const order: string[] = [];
  keep.finished(1_000, () => order.push("in-1"));
  keep.finished(1_500, () => order.push("in-2"));
  keep.delivered(1_000, () => order.push("out-1"));
  keep.sweep(2_999);
  assert.deepEqual(order, []);
  keep.sweep(3_000);
  assert.deepEqual(order, ["in-1"]);
  keep.sweep(6_000);
  assert.deepEqual(order, ["in-1", "in-2", "out-1"]);
  assert.throws(() => new RetentionClock({ inputSeconds: -1, outputSeconds: 0 }), RangeError);
});
