// The coordinator on a fake Dispatch and fake time: placement, late results, busy, lost peers,
// the retry limit, deadlines, quorum with a liar, exactly-once outcomes and idempotent IDs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { settle } from "../../support/fake-time.ts";
import { Harness, memoryFiles } from "./coordinator-harness.ts";

/** What the coordinator gives an attempt before it times out: 2 × the task timeout + 5 s. */
const ATTEMPT_MS = 2 * 30_000 + 5_000;

async function started(options: ConstructorParameters<typeof Harness>[0] = {}): Promise<Harness> {
  const h = new Harness(options);
  await h.start();
  return h;
}

test("coordinator: a task goes to one peer and its result is the outcome", async () => {
  const h = await started();
  try {
    const id = await h.coordinator.submit({ kind: "sha256", input: "abc", id: "t1" });
    assert.equal(id, "t1");
    await settle();
    assert.equal(h.sent.length, 1);
    const run = h.last("t1");
    assert.deepEqual({ ...run.request, attempt: "x" }, { attempt: "x", taskId: "t1", kind: "sha256", input: "abc", params: {}, priority: 5, timeoutMs: 30_000 });
    assert.equal(h.coordinator.view("t1")!.state, "running");
    await h.result(run, "hash");
    const outcome = await h.coordinator.wait("t1");
    assert.equal(outcome.state, "done");
    assert.equal(outcome.state === "done" && outcome.output, "hash");
    assert.deepEqual(outcome.state === "done" && outcome.workers, [run.peer]);
    assert.deepEqual(h.coordinator.counters, { submitted: 1, done: 1, failed: 0, retried: 0, late: 0, busy: 0 });
    assert.equal(h.coordinator.explain("t1")!.length, 1);
    assert.ok(h.coordinator.speed(run.peer, "sha256")! > 0, "speed learned from the result");
  } finally {
    h.stop();
  }
});

test("coordinator: a result after the attempt timed out is counted late and ignored; the re-placed attempt decides", async () => {
  const h = await started();
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await settle();
    const first = h.last("t");
    await h.time.advance(ATTEMPT_MS + 200);
    const second = h.last("t");
    assert.notEqual(second.peer, first.peer, "re-placed on another peer");
    assert.equal(h.coordinator.view("t")!.retries, 1);
    assert.ok(h.reputation.score(first.peer) < 0.5, "the peer that timed out loses reputation");
    await h.result(first, "late answer");
    assert.equal(h.coordinator.counters.late, 1);
    assert.equal(h.coordinator.view("t")!.outcome, null, "the late answer decided nothing");
    // An answer from a peer that was never asked for this attempt is ignored too.
    await h.result(second, "forged", "C-not-the-worker");
    assert.equal(h.coordinator.counters.late, 2);
    await h.result(second, "on time");
    const outcome = await h.coordinator.wait("t");
    assert.equal(outcome.state === "done" && outcome.output, "on time");
    await h.result(second, "again");
    assert.equal(h.coordinator.counters.late, 3, "a duplicate answer after the outcome is late too");
    assert.equal(h.coordinator.counters.done, 1);
  } finally {
    h.stop();
  }
});

test("coordinator: busy re-places elsewhere after a backoff, without using up a retry", async () => {
  const h = await started({ peers: ["A", "B"], maxRetries: 1 });
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await settle();
    const first = h.last("t");
    const t0 = h.time.now();
    await h.busy(first);
    assert.equal(h.runsOf("t").length, 1, "not re-sent at once: it waits out a backoff");
    assert.equal(h.coordinator.counters.busy, 1);
    await h.time.advance(200);
    const second = h.last("t");
    assert.equal(h.runsOf("t").length, 2);
    assert.notEqual(second.peer, first.peer, "the busy peer is avoided for a while");
    assert.ok(h.coordinator.busyUntil(first.peer) > t0);
    // Busy again, many times: never counted toward the retry limit (maxRetries is 1 here).
    for (let i = 0; i < 6; i++) {
      await h.busy(h.last("t"));
      await h.time.advance(2_500);
    }
    assert.equal(h.coordinator.view("t")!.retries, 0);
    assert.equal(h.coordinator.counters.retried, 0);
    assert.equal(h.coordinator.view("t")!.outcome, null, "still pending, not failed");
    assert.equal(h.reputation.score(first.peer), 0.5, "busy is no fault: reputation unchanged");
    await h.result(h.last("t"), "finally");
    assert.equal((await h.coordinator.wait("t")).state, "done");
  } finally {
    h.stop();
  }
});

