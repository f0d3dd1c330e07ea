// Quorum 3 with one lying worker (P2P_AGENT_TEST_FAULTS=1 P2P_AGENT_TEST_LIE=1 on it alone): the
// majority's answer wins every time, the liar's reputation (agent status --json) falls below the
// floor, and agent explain then shows it excluded for its reputation.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { agentCli, results, status, submitAll, TaskLab } from "./task-lab.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const FLOOR = 0.2;

test("quorum 3 with one lying worker: the majority wins every time and the liar falls below the reputation floor", { timeout: 180_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, honest1, honest2, liar] = await lab.members(4);
  const { proc: coordinator, url } = await lab.startCoordinator(boss!);
  lab.startWorker(honest1!, url, ["--concurrency", "2"]);
  lab.startWorker(honest2!, url, ["--concurrency", "2"]);
  lab.startWorker(liar!, url, ["--concurrency", "2"], { P2P_AGENT_TEST_FAULTS: "1", P2P_AGENT_TEST_LIE: "1" });
  await lab.joined(coordinator, [honest1!, honest2!, liar!]);

  // The liar is penalised only when its wrong answer arrives before the majority has decided, so
  // how many tasks it takes varies; batches of 6 until it is below the floor, at most 120 tasks.
  let submitted = 0;
  let score = 0.5;
  while (submitted < 120) {
    const batch = Array.from({ length: 6 }, (_, i) => ({ kind: "sha256", input: `quorum ${submitted + i}`, id: `q-${submitted + i}`, quorum: 3 }));
    submitted += batch.length;
    const outcomes = await results(boss!, await submitAll(boss!, batch));
    for (const spec of batch) {
      const o = outcomes.get(spec.id)!;
      assert.equal(o.state, "done", `${spec.id}: ${JSON.stringify(o)}`);
      assert.equal(o.state === "done" && o.output, sha256(spec.input), `${spec.id}: the majority's answer wins`);
      assert.ok(o.state === "done" && o.workers.length >= 2 && !o.workers.includes(liar!.id), `${spec.id}: decided by the honest pair, not the liar`);
    }
    score = (await status(boss!)).reputation[liar!.id]?.score ?? 0.5;
    if (score < FLOOR) break;
  }
  t.diagnostic(`liar's reputation ${score.toFixed(3)} after ${submitted} quorum tasks`);
  assert.ok(score < FLOOR, `the liar's reputation ${score} fell below ${FLOOR} within ${submitted} tasks`);
  const snapshot = (await status(boss!)).reputation;
  for (const h of [honest1!, honest2!]) assert.ok(snapshot[h.id]!.score > 0.5, `honest ${h.short} gained: ${snapshot[h.id]!.score}`);
  const disagreements = coordinator.lines.filter((l) => l.event === "task.quorum_disagreement");
  assert.ok(disagreements.length >= 1 && disagreements.every((l) => l.outvoted === liar!.short), "only the liar was ever outvoted");

  // Now the liar gets no work: a quorum-3 task is decided by the two honest workers, and explain says why.
  const submit = await agentCli(["submit", "sha256", "--input-text", "after the fall", "--quorum", "3", "--id", "q-after", "--wait", "--json", "--data-dir", boss!.dir]);
  assert.equal(submit.code, 0, submit.stderr);
  const after = JSON.parse(submit.stdout);
  assert.equal(after.output, sha256("after the fall"));
  assert.deepEqual([...after.workers].sort(), [honest1!.id, honest2!.id].sort());
  const explain = await agentCli(["explain", "q-after", "--data-dir", boss!.dir]);
  assert.equal(explain.code, 0, explain.stderr);
  t.diagnostic(`agent explain q-after:\n${explain.stdout}`);
  const liarRow = explain.stdout.split("\n").find((line) => line.trim().startsWith(liar!.short));
  assert.ok(liarRow, `explain lists the liar:\n${explain.stdout}`);
  assert.match(liarRow!, /excluded: reputation 0\.\d\d below the floor/);
  const json = JSON.parse((await agentCli(["explain", "q-after", "--json", "--data-dir", boss!.dir])).stdout) as Array<{ chosen: string[]; ranking: Array<{ id: string; excluded: string | null }> }>;
  assert.ok(json.every((p) => !p.chosen.includes(liar!.id)));
  assert.match(json[0]!.ranking.find((r) => r.id === liar!.id)!.excluded!, /below the floor/);
});
