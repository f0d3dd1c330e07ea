// The `search` task kind end to end: in-process agents (the Agent class with the adapters `agent
// run` uses, mDNS off) with the vector role on one embedded broker at 127.0.0.1, port 0. Adds land
// on the agents that run them, a query fans out over the mesh and merges the global top-k, deletes
// reach every peer, a frozen peer is reported missing, and the index survives a restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Agent } from "../../src/agent/agent.ts";
import { controlRequest } from "../../src/control/control-client.ts";
import { CONTROL_SOCKET } from "../../src/control/control-protocol.ts";
import type { AgentService, ServiceFactory } from "../../src/services/service.ts";
import type { TaskOutcome } from "../../src/tasks/task.ts";
import { VectorIndex, type VectorHit } from "../../src/vectors/vector-index.ts";
import { vectorService, type QueryResult, type VectorService } from "../../src/vectors/vector-service.ts";
import { freezableRelay, makeMesh, runtime, Scope } from "../support/mesh-fixtures.ts";
import { startTaskAgent } from "../support/task-agent.ts";
import { waitFor } from "../support/wait.ts";

const DIM = 8;

/**
 * A stand-in `vectorize` kind (the real one runs the text-embed model in a worker): each word adds
 * 1 to one of `DIM` buckets picked by a string hash. Deterministic, so a test can compute it too.
 */
export function toyEmbed(text: string): number[] {
  const v = new Array<number>(DIM).fill(0);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let h = 7;
    for (const c of word) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % DIM]! += 1;
  }
  return v;
}
const toyVectorize: ServiceFactory = () =>
  ({
    name: "toy-vectorize",
    kinds: { vectorize: async (input: unknown) => ({ model: "toy", dim: DIM, vectors: (input as string[]).map(toyEmbed) }) },
    start: async () => {},
    stop: async () => {},
  }) satisfies AgentService;

function start(scope: Scope, dataDir: string, config: Record<string, unknown>, name: string, services: ServiceFactory[] = [vectorService]): Promise<Agent> {
  return startTaskAgent(scope, dataDir, { roles: "vector", ...config }, name, { services });
}

const vectors = (agent: Agent) => agent.service<VectorService>("vector")!;

/** Until `agent` sees each of `others` alive, with the vector role and the search kind. */
function meets(agent: Agent, others: Agent[]): Promise<true> {
  return waitFor(
    () =>
      others.every((o) => {
        const p = agent.node.peers.get(o.identity.id);
        return p?.health === "alive" && p.presence.roles.includes("vector") && ((p.presence.caps as { kinds?: string[] }).kinds ?? []).includes("search");
      }) || null,
    15_000,
    `${agent.identity.id.slice(0, 8)} to see its vector peers`,
  );
}

async function submit(agent: Agent, input: unknown, id: string): Promise<TaskOutcome> {
  await agent.tasks.coordinator.submit({ kind: "search", input, id });
  return agent.tasks.coordinator.wait(id);
}

function done<T>(outcome: TaskOutcome): T & {} {
  assert.equal(outcome.state, "done", JSON.stringify(outcome));
  return (outcome as Extract<TaskOutcome, { state: "done" }>).output as T & {};
}

/** Deterministic pseudo-random vectors. */
function points(prefix: string, n: number, seed: number): { id: string; vector: number[]; meta: { from: string } }[] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, vector: Array.from({ length: DIM }, r), meta: { from: prefix } }));
}

/** The top k over every item, as one index holding them all would answer. */
function globalTopK(items: { id: string; vector: number[]; meta?: { from: string } }[], q: number[], k: number): VectorHit[] {
  const all = new VectorIndex();
  all.add(items);
  return all.query(q, k);
}

function sameHits(got: VectorHit[], want: VectorHit[]): void {
  assert.deepEqual(got.map((h) => [h.id, h.meta]), want.map((h) => [h.id, h.meta]));
  got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i]!.score) < 1e-9, `${h.id}: ${h.score} vs ${want[i]!.score}`));
}