test("coordinator: the busy backoff grows (doubling, at most 2 s)", async () => {
  const h = await started({ peers: ["A"] });
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await settle();
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = h.runsOf("t").length;
      await h.busy(h.last("t"));
      const t0 = h.time.now();
      while (h.runsOf("t").length === before) await h.time.advance(10);
      waits.push(h.time.now() - t0);
    }
    for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! >= waits[i - 1]!, `waits grow: ${waits.join(", ")}`);
    assert.ok(waits[0]! < 600 && waits.at(-1)! >= 2_000 && waits.at(-1)! <= 2_200, `waits: ${waits.join(", ")}`);
  } finally {
    h.stop();
  }
});

test("coordinator: a peer that leaves the mesh has its attempts re-placed on another", async () => {
  const h = await started();
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await settle();
    const first = h.last("t");
    h.gone.add(first.peer);
    await h.time.advance(400); // the coordinator checks on its 100 ms timer, with backoff
    const second = h.last("t");
    assert.notEqual(second.peer, first.peer);
    assert.ok(h.reputation.score(first.peer) < 0.5);
    await h.result(first, "from the dead");
    assert.equal(h.coordinator.counters.late, 1);
    await h.result(second, "ok");
    const outcome = await h.coordinator.wait("t");
    assert.deepEqual(outcome.state === "done" && outcome.workers, [second.peer]);
  } finally {
    h.stop();
  }
});

test("coordinator: a peer that cannot be reached is a retry on another", async () => {
  const h = await started();
  try {
    h.unreachable.add("A");
    h.unreachable.add("B");
    h.unreachable.add("C");
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await h.time.advance(1_000);
    assert.equal(new Set(h.runsOf("t").slice(0, 3).map((s) => s.peer)).size, 3, "each peer tried once before any again");
    assert.ok(h.coordinator.view("t")!.retries >= 3, "each unreachable peer counts as a retry");
    h.unreachable.clear();
    await h.time.advance(6_000);
    await h.result(h.last("t"), "reached");
    assert.equal((await h.coordinator.wait("t")).state, "done");
  } finally {
    h.stop();
  }
});

test("coordinator: attempts that keep failing exhaust the retries: failed retries_exhausted", async () => {
  const h = await started({ peers: ["A", "B", "C", "D"], maxRetries: 2 });
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await settle();
    for (let i = 0; i < 3; i++) await h.time.advance(ATTEMPT_MS + 6_000);
    const outcome = await h.coordinator.wait("t");
    assert.equal(outcome.state, "failed");
    assert.equal(outcome.state === "failed" && outcome.reason, "retries_exhausted");
    assert.match(outcome.state === "failed" ? outcome.detail : "", /^2 retries; last: peer \w+ timed out$/);
    assert.equal(h.runsOf("t").length, 3, "1 attempt + 2 retries");
    assert.equal(new Set(h.runsOf("t").map((s) => s.peer)).size, 3, "on distinct peers");
  } finally {
    h.stop();
  }
});

test("coordinator: a task not done by its deadline fails with reason deadline", async () => {
  const h = await started();
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t", deadline: h.time.now() + 1_000 });
    await settle();
    await h.time.advance(1_200);
    const outcome = await h.coordinator.wait("t");
    assert.equal(outcome.state === "failed" && outcome.reason, "deadline");
    await h.result(h.last("t"), "too late");
    assert.equal(h.coordinator.counters.late, 1);
    assert.equal((await h.coordinator.wait("t")).state, "failed");
  } finally {
    h.stop();
  }
});

