// The retention clock and the payload-dropping helpers, on their own (the coordinator's use of them
// is tested across real agents in test/tasks/minimization.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { RetentionClock, withoutInput, withoutOutput } from "../../../src/tasks/retention.ts";
import type { TaskOutcome, TaskSpec } from "../../../src/tasks/task.ts";
import { settle } from "../../support/fake-time.ts";
import { Harness } from "./coordinator-harness.ts";

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

test("retention: the clock holds task IDs in due order and hands them to scrub when due", () => {
  const order: string[] = [];
  const keep = new RetentionClock({ inputSeconds: 2, outputSeconds: 5 }, (id, what) => order.push(`${what}:${id}`));
  assert.equal(keep.dueAt("input", 1_000), 3_000);
  assert.equal(keep.dueAt("output", 1_000), 6_000);
  keep.schedule("a", "input", keep.dueAt("input", 1_000));
  keep.schedule("b", "input", keep.dueAt("input", 1_500));
  keep.schedule("a", "output", keep.dueAt("output", 1_000));
  keep.schedule("c", "input", 2_000); // resumed from the journal: due earlier than those queued
  assert.equal(keep.pending, 4);
  keep.sweep(1_999);
  assert.deepEqual(order, []);
  keep.sweep(3_000);
  assert.deepEqual(order, ["input:c", "input:a"]);
  keep.sweep(6_000);
  assert.deepEqual(order, ["input:c", "input:a", "input:b", "output:a"]);
  assert.equal(keep.pending, 0);
  assert.deepEqual(keep.counters, { inputsDeleted: 3, outputsDeleted: 1 });
  const zero = new RetentionClock();
  assert.equal(zero.dueAt("output", 1_000), 1_000, "a zero policy is due at once");
  assert.throws(() => new RetentionClock({ inputSeconds: -1, outputSeconds: 0 }), RangeError);
});

test("retention: a kept output is dropped from memory and journal when due, counted from its delivery, across a restart", async () => {
  const h = new Harness({ retention: { inputSeconds: 10, outputSeconds: 60 } });
  await h.start();
  await h.coordinator.submit({ kind: "echo", input: "kept a while", id: "k" });
  await settle();
  await h.result(h.last("k"), "the output");
  const first = await h.coordinator.wait("k");
  assert.equal(first.state === "done" && first.output, "the output");
  await h.time.advance(9_000);
  assert.equal((await h.coordinator.wait("k")).state === "done" && ((await h.coordinator.wait("k")) as { output: unknown }).output, "the output", "still within the policy");
  h.stop();

  // Restarted 30 s after delivery: the output is due 30 s later, not 60 s after this start.
  await h.time.advance(21_000);
  const again = new Harness({ files: h.files, time: h.time, retention: { inputSeconds: 10, outputSeconds: 60 } });
  await again.start();
  try {
    const resumed = await again.coordinator.wait("k");
    assert.equal(resumed.state === "done" && resumed.output, "the output");
    assert.equal(again.coordinator.retention.counters.inputsDeleted, 1, "the input was due 10 s after the finish: dropped at start");
    await again.time.advance(29_000);
    assert.equal(((await again.coordinator.wait("k")) as { output: unknown }).output, "the output");
    await again.time.advance(1_200);
    await settle();
    const dropped = await again.coordinator.wait("k");
    assert.deepEqual(dropped.state === "done" && [dropped.output, dropped.outputDeleted], [null, true]);
    const entry = await again.files.readFile("/data/tasks/k.task");
    assert.equal(new TextDecoder().decode(entry).includes("the output"), false, "gone from the journal too");
    assert.equal(new TextDecoder().decode(entry).includes("kept a while"), false);
  } finally {
    again.stop();
  }
});
