// The MQTT submission interface for member agents: a signed direct `task.submit` to a coordinator,
// answered by `task.done` on the requester's inbox. In-process agents (the Agent class with the
// adapters `agent run` uses, mDNS off) on the embedded broker at 127.0.0.1, port 0.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { Agent } from "../../src/agent/agent.ts";
import type { TaskOutcome } from "../../src/tasks/task.ts";
import { makeMesh, Scope } from "../support/mesh-fixtures.ts";
import { startTaskAgent } from "../support/task-agent.ts";
import { waitFor } from "../support/wait.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function start(scope: Scope, dataDir: string, config: Record<string, unknown>, name: string): Promise<Agent> {
  return startTaskAgent(scope, dataDir, config, name);
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

test("task.submit over the mesh: the requester gets task.done once per submission; a known ID is answered, not run again", { timeout: 60_000 }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const kit = await makeMesh(scope, 2);
  const coordinator = await start(scope, kit.owner.dataDir, { broker: "embedded", roles: "coordinator" }, "coordinator");
  const url = coordinator.hostedBroker!.url;
  const worker = await start(scope, kit.members[0]!.dataDir, { broker: url, roles: "processing" }, "worker");
  const requester = await start(scope, kit.members[1]!.dataDir, { broker: url, roles: "coordinator" }, "requester");
  await waitFor(() => coordinator.node.peers.live().length === 2 && requester.node.peers.get(coordinator.identity.id)?.health === "alive" && worker.node.connection.connected, 15_000, "the three agents meet");

  const first = await within(requester.tasks.submitRemote(coordinator.identity.id, { kind: "sha256", input: "over mqtt", id: "r1" }), 15_000, "task.done");
  assert.equal(first.state, "done");
  assert.equal(first.state === "done" && first.output, sha256("over mqtt"));
  assert.deepEqual(first.state === "done" && first.workers, [worker.identity.id]);
  const view = coordinator.tasks.coordinator.view("r1")!;
  assert.equal(view.origin, requester.identity.id, "the coordinator knows who asked");

  // Once the requester acknowledged task.done, the coordinator drops the output (default retention).
  await waitFor(() => coordinator.tasks.coordinator.retention.counters.outputsDeleted === 1, 5_000, "the delivered output dropped");
  // The requester asks again for the same ID (say it restarted): the outcome comes back, less the
  // output it already had; the task does not run again.
  const again = await within(requester.tasks.submitRemote(coordinator.identity.id, { kind: "sha256", input: "over mqtt", id: "r1" }), 15_000, "task.done for a known ID");
  assert.deepEqual(again, { ...first, output: null, outputDeleted: true });
  assert.equal(worker.tasks.worker!.counters.succeeded, 1, "ran once");
  assert.equal(coordinator.tasks.coordinator.counters.submitted, 1);

  // A bad spec is answered with a failed outcome naming the problem, not silence.
  const bad: TaskOutcome = await within(requester.tasks.submitRemote(coordinator.identity.id, { kind: "Not A Kind", input: null, id: "r2" }), 15_000, "task.done for a bad spec");
  assert.equal(bad.state, "failed");
  assert.equal(bad.state === "failed" && bad.reason, "cancelled");
  assert.match(bad.state === "failed" ? bad.detail : "", /task kind expected lower-case letters/);
});