test("coordinator: the task's own error fails it at once with task_error; unknown_kind is retried elsewhere", async () => {
  const h = await started();
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "err" });
    await settle();
    await h.failure(h.last("err"), "out_of_memory", "task exceeded its 128 MB memory limit");
    const outcome = await h.coordinator.wait("err");
    assert.equal(outcome.state === "failed" && outcome.reason, "task_error");
    assert.match(outcome.state === "failed" ? outcome.detail : "", /^out_of_memory: /);
    await h.coordinator.submit({ kind: "echo", input: 1, id: "uk" });
    await settle();
    const first = h.last("uk");
    await h.failure(first, "unknown_kind");
    await h.time.advance(300);
    assert.notEqual(h.last("uk").peer, first.peer);
    // A worker that lacks the model: retried elsewhere, its reputation untouched, and it succeeds there.
    await h.coordinator.submit({ kind: "sum", input: [1], id: "nm" });
    await settle();
    const lacking = h.last("nm");
    const before = h.reputation.score(lacking.peer);
    await h.failure(lacking, "model_not_found", "model 0123 is not in the models dir");
    await h.time.advance(300);
    const elsewhere = h.last("nm");
    assert.notEqual(elsewhere.peer, lacking.peer);
    assert.equal(h.reputation.score(lacking.peer), before);
    await h.result(elsewhere, "scored");
    const done = await h.coordinator.wait("nm");
    assert.equal(done.state === "done" && done.output, "scored");
  } finally {
    h.stop();
  }
});

test("coordinator: quorum 3 places on 3 distinct peers; the majority wins and the liar's reputation falls below the floor", async () => {
  const h = await started({ peers: ["A", "B", "L"] });
  try {
    let n = 0;
    while (h.reputation.eligible("L") && n < 20) {
      const id = `q${n++}`;
      await h.coordinator.submit({ kind: "sha256", input: id, id, quorum: 3 });
      await settle();
      const runs = h.runsOf(id);
      assert.deepEqual(runs.map((r) => r.peer).sort(), ["A", "B", "L"]);
      // The liar answers first, so its vote is counted before the majority decides.
      await h.result(runs.find((r) => r.peer === "L")!, { wrong: true });
      for (const r of runs.filter((x) => x.peer !== "L")) await h.result(r, `right:${id}`);
      const outcome = await h.coordinator.wait(id);
      assert.equal(outcome.state === "done" && outcome.output, `right:${id}`);
      assert.deepEqual(outcome.state === "done" && [...outcome.workers].sort(), ["A", "B"]);
    }
    assert.ok(!h.reputation.eligible("L"), `liar score ${h.reputation.score("L")}`);
    assert.ok(n <= 5, `fell below the floor after ${n} tasks`);
    assert.ok(h.reputation.score("A") > 0.7);
    // With the liar excluded, a quorum-3 task still gets a 2-of-3 majority from A and B.
    await h.coordinator.submit({ kind: "sha256", input: "z", id: "after", quorum: 3 });
    await settle();
    assert.deepEqual(h.runsOf("after").map((r) => r.peer).sort(), ["A", "B"]);
    const liar = h.coordinator.explain("after")![0]!.ranking.find((r) => r.id === "L")!;
    assert.match(liar.excluded!, /^reputation 0\.\d\d below the floor$/);
    for (const r of h.runsOf("after")) await h.result(r, "same");
    assert.equal((await h.coordinator.wait("after")).state, "done");
  } finally {
    h.stop();
  }
});

