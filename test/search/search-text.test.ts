// `search` with text, end to end with the real `vectorize` kind: agent B (processing + vector)
// embeds in its worker threads with onnxruntime and the shipped text-embed model; agent A (vector
// only) has no vectorize, so a text task placed there fails `inference_unavailable` and the
// coordinator places it on B. Expected answers are computed from B's own vectorize output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent } from "../../src/agent/agent.ts";
import { prepareInference, type InferWorkerOptions } from "../../src/adapters/node/infer-kind.ts";
import type { TaskOutcome } from "../../src/tasks/task.ts";
import { VectorIndex } from "../../src/vectors/vector-index.ts";
import type { QueryResult, VectorService } from "../../src/vectors/vector-service.ts";
import { CPU } from "../inference/helpers.ts";
import { makeMesh, Scope, testLogger } from "../support/mesh-fixtures.ts";
import { startTaskAgent } from "../support/task-agent.ts";
import { waitFor } from "../support/wait.ts";

function start(scope: Scope, dataDir: string, config: Record<string, unknown>, name: string, inference: InferWorkerOptions | null): Promise<Agent> {
  return startTaskAgent(scope, dataDir, config, name, { inference });
}

const TEXTS = ["pump three is running hot", "valve four is closed", "the greenhouse needs water", "battery voltage is low", "pump pressure dropped", "door sensor opened"];

test("text adds and text queries embed with the real vectorize kind, placed on the agent that has it", { timeout: 90_000 }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const kit = await makeMesh(scope, 1);
  const a = await start(scope, kit.owner.dataDir, { broker: "embedded", roles: "vector" }, "A", null);
  const bDir = kit.members[0]!.dataDir;
  const inference = await prepareInference({ dataDir: bDir, settings: CPU, log: testLogger("B") });
  assert.ok(inference, "onnxruntime loads here");
  const b = await start(scope, bDir, { broker: a.hostedBroker!.url, roles: "processing,vector" }, "B", inference);
  await waitFor(() => a.node.peers.live().some((p) => p.id === b.identity.id && ((p.presence.caps as { kinds?: string[] }).kinds ?? []).includes("search")), 15_000, "B joins with search");
  await waitFor(() => b.node.peers.live().some((p) => p.id === a.identity.id && p.presence.roles.includes("vector")), 15_000, "B sees A");

  let n = 0;
  const run = async (kind: string, input: unknown): Promise<TaskOutcome> => a.tasks.coordinator.wait(await a.tasks.coordinator.submit({ kind, input, id: `s${n++}` }));
  // What B's vectorize makes of the texts and of the query: the reference.
  const embedded = await run("vectorize", [...TEXTS, "hot pump"]);
  assert.equal(embedded.state, "done", JSON.stringify(embedded));
  const { dim, vectors } = (embedded as { output: { dim: number; vectors: number[][] } }).output;
  const query = vectors.pop()!;

  // Text items: wherever placement tries first, they end on B, the agent that can embed them.
  for (const [i, text] of TEXTS.slice(0, 3).entries()) {
    const o = await run("search", { op: "add", items: [{ id: `text-${i}`, text, meta: { text } }] });
    assert.equal(o.state, "done", JSON.stringify(o));
    assert.equal(o.state === "done" && o.worker, b.identity.id);
  }
  // The rest as plain vectors straight onto A, so the answer merges both agents.
  const onA = TEXTS.slice(3).map((text, j) => ({ id: `text-${j + 3}`, vector: vectors[j + 3]!, meta: { text } }));
  await a.service<VectorService>("vector")!.search({ op: "add", items: onA });

  const o = await run("search", { op: "query", text: "hot pump", k: 4 });
  assert.equal(o.state, "done", JSON.stringify(o));
  const result = (o as { output: QueryResult }).output;
  const all = new VectorIndex();
  all.add(TEXTS.map((text, i) => ({ id: `text-${i}`, vector: vectors[i]!, meta: { text } })));
  const want = all.query(query, 4);
  assert.deepEqual(result.hits.map((h) => h.id), want.map((h) => h.id));
  result.hits.forEach((h, i) => assert.ok(Math.abs(h.score - want[i]!.score) < 1e-5, `${h.id}: ${h.score} vs ${want[i]!.score}`));
  assert.deepEqual([result.asked, result.answered, result.missing, result.mismatched], [2, 2, [], []]);
  assert.equal(b.service<VectorService>("vector")!.index.dim, dim);
});
