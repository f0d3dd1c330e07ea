// Split tasks and workflows end to end through the CLI: a sum over 10,000 numbers cut across three
// workers, and a workflow file with two independent steps and one that depends on both.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { event } from "../support/netns.ts";
import { agentCli, TaskLab, type Outcome } from "./task-lab.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test("split and workflow: a split sum over 10,000 numbers on three workers, and a three-step workflow file", { timeout: 120_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, ...workers] = await lab.members(4);
  const { proc: coordinator, url } = await lab.startCoordinator(boss!);
  for (const w of workers) lab.startWorker(w, url, ["--concurrency", "2"]);
  await lab.joined(coordinator, workers);
  const dir = ["--data-dir", boss!.dir];

  // Split: the parts are ordinary tasks <id>.part<i>, one per capable worker, merged in order.
  const numbers = Array.from({ length: 10_000 }, (_, i) => i + 1);
  const split = await agentCli(["submit", "sum", "--input-json", JSON.stringify(numbers), "--split", "--id", "s1", "--json", ...dir]);
  assert.equal(split.code, 0, split.stderr);
  const total = JSON.parse(split.stdout) as Outcome;
  assert.equal(total.state === "done" && total.output, 50_005_000);
  assert.ok(total.state === "done" && total.workers.length > 1, `the parts ran on more than one worker: ${JSON.stringify(total)}`);
  const list = JSON.parse((await agentCli(["tasks", "--json", ...dir])).stdout) as Array<{ id: string; state: string; outcome: { workers?: string[] } | null }>;
  const parts = list.filter((x) => x.id.startsWith("s1.part"));
  assert.equal(parts.length, 3, `one part per worker: ${parts.map((p) => p.id)}`);
  assert.ok(parts.every((p) => p.state === "done"));
  assert.ok(new Set(parts.flatMap((p) => p.outcome?.workers ?? [])).size > 1);

  // Workflow: a and b are independent; c waits for both and echoes a's output.
  const workflow = {
    name: "two then one",
    steps: [
      { id: "a", kind: "sha256", input: { $input: true } },
      { id: "b", kind: "sum", input: [1, 2, 3, 4] },
      { id: "c", kind: "echo", after: ["a", "b"], input: { $from: "a" } },
    ],
  };
  const file = join(lab.base, "workflow.json");
  await writeFile(file, JSON.stringify(workflow));
  const wf = await agentCli(["submit", "--workflow", file, "--input-text", "hello", "--id", "wf1", "--json", ...dir]);
  assert.equal(wf.code, 0, wf.stderr);
  const outcome = JSON.parse(wf.stdout) as Outcome;
  assert.equal(outcome.state === "done" && outcome.output, sha256("hello"));
  assert.deepEqual(outcome.state === "done" && outcome.steps, { a: "done", b: "done", c: "done" });
  const at = (name: string, task: string) => coordinator.lines.findIndex((l) => event(name, { task })(l));
  assert.ok(at("task.submitted", "wf1.c") > at("task.done", "wf1.a") && at("task.submitted", "wf1.c") > at("task.done", "wf1.b"), "c was submitted only after a and b were done");
  const overlap = at("task.submitted", "wf1.b") < at("task.done", "wf1.a") || at("task.submitted", "wf1.a") < at("task.done", "wf1.b");
  assert.ok(overlap, "a and b ran side by side (one was submitted before the other finished)");
  const b = (JSON.parse((await agentCli(["tasks", "--json", ...dir])).stdout) as Array<{ id: string; state: string }>).find((x) => x.id === "wf1.b");
  assert.equal(b?.state, "done");

  // A workflow with a cycle is refused before anything runs.
  const cyclic = join(lab.base, "cyclic.json");
  await writeFile(cyclic, JSON.stringify({ steps: [{ id: "x", kind: "echo", after: ["y"] }, { id: "y", kind: "echo", after: ["x"] }] }));
  const refused = await agentCli(["submit", "--workflow", cyclic, ...dir]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /the steps x, y depend on each other in a cycle/);
});
