// Overload: 1,000 quick tasks from two submitting agents to two workers that run one task at a
// time. One coordinator never overfills a worker (it counts what it has outstanding there), so two
// submit at once: together they offer more than a worker's queue holds, the workers answer busy,
// the submitters back off and retry elsewhere, every task finishes once, and the workers' resident
// memory stays bounded (VmRSS from /proc/PID/status, sampled throughout).
import assert from "node:assert/strict";
import { test } from "node:test";
import { finishedLines, results, rssKb, status, submitAll, TaskLab } from "./task-lab.ts";

const RSS_LIMIT_MB = 300;

test("overload: 1,000 tasks to 2 workers with --concurrency 1: busy answers, retries, all finish, worker RSS bounded", { timeout: 240_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [c1, c2, w1, w2] = await lab.members(4);
  const { proc: host, url } = await lab.startCoordinator(c1!);
  const second = lab.start(c2!, ["--broker", url, "--roles", "coordinator"], { label: `coordinator ${c2!.short}` });
  const workers = [w1!, w2!].map((w) => lab.startWorker(w, url, ["--concurrency", "1"]));
  await lab.joined(host, [c2!, w1!, w2!]);
  await lab.joined(second, [w1!, w2!]);

  const pids = workers.map((w) => w.child.pid!);
  const before = await Promise.all(pids.map(rssKb));
  let peak = Math.max(...before);
  const sampler = setInterval(() => {
    for (const pid of pids) void rssKb(pid).then((kb) => (peak = Math.max(peak, kb)), () => {});
  }, 100);
  t.after(() => clearInterval(sampler));

  const t0 = Date.now();
  const per = 500;
  const specs = (prefix: string) => Array.from({ length: per }, (_, i) => ({ kind: "echo", input: { n: i, from: prefix }, id: `${prefix}-${i}` }));
  const [ids1, ids2] = await Promise.all([submitAll(c1!, specs("e1")), submitAll(c2!, specs("e2"))]);
  const [out1, out2] = await Promise.all([results(c1!, ids1!, 180_000), results(c2!, ids2!, 180_000)]);
  clearInterval(sampler);
  const after = await Promise.all(pids.map(rssKb));
  t.diagnostic(`1,000 tasks in ${Date.now() - t0} ms; worker RSS before ${before.map((k) => Math.round(k / 1024))} MB, after ${after.map((k) => Math.round(k / 1024))} MB, peak ${Math.round(peak / 1024)} MB`);

  for (const [prefix, outcomes] of [["e1", out1!], ["e2", out2!]] as const) {
    for (let i = 0; i < per; i++) {
      const o = outcomes.get(`${prefix}-${i}`)!;
      assert.equal(o.state, "done", `${prefix}-${i}: ${JSON.stringify(o)}`);
      assert.deepEqual(o.state === "done" && o.output, { n: i, from: prefix });
    }
  }
  const [s1, s2, sw1, sw2] = await Promise.all([c1!, c2!, w1!, w2!].map(status));
  const busy = [s1!, s2!].map((s) => s.tasks.coordinator.busy!);
  t.diagnostic(`busy answers seen by the submitters: ${busy.join(", ")}; retried ${[s1!, s2!].map((s) => s.tasks.coordinator.retried).join(", ")}; sent busy by the workers: ${[sw1!, sw2!].map((s) => s.tasks.worker!.busy).join(", ")}`);
  assert.ok(busy[0]! + busy[1]! > 0, "the submitters were told busy");
  assert.ok(sw1!.tasks.worker!.busy! + sw2!.tasks.worker!.busy! > 0, "the workers said busy instead of queueing without bound");
  assert.equal(s1!.tasks.coordinator.done! + s2!.tasks.coordinator.done!, 1_000);
  assert.equal(s1!.tasks.coordinator.failed! + s2!.tasks.coordinator.failed!, 0);
  const done = finishedLines([host, second]);
  assert.equal(done.size, 1_000);
  assert.ok([...done.values()].every((n) => n === 1), "no task finished twice");
  for (const w of workers) assert.equal(w.done, false, `${w.label} is still running`);
  assert.ok(Math.max(...after) < RSS_LIMIT_MB * 1024, `worker RSS after: ${after} kB`);
  assert.ok(peak < RSS_LIMIT_MB * 1024, `worker RSS peak: ${peak} kB`);
});
