// Tasks across hosts: a coordinator and two workers, each `node scripts/agent.mjs run` in its own
// network namespace on one bridge (test/support/netns.ts, mesh-lab.ts), the coordinator hosting the
// embedded broker on its LAN address, the workers connecting to it by URL, no mDNS. A worker is
// SIGKILLed mid-run; every task still completes, once. Skips without root or `ip`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { BROKER_PORT, brokerUrl, MeshLab, ROOT, type AgentProc, type Member } from "../support/mesh-lab.ts";
import { event, netnsUnavailable, runIn } from "../support/netns.ts";
import { waitFor } from "../support/wait.ts";
import { BASE_FLAGS, control, finishedLines, results, submitAll } from "./task-lab.ts";

const skip = netnsUnavailable() ?? false;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Starts the real `agent run` for `member` inside host `index`'s namespace; the lab tears it down. */
function startIn(lab: MeshLab, index: number, member: Member, flags: string[], label: string): AgentProc {
  const host = lab.lan.hosts[index]!;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const proc = runIn(host.ns, label, process.execPath, [join(ROOT, "scripts", "agent.mjs"), "run", "--data-dir", member.dir, ...BASE_FLAGS, ...flags], { cwd: ROOT, env }) as AgentProc;
  Object.assign(proc, { member, host, startedAt: Date.now() });
  lab.agents.push(proc);
  return proc;
}

test("namespaces: coordinator hosting the broker, two workers on other hosts, one SIGKILLed mid-run: every task completes once", { skip, timeout: 180_000 }, async (t) => {
  const lab = await MeshLab.create(t, 3);
  const [boss, w1, w2] = await lab.members(3);
  const coordinatorHost = lab.lan.hosts[0]!;
  const coordinator = startIn(lab, 0, boss!, ["--broker", "embedded", "--listen", `${coordinatorHost.address}:${BROKER_PORT}`, "--roles", "coordinator"], `coordinator@${coordinatorHost.address}`);
  await coordinator.waitFor(event("agent.ready"), "agent.ready", { timeoutMs: 30_000 });
  const url = brokerUrl(coordinatorHost);
  const survivor = startIn(lab, 1, w1!, ["--broker", url, "--roles", "processing", "--concurrency", "1"], `worker@${lab.lan.hosts[1]!.address}`);
  const victim = startIn(lab, 2, w2!, ["--broker", url, "--roles", "processing", "--concurrency", "1"], `worker@${lab.lan.hosts[2]!.address}`);
  for (const w of [w1!, w2!]) await coordinator.waitFor(event("peer.join", { peer: w.short }), `peer.join of ${w.short}`, { timeoutMs: 30_000 });
  for (const w of [survivor, victim]) {
    const connected = await w.waitFor(event("broker.connected"), "broker.connected", { timeoutMs: 10_000 });
    assert.equal(connected.url, url, `${w.label} reached the broker over the LAN`);
  }

  const count = 800;
  const text = (i: number) => `namespace task ${i} `.repeat(40);
  // The control socket is a file in the data dir, reachable from here whatever the namespace.
  const submitting = submitAll(boss!, Array.from({ length: count }, (_, i) => ({ kind: "sha256", input: text(i), id: `n-${i}` })));
  let onVictim: string[] = [];
  await waitFor(
    async () => {
      if (finishedLines([coordinator]).size < 50) return false;
      const list = (await control(boss!, "tasks")) as Array<{ id: string; state: string; workers: string[] }>;
      onVictim = list.filter((x) => (x.state === "placed" || x.state === "running") && x.workers.includes(w2!.id)).map((x) => x.id);
      return onVictim.length > 0;
    },
    60_000,
    "tasks running on the victim",
    20,
  );
  const doneAtKill = finishedLines([coordinator]).size;
  victim.kill("SIGKILL");
  await victim.exited;
  t.diagnostic(`killed the worker at ${victim.host.address} with ${onVictim.length} tasks on it, ${doneAtKill} of ${count} done`);

  const ids = await submitting;
  const outcomes = await results(boss!, ids, 120_000);
  for (const [i, id] of ids.entries()) {
    const o = outcomes.get(id)!;
    assert.equal(o.state, "done", `${id}: ${JSON.stringify(o)}`);
    assert.equal(o.state === "done" && o.output, sha256(text(i)));
  }
  // What was outstanding on the victim when it died was re-placed and finished on the survivor.
  const replaced = [...new Set(coordinator.filter(event("task.retry")).filter((l) => String(l.reason).includes("left the mesh")).map((l) => String(l.task)))];
  assert.ok(replaced.length >= 1, "the coordinator re-placed attempts because the victim left");
  for (const id of replaced) {
    const o = outcomes.get(id)!;
    assert.ok(o.state === "done" && o.workers.includes(w1!.id) && !o.workers.includes(w2!.id), `${id} was re-placed on the survivor: ${JSON.stringify(o)}`);
  }
  assert.ok(doneAtKill < count);
  const done = finishedLines([coordinator]);
  assert.equal(done.size, count);
  assert.ok([...done.values()].every((n) => n === 1), "no task finished twice");
  await coordinator.waitFor(event("peer.leave", { peer: w2!.short }), "peer.leave of the victim", { timeoutMs: 10_000 });
  assert.equal(survivor.done, false);
});
