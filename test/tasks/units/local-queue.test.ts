// The worker's bounded priority queue: highest priority first, FIFO within a priority, at most
// `concurrency` running and `capacity` waiting; full or not accepting answers false (busy).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalQueue } from "../../../src/tasks/local-queue.ts";

/** A job the test finishes by hand, recording when it started. */
function gate(log: string[], name: string, priority: number) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    item: { priority, run: () => (log.push(name), done) },
    release,
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test("local-queue: refuses bad settings with RangeError naming the field", () => {
  assert.throws(() => new LocalQueue({ concurrency: 0, capacity: 1 }), /"concurrency" expected a positive integer, got 0/);
  assert.throws(() => new LocalQueue({ concurrency: 1.5, capacity: 1 }), RangeError);
  assert.throws(() => new LocalQueue({ concurrency: 1, capacity: -1 }), /"capacity" expected a non-negative integer, got -1/);
});

test("local-queue: higher priority first, FIFO within a priority", async () => {
  const q = new LocalQueue({ concurrency: 1, capacity: 10 });
  const log: string[] = [];
  const first = gate(log, "first", 0);
  assert.equal(q.offer(first.item), true);
  const jobs = [gate(log, "low-1", 1), gate(log, "high-1", 9), gate(log, "mid-1", 5), gate(log, "high-2", 9), gate(log, "low-2", 1), gate(log, "mid-2", 5)];
  for (const j of jobs) assert.equal(q.offer(j.item), true);
  assert.equal(q.length, 6);
  assert.equal(q.running, 1);
  first.release();
  for (const j of jobs) j.release(); // each finishes as soon as it starts
  for (let i = 0; i < 20 && log.length < 7; i++) await tick();
  assert.deepEqual(log, ["first", "high-1", "high-2", "mid-1", "mid-2", "low-1", "low-2"]);
  assert.equal(q.length, 0);
  assert.equal(q.running, 0);
});

test("local-queue: at most `concurrency` run at once; full capacity answers false (busy) until room frees", async () => {
  const q = new LocalQueue({ concurrency: 2, capacity: 3 });
  const log: string[] = [];
  const jobs = Array.from({ length: 5 }, (_, i) => gate(log, `j${i}`, 5));
  for (const j of jobs) assert.equal(q.offer(j.item), true);
  assert.equal(q.running, 2);
  assert.equal(q.length, 3);
  assert.deepEqual(log, ["j0", "j1"]);
  const extra = gate(log, "extra", 9);
  assert.equal(q.offer(extra.item), false, "2 running + 3 waiting: busy, even for a high priority");
  jobs[0]!.release();
  await tick();
  await tick();
  assert.equal(q.running, 2);
  assert.equal(q.length, 2);
  assert.deepEqual(log, ["j0", "j1", "j2"]);
  assert.equal(q.offer(extra.item), true, "room again");
  for (const j of [...jobs, extra]) j.release();
  for (let i = 0; i < 20 && log.length < 6; i++) await tick();
  assert.deepEqual(log, ["j0", "j1", "j2", "extra", "j3", "j4"]);
});

test("local-queue: capacity 0 means only what can run now", () => {
  const q = new LocalQueue({ concurrency: 1, capacity: 0 });
  const log: string[] = [];
  assert.equal(q.offer(gate(log, "a", 5).item), true);
  assert.equal(q.offer(gate(log, "b", 5).item), false);
});

test("local-queue: accepting() false answers busy even when empty, and true again accepts", () => {
  let accepting = false;
  const q = new LocalQueue({ concurrency: 1, capacity: 4, accepting: () => accepting });
  const log: string[] = [];
  assert.equal(q.offer(gate(log, "a", 5).item), false);
  assert.equal(q.running + q.length, 0);
  accepting = true;
  assert.equal(q.offer(gate(log, "b", 5).item), true);
  assert.deepEqual(log, ["b"]);
});

test("local-queue: a job that throws frees its slot for the next", async () => {
  const q = new LocalQueue({ concurrency: 1, capacity: 1 });
  const log: string[] = [];
  q.offer({ priority: 5, run: async () => { log.push("boom"); throw new Error("boom"); } });
  q.offer({ priority: 5, run: async () => void log.push("next") });
  for (let i = 0; i < 10 && log.length < 2; i++) await tick();
  assert.deepEqual(log, ["boom", "next"]);
  assert.equal(q.running, 0);
});
