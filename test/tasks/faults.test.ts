// The fault kinds fail alone: workers started with P2P_AGENT_TEST_FAULTS=1 run fault.throw,
// fault.loop and fault.alloc in their worker threads; each task fails with its own reason, and
// afterwards ordinary tasks still succeed on the same agents, which are still running.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { waitFor } from "../support/wait.ts";
import { agentCli, control, results, status, submitAll, TaskLab, type Outcome } from "./task-lab.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test("fault kinds: throw → task_error, loop with --timeout 1 → timeout, alloc → out_of_memory; then normal tasks succeed and the agents live", { timeout: 180_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, ...workers] = await lab.members(3);
  const { proc: coordinator, url } = await lab.startCoordinator(boss!);
  const config = await lab.config("worker", { taskMemoryMb: 128 });
  const procs = workers.map((w) => lab.startWorker(w, url, ["--concurrency", "1", "--config", config], { P2P_AGENT_TEST_FAULTS: "1" }));
  await lab.joined(coordinator, workers);

  const submit = async (args: string[]): Promise<{ code: number; outcome: Outcome; ms: number }> => {
    const t0 = Date.now();
    const r = await agentCli(["submit", ...args, "--wait", "--json", "--data-dir", boss!.dir]);
    assert.ok(r.stdout.startsWith("{"), `submit ${args.join(" ")} printed an outcome: ${r.stdout} ${r.stderr}`);
    return { code: r.code, outcome: JSON.parse(r.stdout) as Outcome, ms: Date.now() - t0 };
  };
  const failed = (o: Outcome) => {
    assert.equal(o.state, "failed", JSON.stringify(o));
    return o as Extract<Outcome, { state: "failed" }>;
  };

  const thrown = await submit(["fault.throw"]);
  assert.equal(thrown.code, 1, "a failed task exits 1");
  assert.equal(failed(thrown.outcome).reason, "task_error");
  assert.equal(failed(thrown.outcome).detail, "task_error: this task throws on purpose");

  const loop = await submit(["fault.loop", "--timeout", "1"]);
  assert.equal(loop.code, 1);
  assert.equal(failed(loop.outcome).reason, "task_error");
  assert.equal(failed(loop.outcome).detail, "timeout: task ran past its 1000 ms timeout");
  assert.ok(loop.ms < 15_000, `the loop was stopped by its 1 s timeout (submit took ${loop.ms} ms)`);

  const alloc = await submit(["fault.alloc"]);
  assert.equal(alloc.code, 1);
  assert.equal(failed(alloc.outcome).reason, "task_error");
  assert.equal(failed(alloc.outcome).detail, "out_of_memory: task exceeded its 128 MB memory limit");
  t.diagnostic(`fault.throw ${thrown.ms} ms, fault.loop ${loop.ms} ms, fault.alloc ${alloc.ms} ms (each including the CLI's start)`);

  // The same agents still run ordinary tasks: one through the CLI, then a batch over both workers.
  const ok = await agentCli(["submit", "sha256", "--input-text", "still alive", "--wait", "--data-dir", boss!.dir]);
  assert.deepEqual([ok.code, ok.stdout], [0, sha256("still alive")], ok.stderr);
  const batch = Array.from({ length: 20 }, (_, i) => ({ kind: "sha256", input: `after faults ${i}`, id: `f-${i}` }));
  const outcomes = await results(boss!, await submitAll(boss!, batch));
  const ran = new Set<string>();
  for (const spec of batch) {
    const o = outcomes.get(spec.id)!;
    assert.equal(o.state === "done" && o.output, sha256(spec.input), JSON.stringify(o));
    for (const w of o.state === "done" ? o.workers : []) ran.add(w);
  }
  assert.equal(ran.size, 2, "both workers took tasks after the faults");
  for (const p of [coordinator, ...procs]) assert.equal(p.done, false, `${p.label} is still running`);
  const counts = await Promise.all(workers.map(status));
  assert.equal(counts.reduce((s, c) => s + c.tasks.worker!.failed!, 0), 3, "three task failures on the workers, nothing else failed");
  assert.ok(counts.every((c) => c.peers.some((p) => p.id === boss!.id && p.health === "alive")), "the workers still see the coordinator");

  // A worker stopped (SIGTERM) while it runs a task hands it back instead of failing it: the task
  // moves to the other worker (where this one, a fault.loop, then times out on its own merits).
  const long = await agentCli(["submit", "fault.loop", "--timeout", "4", "--id", "moved", "--data-dir", boss!.dir]);
  assert.equal(long.code, 0, long.stderr);
  const first = await waitFor(
    async () => ((await control(boss!, "task", { id: "moved" })) as { state: string; workers: string[] }).workers[0],
    10_000,
    "the long task placed",
  );
  const stopping = procs[workers.findIndex((w) => w.id === first)]!;
  await waitFor(async () => ((await control(boss!, "task", { id: "moved" })) as { state: string }).state === "running", 10_000, "the long task running");
  assert.equal((await stopping.stop()).code, 0, "the worker stopped cleanly");
  const moved = (await control(boss!, "result", { id: "moved" })) as Outcome;
  assert.equal(failed(moved).detail, "timeout: task ran past its 4000 ms timeout", "it timed out on the other worker, it did not fail as crashed");
  const placements = (await control(boss!, "explain", { id: "moved" })) as Array<{ chosen: string[] }>;
  assert.deepEqual(placements.map((p) => p.chosen[0]).filter((id, i, all) => all.indexOf(id) === i).length, 2, "placed on both workers in turn");
});