test("coordinator: quorum without agreement asks one more peer per retry, then fails no_majority", async () => {
  const h = await started({ peers: ["A", "B", "C", "D"], maxRetries: 1 });
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t", quorum: 3 });
    await settle();
    assert.equal(h.runsOf("t").length, 3);
    for (const r of h.runsOf("t")) await h.result(r, r.peer);
    await h.time.advance(500);
    const fourth = h.runsOf("t")[3]!;
    assert.ok(fourth, "a fourth peer is asked");
    assert.ok(!h.runsOf("t").slice(0, 3).some((r) => r.peer === fourth.peer));
    await h.result(fourth, "D's own");
    const outcome = await h.coordinator.wait("t");
    assert.equal(outcome.state === "failed" && outcome.reason, "no_majority");
  } finally {
    h.stop();
  }
});

test("coordinator: when every capable peer was tried, a retry may go back to one that timed out", async () => {
  const h = await started({ peers: ["A"] });
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await settle();
    await h.time.advance(ATTEMPT_MS + 500);
    assert.equal(h.runsOf("t").length, 2, "re-sent to the only peer instead of waiting for the deadline");
    await h.result(h.last("t"), "ok");
    assert.equal((await h.coordinator.wait("t")).state, "done");
  } finally {
    h.stop();
  }
});

test("coordinator: the outcome is delivered once: every wait() gets the same one, a remote origin gets exactly one delivery", async () => {
  const h = await started();
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "local" });
    await h.coordinator.submit({ kind: "echo", input: 2, id: "remote" }, "peer-requester");
    await settle();
    const waits = [h.coordinator.wait("local"), h.coordinator.wait("local")];
    const local = h.last("local");
    await h.result(local, "L");
    await h.result(local, "L again");
    const remote = h.last("remote");
    await h.result(remote, "R");
    await h.result(remote, "R again");
    const [a, b] = await Promise.all(waits);
    assert.deepEqual(a, b);
    // Asked again once delivered: the same outcome less its output (the default retention drops it).
    assert.deepEqual(await h.coordinator.wait("local"), { ...a, output: null, outputDeleted: true });
    await h.time.advance(100);
    assert.deepEqual(h.delivered.map((o) => o.id), ["remote"]);
    assert.equal(h.delivered[0]!.state === "done" && h.delivered[0]!.output, "R");
    assert.equal(h.coordinator.counters.done, 2);
    assert.equal(h.coordinator.counters.late, 2);
    await assert.rejects(h.coordinator.wait("nope"), /no task nope/);
  } finally {
    h.stop();
  }
});

test("coordinator: resubmitting a known ID does not run it again (pending, finished, or after a restart)", async () => {
  const h = await started();
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "same" });
    await settle();
    assert.equal(await h.coordinator.submit({ kind: "echo", input: 1, id: "same" }), "same");
    await settle();
    assert.equal(h.runsOf("same").length, 1, "pending: not placed twice");
    await h.result(h.last("same"), "v1");
    await h.coordinator.wait("same");
    await h.coordinator.submit({ kind: "echo", input: 99, id: "same" });
    await h.time.advance(500);
    assert.equal(h.runsOf("same").length, 1, "finished: not run again");
    assert.equal(h.coordinator.counters.submitted, 1);
    h.stop();
    const again = new Harness({ files: h.files, time: h.time });
    await again.start();
    try {
      await again.coordinator.submit({ kind: "echo", input: 1, id: "same" });
      await again.time.advance(500);
      assert.equal(again.sent.length, 0, "after a restart: answered from the journal");
      const outcome = await again.coordinator.wait("same");
      assert.equal(outcome.state, "done", "answered from the journal, its output already delivered and dropped");
      assert.equal(outcome.state === "done" && outcome.outputDeleted, true);
    } finally {
      again.stop();
    }
  } finally {
    h.stop();
  }
});

test("coordinator: two concurrent submissions of one new ID run it once", async () => {
  const h = await started();
  try {
    const ids = await Promise.all([h.coordinator.submit({ kind: "echo", input: 1, id: "race" }), h.coordinator.submit({ kind: "echo", input: 1, id: "race" })]);
    assert.deepEqual(ids, ["race", "race"]);
    await h.time.advance(300);
    assert.equal(h.runsOf("race").length, 1);
    assert.equal(h.coordinator.counters.submitted, 1);
  } finally {
    h.stop();
  }
});

