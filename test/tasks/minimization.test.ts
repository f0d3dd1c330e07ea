// Data minimization across real agents (child processes on 127.0.0.1): task inputs are dropped when
// a task finishes and outputs once delivered, unless the retention policy keeps them for a while;
// no payload ever reaches a log line, on the coordinator or the worker, not even in a task's error.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { waitFor } from "../support/wait.ts";
import { control, TaskLab, type Outcome } from "./task-lab.ts";

const MARKER = "payload-marker-7f3a9c";

/** Every file under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path).catch(() => Buffer.alloc(0));
    if (bytes.includes(needle)) found.push(path);
  }
  return found;
}

const specs = [
  { id: "m-echo", kind: "echo", input: `${MARKER} echo` },
  { id: "m-private", kind: "echo", input: `${MARKER} private`, private: true },
  { id: "m-sha", kind: "sha256", input: `${MARKER} hashed` },
  // A task whose own error quotes its input: the user gets the detail, the logs get only the code.
  { id: "m-bad", kind: "infer", input: { model: `${MARKER} not a hash`, inputs: {} } },
  { id: "m-sum", kind: "sum", input: [1, 2, 3], params: { note: MARKER } },
];

test("inputs go when a task finishes and outputs once delivered; no payload in any log line", { timeout: 120_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, worker] = await lab.members(2);
  const { proc: coordinator, url } = await lab.startCoordinator(boss!, 0, ["--log-level", "debug"]);
  const workerProc = lab.startWorker(worker!, url, ["--log-level", "debug"]);
  await lab.joined(coordinator, [worker!]);

  const outcomes = new Map<string, Outcome>();
  for (const spec of specs) outcomes.set(spec.id, (await control(boss!, "submit", { spec, wait: true })) as Outcome);
  const echo = outcomes.get("m-echo")!;
  assert.equal(echo.state, "done");
  assert.equal(echo.state === "done" && echo.output, `${MARKER} echo`, "the one who asked gets the output");
  assert.equal(outcomes.get("m-private")!.state, "done");
  const bad = outcomes.get("m-bad")!;
  assert.equal(bad.state, "failed");
  assert.match(bad.state === "failed" ? bad.detail : "", new RegExp(`bad_input.*${MARKER}`), "the detail goes to whoever asked");

  // Asked again: the record stays (no second run), the output does not.
  const again = (await control(boss!, "result", { id: "m-echo" })) as Outcome & { outputDeleted?: boolean };
  assert.deepEqual(again, { ...echo, output: null, outputDeleted: true });
  await waitFor(async () => (await filesContaining(boss!.dir, MARKER)).length === 0, 10_000, "the journal rewritten without payloads", 100).catch(async (e) => {
    assert.fail(`${e.message}: ${(await filesContaining(boss!.dir, MARKER)).join(", ")}`);
  });
  assert.deepEqual(await filesContaining(worker!.dir, MARKER), [], "nothing of it on the worker's disk");
  const status = (await control(boss!, "status")) as { tasks: { retention: Record<string, number> } };
  assert.equal(status.tasks.retention.inputsDeleted, specs.length);
  assert.equal(status.tasks.retention.outputsDeleted, specs.length);

  for (const proc of [coordinator, workerProc]) {
    assert.ok(proc.raw.length >= 3, `${proc.label} logged (${proc.raw.length} lines)`);
    const leaks = [...proc.raw, ...proc.stdout].filter((line) => line.includes(MARKER));
    assert.deepEqual(leaks, [], `${proc.label}: no log line carries a payload`);
  }
});

test("a retention policy keeps inputs and outputs for its seconds, then drops them", { timeout: 120_000 }, async (t) => {
  const lab = await TaskLab.create(t);
  const [boss, worker] = await lab.members(2);
  const config = await lab.config("keep", { retention: { inputSeconds: 2, outputSeconds: 2 } });
  const { proc: coordinator, url } = await lab.startCoordinator(boss!, 0, ["--config", config]);
  lab.startWorker(worker!, url);
  await lab.joined(coordinator, [worker!]);

  const first = (await control(boss!, "submit", { spec: { id: "k-1", kind: "echo", input: `${MARKER} kept` }, wait: true })) as Outcome;
  assert.equal(first.state === "done" && first.output, `${MARKER} kept`);
  assert.deepEqual(await control(boss!, "result", { id: "k-1" }), first, "within the policy the same outcome, output and all");
  assert.ok((await filesContaining(boss!.dir, MARKER)).length > 0, "the journal keeps the payload meanwhile");
  await waitFor(async () => ((await control(boss!, "result", { id: "k-1" })) as { outputDeleted?: boolean }).outputDeleted === true, 15_000, "the output dropped after 2 s", 100);
  await waitFor(async () => (await filesContaining(boss!.dir, MARKER)).length === 0, 10_000, "the payload gone from disk", 100);
});
