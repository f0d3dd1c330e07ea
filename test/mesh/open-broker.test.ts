// Agents on an OPEN broker (aedes without a policy, as an external broker that enforces nothing):
// the receivers alone keep the mesh closed. A non-member's signed messages are refused as
// `not_member`, forgeries as `bad_signature`, replays as `replay`, and a member flooding the mesh
// is throttled per key while everyone else's messages still arrive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedBroker } from "../../src/adapters/mqtt/embedded-broker.ts";
import { connectMqtt } from "../../src/adapters/mqtt/mqtt-connection.ts";
import type { Agent } from "../../src/agent/agent.ts";
import type { Delivered } from "../../src/mesh/inbound.ts";
import { MeshNode } from "../../src/mesh/mesh-node.ts";
import { EnvelopeSender } from "../../src/wire/sender.ts";
import {
  corruptSignature,
  makeMesh,
  makeOutsider,
  presenceInfo,
  QUIET_HEARTBEAT,
  rawClient,
  runtime,
  Scope,
  startAgent,
  testLogger,
  type MemberKit,
} from "../support/mesh-fixtures.ts";
import { pause, waitFor } from "../support/wait.ts";

/** An open broker on 127.0.0.1, port 0, closed by `scope`. */
async function openBroker(scope: Scope) {
  const broker = await startEmbeddedBroker({ host: "127.0.0.1", port: 0 });
  scope.defer(() => broker.close());
  return broker;
}

function collect(agent: { node: MeshNode } | MeshNode, type: string): Delivered[] {
  const node = agent instanceof MeshNode ? agent : agent.node;
  const got: Delivered[] = [];
  node.handle(type, (m) => void got.push(m));
  return got;
}

const alive = (a: Agent, id: string) => a.node.peers.get(id)?.health === "alive";

test("open broker: members talk; a non-member's presence, broadcasts and direct messages are refused as not_member", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const broker = await openBroker(scope);
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: broker.url }, "owner");
  const member = await startAgent(scope, mesh.members[0]!.dataDir, { broker: broker.url }, "member");
  await waitFor(() => alive(owner, member.identity.id) && alive(member, owner.identity.id), 5_000, "the two members to see each other");
  assert.equal(owner.hostedBroker, null);
  const pings = collect(owner, "ping");
  await member.node.send(owner.identity.id, "ping", { n: 1 });
  assert.equal(pings.length, 1);

  // The outsider holds a valid certificate, but of its own mesh; the open broker lets it in.
  const outsider = await makeOutsider(scope);
  const raw = await rawClient(scope, broker.url, outsider, mesh.meshId);
  const news = [collect(owner, "news"), collect(member, "news")];
  await raw.announce();
  await raw.connection.publish(raw.topics.all, await raw.sender.seal({ type: "news", payload: { spam: true } }), { qos: 1 });
  await raw.connection.publish(
    raw.topics.inbox(owner.identity.id),
    await raw.sender.seal({ type: "ping", to: owner.identity.publicKey, payload: { mid: "00", body: "hi" } }),
    { qos: 1 },
  );
  await waitFor(() => owner.node.refusals.get("not_member") === 3, 3_000, "the owner to refuse presence, broadcast and direct message");
  await waitFor(() => member.node.refusals.get("not_member") === 2, 3_000, "the member to refuse presence and broadcast");
  assert.equal(owner.node.peers.get(outsider.identity.id), undefined);
  assert.equal(member.node.peers.get(outsider.identity.id), undefined);
  assert.deepEqual(news.map((n) => n.length), [0, 0]);
  assert.equal(pings.length, 1);

  // A key with no certificate at all, presenting the owner's own certificate in its presence.
  const thief = await rawClient(scope, broker.url, { ...outsider, cert: mesh.owner.cert }, mesh.meshId, { clientId: "thief" });
  await thief.announce();
  await waitFor(() => member.node.refusals.get("not_member") === 3, 3_000, "a presence with someone else's certificate to be refused");
  assert.equal(member.node.refusals.total(), 3, JSON.stringify(member.node.refusals.snapshot()));
});

