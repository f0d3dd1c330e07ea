// The same agents on an external Mosquitto broker (an independent MQTT implementation, started
// here on 127.0.0.1 with a free port and anonymous access): agents form the mesh and exchange
// direct, private and broadcast messages; with a broker that enforces nothing, receivers refuse a
// non-member's messages; the broker's last will marks a vanished member gone.
// Skips, with the reason, where mosquitto is not installed (.ci/run installs it).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { Agent } from "../../src/agent/agent.ts";
import type { Delivered } from "../../src/mesh/inbound.ts";
import { corruptSignature, makeMesh, makeOutsider, rawClient, Scope, startAgent, willClient } from "../support/mesh-fixtures.ts";
import { findMosquitto, startMosquitto, type Mosquitto } from "../support/mosquitto.ts";
import { waitFor } from "../support/wait.ts";

const binary = findMosquitto();

/** A scope with a running mosquitto, or null (the test is skipped) when there is none. */
async function withMosquitto(t: TestContext): Promise<{ scope: Scope; broker: Mosquitto } | null> {
  if (binary === null) {
    t.skip("mosquitto not installed");
    return null;
  }
  const scope = new Scope();
  t.after(() => scope.close());
  return { scope, broker: await startMosquitto(scope, binary) };
}

function collect(agent: Agent, type: string): Delivered[] {
  const got: Delivered[] = [];
  agent.node.handle(type, (m) => void got.push(m));
  return got;
}

async function meshFormed(agents: Agent[]): Promise<void> {
  await waitFor(
    () => agents.every((a) => a.node.connection.connected && agents.every((b) => a === b || a.node.peers.get(b.identity.id)?.health === "alive")),
    5_000,
    "every agent to see every other alive",
  );
}

test("mosquitto: three agents form the mesh and exchange direct, private and broadcast messages", async (t) => {
  const env = await withMosquitto(t);
  if (!env) return;
  const { scope, broker } = env;
  const mesh = await makeMesh(scope, 2);
  const agents = [
    await startAgent(scope, mesh.owner.dataDir, { broker: broker.url }, "owner"),
    ...(await Promise.all(mesh.members.map((m, i) => startAgent(scope, m.dataDir, { broker: broker.url }, `member${i}`)))),
  ];
  await meshFormed(agents);
  for (const a of agents) {
    assert.equal(a.hostedBroker, null);
    assert.equal(a.node.connection.url, broker.url);
  }
  const hellos = agents.map((a) => collect(a, "hello"));
  const sends: Promise<void>[] = [];
  for (const from of agents) {
    for (const to of agents) if (from !== to) sends.push(from.node.send(to.identity.id, "hello", { from: from.identity.id }, { private: from === agents[0] }));
  }
  await Promise.all(sends);
  agents.forEach((a, i) => {
    assert.deepEqual(hellos[i]!.map((m) => m.senderId).sort(), agents.filter((b) => b !== a).map((b) => b.identity.id).sort());
    for (const m of hellos[i]!) {
      assert.deepEqual(m.body, { from: m.senderId });
      assert.equal(m.encrypted, m.senderId === agents[0]!.identity.id);
    }
  });
  const news = agents.map((a) => collect(a, "news"));
  await agents[1]!.node.broadcast("news", { from: "member0" });
  await waitFor(() => news[0]!.length === 1 && news[2]!.length === 1, 3_000, "the broadcast at the other two");
  assert.equal(news[1]!.length, 0, "no agent delivers its own broadcast to itself");
  for (const a of agents) assert.equal(a.node.refusals.total(), 0, JSON.stringify(a.node.refusals.snapshot()));
});

test("mosquitto: a non-member's messages are refused by every receiver; forgeries and replays too", async (t) => {
  const env = await withMosquitto(t);
  if (!env) return;
  const { scope, broker } = env;
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: broker.url }, "owner");
  const member = await startAgent(scope, mesh.members[0]!.dataDir, { broker: broker.url }, "member");
  await meshFormed([owner, member]);
  const news = [collect(owner, "news"), collect(member, "news")];

  const outsider = await rawClient(scope, broker.url, await makeOutsider(scope), mesh.meshId);
  await outsider.announce();
  await outsider.connection.publish(outsider.topics.all, await outsider.sender.seal({ type: "news", payload: "spam" }), { qos: 1 });
  for (const a of [owner, member]) await waitFor(() => a.node.refusals.get("not_member") === 2, 3_000, "not_member for presence and broadcast");
  assert.equal(owner.node.peers.get(outsider.kit.identity.id), undefined);

  // A corrupted signature (from any key: the signature is checked before membership), then a replay.
  const forger = await rawClient(scope, broker.url, await makeOutsider(scope), mesh.meshId);
  await forger.connection.publish(forger.topics.all, corruptSignature(await forger.sender.seal({ type: "news", payload: 1 })), { qos: 1 });
  for (const a of [owner, member]) await waitFor(() => a.node.refusals.get("bad_signature") === 1, 3_000, "bad_signature");
  await member.node.broadcast("news", "genuine");
  await waitFor(() => news[0]!.length === 1, 3_000, "the genuine broadcast");
  // Replay what the owner just took: a subscriber on the open broker saw those exact bytes.
  const copy = outsider.received.find((m) => m.topic === outsider.topics.all);
  assert.equal(copy, undefined, "the outsider subscribed to nothing");
  await outsider.connection.subscribe([outsider.topics.all], 1);
  await member.node.broadcast("news", "second");
  await waitFor(() => outsider.received.some((m) => m.topic === outsider.topics.all), 3_000, "the eavesdropper's copy");
  await outsider.connection.publish(outsider.topics.all, outsider.received.find((m) => m.topic === outsider.topics.all)!.payload, { qos: 1 });
  await waitFor(() => owner.node.refusals.get("replay") === 1, 3_000, "replay");
  assert.deepEqual(news[0]!.map((m) => m.body), ["genuine", "second"]);
  assert.deepEqual(news[1]!.length, 0);
});

test("mosquitto: the last will marks a member that vanished gone at once", async (t) => {
  const env = await withMosquitto(t);
  if (!env) return;
  const { scope, broker } = env;
  const mesh = await makeMesh(scope, 2);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: broker.url }, "owner");
  const kit = mesh.members[0]!;
  const client = await willClient(scope, broker.url, kit, mesh.meshId);
  await waitFor(() => owner.node.peers.get(kit.identity.id)?.health === "alive", 3_000, "the member's presence");
  client.stream.destroy(); // no DISCONNECT: mosquitto publishes the will
  await waitFor(() => owner.node.peers.get(kit.identity.id)?.health === "gone", 3_000, "the will to mark it gone");
  assert.equal(owner.node.peers.get(kit.identity.id)!.goneReason, "left the mesh");

  // The will also cleared the retained presence: a member joining now sees the owner, not the vanished one.
  const late = await startAgent(scope, mesh.members[1]!.dataDir, { broker: broker.url }, "late");
  await waitFor(() => late.node.peers.get(owner.identity.id)?.health === "alive", 3_000, "the late member to see the owner");
  assert.equal(late.node.peers.get(kit.identity.id), undefined);
});