test("search across three vector agents: adds placed, query merges the global top-k, delete reaches all, restart reloads", { timeout: 60_000 }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const kit = await makeMesh(scope, 2);
  const a = await start(scope, kit.owner.dataDir, { broker: "embedded" }, "a");
  const url = a.hostedBroker!.url;
  const b = await start(scope, kit.members[0]!.dataDir, { broker: url }, "b");
  let c = await start(scope, kit.members[1]!.dataDir, { broker: url }, "c");
  const agents = [a, b, c];
  for (const x of agents) await meets(x, agents.filter((y) => y !== x));

  // Adds submitted to a's coordinator run wherever placement puts them, and stay there.
  const placed = points("placed", 12, 1);
  const outcomes = await Promise.all([0, 1, 2, 3].map((i) => submit(a, { op: "add", items: placed.slice(i * 3, i * 3 + 3) }, `add-${i}`)));
  for (const [i, o] of outcomes.entries()) {
    const out = done<{ added: number; agent: string }>(o);
    assert.equal(out.added, 3);
    assert.equal(out.agent, (o as { worker: string }).worker, "stored on the agent that ran it");
    const holder = agents.find((x) => x.identity.id === out.agent)!;
    for (const item of placed.slice(i * 3, i * 3 + 3)) assert.ok(vectors(holder).index.has(item.id), `${item.id} on its runner`);
  }
  // And some straight onto b and c, so the answer must come from more than one agent whatever placement did.
  const onB = points("b", 40, 2);
  const onC = points("c", 40, 3);
  await vectors(b).search({ op: "add", items: onB });
  await vectors(c).search({ op: "add", items: onC });
  const all = [...placed, ...onB, ...onC];
  assert.equal(agents.reduce((n, x) => n + vectors(x).index.size, 0), all.length);

  const q = points("q", 1, 9)[0]!.vector;
  const result = done<QueryResult>(await submit(a, { op: "query", vector: q, k: 10 }, "query-1"));
  sameHits(result.hits, globalTopK(all, q, 10));
  assert.deepEqual([result.asked, result.answered, result.missing], [3, 3, []]);
  assert.ok(new Set(result.hits.map((h) => h.meta?.from)).size >= 2, `hits from several agents: ${JSON.stringify(result.hits.map((h) => h.id))}`);

  // Delete the best five, wherever they are.
  const gone = result.hits.slice(0, 5).map((h) => h.id);
  const deleted = done<{ deleted: number; asked: number; answered: number }>(await submit(a, { op: "delete", ids: [...gone, "never-added"] }, "delete-1"));
  assert.deepEqual([deleted.deleted, deleted.asked, deleted.answered], [5, 3, 3]);
  for (const x of agents) for (const id of gone) assert.equal(vectors(x).index.has(id), false);
  const rest = all.filter((it) => !gone.includes(it.id));
  sameHits(done<QueryResult>(await submit(a, { op: "query", vector: q, k: 10 }, "query-2")).hits, globalTopK(rest, q, 10));

  // c restarts: its index comes back from its data dir and answers again.
  const cItems = vectors(c).index.size;
  await c.stop();
  await waitFor(() => !a.node.peers.live().some((p) => p.id === c.identity.id) || null, 10_000, "c to leave");
  const without = await vectors(a).search({ op: "query", vector: q, k: 10 }) as QueryResult;
  assert.deepEqual([without.asked, without.answered, without.missing], [2, 2, []], "a stopped agent is not asked");
  c = await start(scope, kit.members[1]!.dataDir, { broker: url }, "c-again");
  assert.equal(vectors(c).index.size, cItems, "c reloaded its index");
  await meets(a, [b, c]);
  const back = await vectors(b).search({ op: "query", vector: q, k: 10 }) as QueryResult;
  sameHits(back.hits, globalTopK(rest, q, 10));
  assert.equal(back.answered, 3);
});

