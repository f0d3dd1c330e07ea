// Tasks across real agents: `node scripts/agent.mjs run` child processes on 127.0.0.1, the
// coordinator (roles coordinator only) hosting the embedded broker, workers connected to it, tasks
// submitted through the control socket and the CLI. Each test tears its agents down even on failure.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { event } from "../support/netns.ts";
import { waitFor } from "../support/wait.ts";
import { control, finishedLines, results, submitAll, TaskLab } from "./task-lab.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test("200 sha256 tasks on three workers through a coordinator: all done, each result exactly once", { timeout: 120_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, ...workers] = await lab.members(4);
  const { proc: coordinator, url } = await lab.startCoordinator(boss!);
  for (const w of workers) lab.startWorker(w, url, ["--concurrency", "2"]);
  await lab.joined(coordinator, workers);

  const t0 = Date.now();
  const specs = Array.from({ length: 200 }, (_, i) => ({ kind: "sha256", input: `input number ${i}`, id: `a-${i}` }));
  const ids = await submitAll(boss!, specs);
  assert.deepEqual(ids, specs.map((s) => s.id));
  const outcomes = await results(boss!, ids);
  t.diagnostic(`200 tasks submitted and finished in ${Date.now() - t0} ms`);

  const ran = new Map<string, number>();
  for (const [i, id] of ids.entries()) {
    const o = outcomes.get(id)!;
    assert.equal(o.state, "done", `${id}: ${JSON.stringify(o)}`);
    assert.equal(o.state === "done" && o.output, sha256(`input number ${i}`), id);
    for (const w of o.state === "done" ? o.workers : []) ran.set(w, (ran.get(w) ?? 0) + 1);
  }
  assert.ok([...ran.keys()].every((w) => workers.some((m) => m.id === w)), "only workers ran tasks, never the coordinator");
  assert.ok(ran.size >= 2, `the work spread over the workers: ${JSON.stringify(Object.fromEntries(ran))}`);
  // Exactly once: one task.done line per ID, no failure, and a second result call gives the same
  // outcome, less the output (dropped once delivered, under the default retention policy).
  const done = finishedLines([coordinator]);
  assert.equal(done.size, 200);
  assert.ok([...done.values()].every((n) => n === 1), "no task finished twice");
  assert.equal(finishedLines([coordinator], "task.failed").size, 0);
  assert.deepEqual(await control(boss!, "result", { id: "a-7" }), { ...outcomes.get("a-7"), output: null, outputDeleted: true });
  const list = (await control(boss!, "tasks")) as Array<{ id: string; state: string }>;
  assert.equal(list.filter((x) => x.state === "done").length, 200);
});

test("SIGKILL of a worker while tasks run on it: every task still completes, re-placed, none delivered twice", { timeout: 150_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, ...workers] = await lab.members(4);
  const { proc: coordinator, url } = await lab.startCoordinator(boss!);
  const procs = workers.map((w) => lab.startWorker(w, url, ["--concurrency", "1"]));
  await lab.joined(coordinator, workers);
  const victim = procs[0]!;

  const count = 1_500;
  const specs = Array.from({ length: count }, (_, i) => ({ kind: "sha256", input: `kill test ${i} `.repeat(50), id: `b-${i}` }));
  const submitting = submitAll(boss!, specs);
  // Kill once the run is well under way and the coordinator has attempts outstanding on the victim.
  let onVictim: string[] = [];
  await waitFor(
    async () => {
      if (finishedLines([coordinator]).size < 100) return false;
      const list = (await control(boss!, "tasks")) as Array<{ id: string; state: string; workers: string[] }>;
      onVictim = list.filter((x) => (x.state === "placed" || x.state === "running") && x.workers.includes(victim.member.id)).map((x) => x.id);
      return onVictim.length > 0;
    },
    60_000,
    "tasks running on the victim",
    20,
  );
  const killedAt = finishedLines([coordinator]).size;
  victim.kill("SIGKILL");
  await victim.exited;
  t.diagnostic(`killed ${victim.member.short} with ${onVictim.length} tasks on it (${onVictim.join(", ")}), ${killedAt} of ${count} done`);

  const ids = await submitting;
  const outcomes = await results(boss!, ids, 120_000);
  for (const [i, id] of ids.entries()) {
    const o = outcomes.get(id)!;
    assert.equal(o.state, "done", `${id}: ${JSON.stringify(o)}`);
    assert.equal(o.state === "done" && o.output, sha256(`kill test ${i} `.repeat(50)));
  }
  assert.ok(killedAt < count, "the kill came before the end of the run");
  // The attempts outstanding on the victim when it died were re-placed and finished on survivors.
  // (A task seen on the victim just before the kill may still have finished there in time.)
  const replaced = [...new Set(coordinator.filter(event("task.retry")).filter((l) => String(l.reason).includes("left the mesh")).map((l) => String(l.task)))];
  t.diagnostic(`re-placed after the kill: ${replaced.join(", ")}`);
  assert.ok(replaced.length >= 1, "the coordinator re-placed attempts because the victim left");
  for (const id of replaced) {
    const o = outcomes.get(id)!;
    assert.ok(o.state === "done" && !o.workers.includes(victim.member.id), `${id} was re-placed on a survivor: ${JSON.stringify(o)}`);
  }
  const done = finishedLines([coordinator]);
  assert.equal(done.size, count);
  assert.ok([...done.values()].every((n) => n === 1), "no task finished twice");
  const peers = ((await control(boss!, "status")) as { peers: Array<{ id: string; health: string }> }).peers;
  assert.equal(peers.find((p) => p.id === victim.member.id)?.health, "gone");
});
