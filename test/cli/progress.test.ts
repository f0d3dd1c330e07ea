// The status line of `submit --wait` on a terminal (src/cli/progress.ts), on fake time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERASE_LINE, withProgress } from "../../src/cli/progress.ts";
import { FakeTime, settle } from "../support/fake-time.ts";

/** A promise with its resolve and reject functions. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function setup(states: Array<string | Error> = []) {
  const time = new FakeTime();
  const written: string[] = [];
  let asked = 0;
  const state = async () => {
    const next = states[Math.min(asked++, states.length - 1)]!;
    if (next instanceof Error) throw next;
    return next;
  };
  return { time, written, state, asked: () => asked, options: { write: (t: string) => void written.push(t), clock: time, timers: time, label: "task t1" } };
}

test("work that ends within the first interval prints nothing and leaves no timer", async () => {
  const { time, written, state, asked, options } = setup(["running"]);
  const work = deferred<string>();
  const result = withProgress(work.promise, { ...options, state });
  await time.advance(499);
  work.resolve("out");
  assert.equal(await result, "out");
  assert.deepEqual(written, []);
  assert.equal(asked(), 0);
  assert.equal(time.pending, 0);
});

test("every 500 ms the line is rewritten with the state and the time elapsed, then erased", async () => {
  const { time, written, state, options } = setup(["submitted", "running", "running"]);
  const work = deferred<number>();
  const result = withProgress(work.promise, { ...options, state });
  await time.advance(500);
  await time.advance(500);
  await time.advance(500);
  assert.deepEqual(written, [`${ERASE_LINE}task t1: submitted, 0.5s`, `${ERASE_LINE}task t1: running, 1.0s`, `${ERASE_LINE}task t1: running, 1.5s`]);
  work.resolve(7);
  assert.equal(await result, 7);
  assert.equal(written.at(-1), ERASE_LINE, "the line is cleared for what follows");
  assert.equal(written.length, 4);
  assert.equal(time.pending, 0);
  assert.ok(written.every((t) => !t.includes("\n")), "never a newline: one line, rewritten in place");
  assert.ok(written.every((t) => !/\u001b\[[\d;]*m/.test(t)), "no colour codes");
});

test("a failed state request keeps the last state; no state function shows the time alone", async () => {
  const { time, written, state, options } = setup(["placed", new Error("agent busy")]);
  const work = deferred<void>();
  const result = withProgress(work.promise, { ...options, state });
  await time.advance(1000);
  assert.deepEqual(written, [`${ERASE_LINE}task t1: placed, 0.5s`, `${ERASE_LINE}task t1: placed, 1.0s`]);
  work.resolve();
  await result;

  const plain = setup();
  const other = deferred<void>();
  const done = withProgress(other.promise, { ...plain.options, label: "workflow", intervalMs: 250 });
  await plain.time.advance(250);
  assert.deepEqual(plain.written, [`${ERASE_LINE}workflow: 0.3s`]);
  other.resolve();
  await done;
});

test("an error from the work is passed on after the line is erased", async () => {
  const { time, written, state, options } = setup(["running"]);
  const work = deferred<never>();
  const result = withProgress(work.promise, { ...options, state });
  await time.advance(600);
  work.reject(new Error("the agent went away"));
  await assert.rejects(result, /the agent went away/);
  assert.equal(written.at(-1), ERASE_LINE);
  assert.equal(time.pending, 0);
});

test("the work ending while the state is being asked writes nothing after the erase", async () => {
  const time = new FakeTime();
  const written: string[] = [];
  const answer = deferred<string>();
  const work = deferred<string>();
  const result = withProgress(work.promise, { write: (t) => void written.push(t), clock: time, timers: time, label: "task t2", state: () => answer.promise });
  await time.advance(500); // the first refresh is now waiting for the state
  work.resolve("done");
  assert.equal(await result, "done");
  answer.resolve("running");
  await settle();
  assert.deepEqual(written, []);
  assert.equal(time.pending, 0);
  await assert.rejects(withProgress(Promise.resolve(), { write: () => {}, clock: time, timers: time, label: "x", intervalMs: 0 }), RangeError);
});