test("open broker: forged and replayed envelopes are refused by receivers", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const broker = await openBroker(scope);
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: broker.url }, "owner");
  const kit = mesh.members[0]!;
  const raw = await rawClient(scope, broker.url, kit, mesh.meshId);
  await raw.announce();
  await waitFor(() => alive(owner, kit.identity.id), 3_000, "the raw member's presence");
  const news = collect(owner, "news");
  const refusals = owner.node.refusals;

  await raw.connection.publish(raw.topics.all, corruptSignature(await raw.sender.seal({ type: "news", payload: 1 })), { qos: 1 });
  await waitFor(() => refusals.get("bad_signature") === 1, 3_000, "bad_signature for a corrupted signature");

  // On an open broker anyone may publish anything: an outsider signs with its own key but names
  // the member's key as kid. The signature cannot verify under the member's key.
  const outsider = await makeOutsider(scope);
  const impostor = new EnvelopeSender(runtime, { seed: outsider.identity.seed, publicKey: kit.identity.publicKey });
  await raw.connection.publish(raw.topics.all, await impostor.seal({ type: "news", payload: 2 }), { qos: 1 });
  await waitFor(() => refusals.get("bad_signature") === 2, 3_000, "bad_signature for a message under a borrowed kid");

  const good = await raw.sender.seal({ type: "news", payload: 3 });
  await raw.connection.publish(raw.topics.all, good, { qos: 1 });
  await waitFor(() => news.length === 1, 3_000, "the genuine broadcast");
  // The replay comes from another connection, as an eavesdropper on an open broker would send it.
  const eavesdropper = await connectMqtt({ url: broker.url, clientId: "eavesdropper" });
  scope.defer(() => eavesdropper.close());
  await eavesdropper.publish(raw.topics.all, good, { qos: 1 });
  await waitFor(() => refusals.get("replay") === 1, 3_000, "replay");
  assert.deepEqual(news.map((m) => m.body), [3]);
  assert.equal(refusals.total(), 3, JSON.stringify(refusals.snapshot()));
});

/** A MeshNode built directly (the Agent does not expose flood control), on `url`. */
function floodNode(scope: Scope, kit: MemberKit, url: string, flood: { rate: number; burst: number }): MeshNode {
  const node = new MeshNode({
    runtime,
    identity: kit.identity,
    meshId: kit.meshId,
    cert: kit.cert,
    log: testLogger("flood-receiver"),
    connect: connectMqtt,
    locate: async () => url,
    presence: () => presenceInfo(200),
    heartbeat: () => QUIET_HEARTBEAT,
    flood,
  });
  scope.defer(() => node.stop());
  node.start();
  return node;
}

test("flood control: a member flooding broadcasts is throttled per key; another member's messages still arrive", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const broker = await openBroker(scope);
  const mesh = await makeMesh(scope, 2);
  const [receiverKit, flooderKit] = mesh.members as [MemberKit, MemberKit];
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: broker.url }, "owner");
  const rate = 100;
  const burst = 200;
  const receiver = floodNode(scope, receiverKit, broker.url, { rate, burst });
  await waitFor(() => receiver.peers.get(owner.identity.id)?.health === "alive" && alive(owner, receiver.id), 5_000, "the receiver to join");
  // A long keep-alive: its PINGREQ queues behind megabytes of its own flood.
  const flooder = await rawClient(scope, broker.url, flooderKit, mesh.meshId, { keepaliveSeconds: 120 });
  await flooder.announce();
  await waitFor(() => receiver.peers.get(flooderKit.identity.id), 3_000, "the flooder's presence");

  // Its own broadcasts come back to the receiver too; they must not eat into any budget.
  for (let i = 0; i < burst + 10; i++) await receiver.broadcast("self", i);

  const floods = collect(receiver, "flood");
  const pings = collect(receiver, "ping");
  const news = collect(receiver, "news");
  const N = 20_000;
  const envelopes: Uint8Array[] = [];
  for (let i = 0; i < N; i++) envelopes.push(await flooder.sender.seal({ type: "flood", payload: i }));
  const started = Date.now();
  const publishing = Promise.all(envelopes.map((e) => flooder.connection.publish(flooder.topics.all, e, { qos: 0 })));
  // Meanwhile, the owner's messages get through.
  await owner.node.send(receiver.id, "ping", { during: "flood" }, { timeoutMs: 30_000 });
  await owner.node.broadcast("news", { during: "flood" });
  await publishing;
  await waitFor(() => receiver.refusals.get("throttled") + floods.length === N, 30_000, "every flood message to be either throttled or delivered");
  const elapsed = (Date.now() - started) / 1000;
  await waitFor(() => news.length === 1, 3_000, "the owner's broadcast");
  assert.equal(pings.length, 1);
  assert.ok(floods.length >= burst, `at least a burst gets through (${floods.length})`);
  assert.ok(floods.length <= burst + rate * elapsed + 1, `${floods.length} delivered in ${elapsed} s is more than the rate allows`);
  assert.ok(receiver.refusals.get("throttled") > N / 2, `throttled ${receiver.refusals.get("throttled")}`);
  const { throttled: _t, ...others } = receiver.refusals.snapshot();
  assert.deepEqual(Object.values(others).filter((n) => n > 0), [], JSON.stringify(others));

  // The flooder's bucket (by key, not by connection) refills at `rate`: after a pause, it is heard
  // again, here through a fresh connection in case the flood cost it its first one.
  await pause(300); // 300 ms at 100/s refills the bucket by 30 tokens
  const again = await rawClient(scope, broker.url, flooderKit, mesh.meshId, { clientId: "flooder-again" });
  await again.connection.publish(again.topics.all, await again.sender.seal({ type: "flood", payload: "again" }), { qos: 1 });
  await waitFor(() => floods.some((m) => m.body === "again"), 3_000, "the flooder to be heard again after a pause");
});
