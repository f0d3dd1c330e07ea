// Restart of the submitting agent mid-run: SIGTERM the coordinator (it also hosts the broker) while
// tasks are pending, start it again on the same data dir and port, and every pending task resumes
// from the journal and finishes; results are collected with `agent submit --id X --wait` and the
// control socket's `result`, and no task finishes twice across the two runs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { nodeFiles } from "../../src/adapters/node/files-node.ts";
import { TaskJournal } from "../../src/tasks/journal.ts";
import { event } from "../support/netns.ts";
import { waitFor } from "../support/wait.ts";
import { agentCli, control, finishedLines, results, submitAll, TaskLab, type Outcome } from "./task-lab.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test("coordinator restarted mid-run (SIGTERM, same data dir): pending tasks resume from the journal and finish, each once", { timeout: 180_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, ...workers] = await lab.members(3);
  const first = await lab.startCoordinator(boss!);
  for (const w of workers) lab.startWorker(w, first.url, ["--concurrency", "1"]);
  await lab.joined(first.proc, workers);

  // A few through the real CLI (`agent submit --id`), the bulk through the control socket.
  const viaCli = Array.from({ length: 4 }, (_, i) => ({ id: `c-cli-${i}`, text: `restart cli ${i}` }));
  const printed = await Promise.all(viaCli.map((c) => agentCli(["submit", "sha256", "--input-text", c.text, "--id", c.id, "--data-dir", boss!.dir])));
  for (const [i, r] of printed.entries()) assert.deepEqual([r.code, r.stdout], [0, viaCli[i]!.id], r.stderr);
  const count = 1_200;
  const text = (i: number) => `restart test ${i} `.repeat(40);
  // Submit in the background and restart while tasks are still coming in and waiting: submissions
  // cut off by the restart fail here and are simply submitted again afterwards.
  const submitting = submitAll(boss!, Array.from({ length: count }, (_, i) => ({ kind: "sha256", input: text(i), id: `c-${i}` }))).catch(() => null);
  await waitFor(
    async () => {
      if (finishedLines([first.proc]).size < 150) return false;
      const list = (await control(boss!, "tasks")) as Array<{ state: string }>;
      return list.filter((x) => x.state !== "done" && x.state !== "failed").length >= 5;
    },
    60_000,
    "150 tasks done and at least 5 pending",
    10,
  );
  const stopped = await first.proc.stop();
  await submitting;
  assert.equal(stopped.code, 0, `the coordinator stopped cleanly: ${JSON.stringify(stopped)}\n${first.proc.tail()}`);
  const doneBefore = finishedLines([first.proc]).size;

  const journal = await new TaskJournal(nodeFiles, boss!.dir).load(Date.now());
  const pending = journal.filter((e) => e.outcome === null).map((e) => e.spec.id);
  t.diagnostic(`stopped with ${doneBefore} done and ${pending.length} of ${journal.length} journaled tasks pending`);
  assert.ok(pending.length > 0, "tasks were pending at the restart");

  const second = await lab.startCoordinator(boss!, first.port);
  assert.equal(second.url, first.url, "the same broker address, so the workers come back by themselves");
  const resumed = second.proc.filter(event("task.resumed")).map((l) => String(l.task));
  assert.deepEqual(resumed.sort(), [...pending].sort(), "exactly the pending tasks resume");

  // Submitting every ID again (as a client unsure what got through would): known IDs are not re-run.
  const all = Array.from({ length: count }, (_, i) => ({ kind: "sha256", input: text(i), id: `c-${i}` }));
  await submitAll(boss!, all);
  const waited = await Promise.all(viaCli.map((c) => agentCli(["submit", "sha256", "--input-text", c.text, "--id", c.id, "--wait", "--json", "--data-dir", boss!.dir])));
  for (const [i, r] of waited.entries()) {
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as Outcome;
    assert.equal(o.state === "done" && o.output, sha256(viaCli[i]!.text));
  }
  const outcomes = await results(boss!, all.map((s) => s.id));
  for (let i = 0; i < count; i++) {
    const o = outcomes.get(`c-${i}`)!;
    assert.equal(o.state, "done", `c-${i}: ${JSON.stringify(o)}`);
    assert.equal(o.state === "done" && o.output, sha256(text(i)));
  }
  for (const id of pending) assert.equal(outcomes.get(id)?.state ?? (viaCli.some((c) => c.id === id) ? "done" : "missing"), "done", id);
  // Across both runs each task finished once.
  const done = finishedLines([first.proc, second.proc]);
  assert.equal(done.size, count + viaCli.length);
  const twice = [...done].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(twice, [], "no task finished in both runs");
});