test("a peer that stops answering is reported missing and the query still answers; malformed messages are dropped and counted", { timeout: 60_000 }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const kit = await makeMesh(scope, 2);
  const a = await start(scope, kit.owner.dataDir, { broker: "embedded" }, "a");
  const url = a.hostedBroker!.url;
  const b = await start(scope, kit.members[0]!.dataDir, { broker: url }, "b");
  const relay = await freezableRelay(scope, { host: "127.0.0.1", port: a.hostedBroker!.port });
  const c = await start(scope, kit.members[1]!.dataDir, { broker: relay.url, heartbeatMs: 5_000 }, "c");
  for (const x of [a, b, c]) await meets(x, [a, b, c].filter((y) => y !== x));
  const onA = points("a", 20, 4);
  const onB = points("b", 20, 5);
  await vectors(a).search({ op: "add", items: onA });
  await vectors(b).search({ op: "add", items: onB });
  await vectors(c).search({ op: "add", items: points("c", 20, 6) });
  const q = points("q", 1, 10)[0]!.vector;

  // Malformed queries and unsolicited replies are counted and dropped; b keeps answering.
  await a.node.send(b.identity.id, "vector.query", { qid: "not-hex", vector: q, k: 3 });
  await a.node.send(b.identity.id, "vector.query", { qid: "0123456789abcdef", vector: [1, "x"], k: 3 });
  await a.node.send(b.identity.id, "vector.query", { qid: "0123456789abcdef", vector: q, k: 1_000 });
  await a.node.send(b.identity.id, "vector.hits", { qid: "0123456789abcdef", hits: [], size: 0, dim: null });
  await waitFor(() => Object.values(vectors(b).dropped).reduce((s, n) => s + n, 0) === 4 || null, 5_000, "b to drop four messages");
  assert.deepEqual(vectors(b).dropped, { "vector.query.bad_body": 1, "vector.query.bad_vector": 1, "vector.query.bad_k": 1, "vector.hits.unknown_qid": 1 });

  // c freezes (its socket stays open, it says nothing): still live in the peer table, so asked.
  relay.freeze();
  const t0 = Date.now();
  const r = (await vectors(a).search({ op: "query", vector: q, k: 5, timeoutMs: 800 })) as QueryResult;
  const took = Date.now() - t0;
  assert.deepEqual([r.asked, r.answered, r.missing], [3, 2, [c.identity.id]]);
  sameHits(r.hits, globalTopK([...onA, ...onB], q, 5));
  assert.ok(took >= 700 && took < 5_000, `waited for the timeout, not longer: ${took} ms`);
  const status = a.status().services.vector as { queries: number; items: number };
  assert.deepEqual([status.queries, status.items], [1, 20]);
  // The same through the control socket (`vectors`), as `agent` talks to it.
  const viaSocket = (await controlRequest(runtime, `${a.config.dataDir}/${CONTROL_SOCKET}`, "vectors")) as { items: number; dim: number; queries: number };
  assert.deepEqual([viaSocket.items, viaSocket.dim, viaSocket.queries], [20, 8, 1]);
});

test("text items and text queries are embedded by the agent's vectorize kind; without one, inference_unavailable", { timeout: 60_000 }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const kit = await makeMesh(scope, 1);
  const a = await start(scope, kit.owner.dataDir, { broker: "embedded" }, "a", [vectorService, toyVectorize]);
  const b = await start(scope, kit.members[0]!.dataDir, { broker: a.hostedBroker!.url }, "b");
  await meets(a, [b]);
  await meets(b, [a]);

  const texts = ["the pump is running hot", "valve four is closed", "pump pressure is low", "the garden needs water"];
  const added = (await vectors(a).search({ op: "add", items: texts.map((text, i) => ({ id: `t${i}`, text, meta: { text } })) })) as { added: number };
  assert.equal(added.added, 4);
  await vectors(b).search({ op: "add", items: [{ id: "b0", vector: toyEmbed("hot pump running"), meta: { text: "b" } }] });
  const r = (await vectors(a).search({ op: "query", text: "pump running hot", k: 2 })) as QueryResult;
  assert.deepEqual(r.hits.map((h) => h.id), ["b0", "t0"].sort((x, y) => x.localeCompare(y)), "identical bags tie at 1, broken by id");
  assert.equal(r.answered, 2);

  await assert.rejects(vectors(b).search({ op: "add", items: [{ id: "x", text: "no embedder here" }] }), { code: "inference_unavailable" });
  await assert.rejects(vectors(b).search({ op: "query", text: "no embedder here" }), { code: "inference_unavailable" });
  await assert.rejects(vectors(a).search({ op: "add", items: [{ id: "x" }] }), { code: "bad_input", message: /"items\[0\]" needs a "vector" or a non-empty "text"/ });
  await assert.rejects(vectors(a).search({ op: "query", vector: [1, 2], k: 2 }), { code: "bad_input", message: /"vector" has 2 dimensions, this agent's index holds 8/ });
  await assert.rejects(vectors(a).search({ op: "frobnicate" }), { code: "bad_input", message: /"op" expected "add", "delete" or "query"/ });
  // Through the task machinery a bad input fails the task with the code in its detail.
  await a.tasks.coordinator.submit({ kind: "search", input: { op: "query", k: 0, vector: [1] }, id: "bad-k" });
  const failed = await a.tasks.coordinator.wait("bad-k");
  assert.equal(failed.state, "failed");
  assert.match(failed.state === "failed" ? failed.detail : "", /bad_input: "k" expected an integer from 1 to 100, got 0/);
});