test("coordinator: a restarted coordinator resumes journaled pending tasks and waits for workers to come back", async () => {
  const files = memoryFiles();
  const h = await started({ files });
  await h.coordinator.submit({ kind: "echo", input: 1, id: "p1" });
  await h.coordinator.submit({ kind: "echo", input: 2, id: "p2" });
  await settle();
  await h.result(h.last("p1"), "one");
  await h.coordinator.wait("p1");
  h.stop();
  // Restart a minute later; the workers need a few seconds to reconnect to the new instance.
  await h.time.advance(60_000);
  const again = new Harness({ files, time: h.time, peers: [] });
  await again.start();
  try {
    await again.time.advance(5_000);
    assert.equal(again.coordinator.view("p2")!.outcome, null, "not failed while no worker is back yet (submitted 60 s ago, resumed 5 s ago)");
    again.peers = [...new Harness().peers];
    await again.time.advance(300);
    assert.equal(again.runsOf("p1").length, 0, "the finished task is not run again");
    await again.result(again.last("p2"), "two");
    const outcome = await again.coordinator.wait("p2");
    assert.equal(outcome.state === "done" && outcome.output, "two");
  } finally {
    again.stop();
  }
});

test("coordinator: an outcome finished but not delivered to a remote requester is delivered after a restart", async () => {
  const files = memoryFiles();
  const h = await started({ files });
  await h.coordinator.submit({ kind: "echo", input: 1, id: "r" }, "peer-requester");
  await settle();
  h.online = false; // the requester cannot be reached when the task finishes
  await h.result(h.last("r"), "R");
  assert.deepEqual(h.delivered, []);
  h.stop();
  const again = new Harness({ files, time: h.time });
  await again.start(); // delivery is attempted only once the node runs
  try {
    await again.time.advance(300);
    assert.deepEqual(again.delivered.map((o) => o.id), ["r"]);
    assert.equal(again.sent.length, 0, "not run again");
  } finally {
    again.stop();
  }
});

test("coordinator: no capable peer for 10 s fails the task no_capable_peer", async () => {
  const h = await started({ peers: [] });
  try {
    await h.coordinator.submit({ kind: "echo", input: 1, id: "t" });
    await h.time.advance(9_000);
    assert.equal(h.coordinator.view("t")!.outcome, null);
    await h.time.advance(2_000);
    const outcome = await h.coordinator.wait("t");
    assert.equal(outcome.state === "failed" && outcome.reason, "no_capable_peer");
  } finally {
    h.stop();
  }
});

test("coordinator: higher priority tasks are placed first when room is short", async () => {
  const h = await started({ peers: ["A"] });
  try {
    h.peers[0]!.queue = 5; // full: nothing can be placed
    await h.coordinator.submit({ kind: "echo", input: 1, id: "low", priority: 1 });
    await h.coordinator.submit({ kind: "echo", input: 1, id: "high", priority: 9 });
    await h.coordinator.submit({ kind: "echo", input: 1, id: "mid", priority: 5 });
    await settle();
    assert.equal(h.sent.length, 0);
    h.peers[0]!.queue = 0;
    h.peers[0]!.capacity = 0; // room for exactly one (capacity + concurrency = 1)
    await h.time.advance(150);
    assert.deepEqual(h.sent.map((s) => s.request.taskId), ["high"]);
    await h.result(h.last("high"));
    assert.deepEqual(h.sent.map((s) => s.request.taskId), ["high", "mid"]);
  } finally {
    h.stop();
  }
});

test("coordinator: stop() leaves no timer behind", async () => {
  const h = await started();
  assert.ok(h.time.pending > 0);
  h.stop();
  assert.equal(h.time.pending, 0);
  h.stop(); // idempotent
  assert.equal(h.time.pending, 0);
});
