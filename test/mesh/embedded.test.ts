// Integration on the real embedded broker (aedes on 127.0.0.1, port 0) through the Agent class, as
// `agent run` composes it minus mDNS: agents find each other in their peer tables and exchange
// direct, private and broadcast messages exactly once; the broker refuses outsiders at CONNECT and
// members who publish or subscribe outside their rights; receivers refuse forged and replayed
// envelopes; a sender's outbox carries direct messages across the receiver's restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connectMqtt } from "../../src/adapters/mqtt/mqtt-connection.ts";
import type { Agent } from "../../src/agent/agent.ts";
import { CONNECT_TYPE } from "../../src/mesh/broker-policy.ts";
import type { Delivered } from "../../src/mesh/inbound.ts";
import { ConnectError } from "../../src/mesh/transport.ts";
import { EnvelopeSender } from "../../src/wire/sender.ts";
import { corruptSignature, freezableRelay, makeMesh, makeOutsider, rawClient, runtime, Scope, startAgent, willClient } from "../support/mesh-fixtures.ts";
import { staysFalse, waitFor } from "../support/wait.ts";

/** Collects what `agent` delivers for message `type`. */
function inbox(agent: Agent, type: string): Delivered[] {
  const got: Delivered[] = [];
  agent.node.handle(type, (m) => void got.push(m));
  return got;
}

/** Waits until every agent has every other one alive in its peer table. */
async function meshFormed(agents: Agent[], ms = 5_000): Promise<void> {
  await waitFor(
    () => agents.every((a) => a.node.connection.connected && agents.every((b) => a === b || a.node.peers.get(b.identity.id)?.health === "alive")),
    ms,
    "every agent to see every other alive",
  );
}

test("two agents: peer tables, direct messages exactly once, a private message, a broadcast", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const url = owner.hostedBroker!.url;
  assert.match(url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  const member = await startAgent(scope, mesh.members[0]!.dataDir, { broker: url }, "member");
  await meshFormed([owner, member]);

  // Heartbeats fill the resources column.
  await waitFor(() => owner.node.peers.get(member.identity.id)?.resources, 3_000, "a heartbeat from the member");
  assert.equal(member.node.connection.connected, true);
  assert.equal(member.node.connection.url, url);
  assert.equal(owner.membership.owner, true);
  assert.equal(member.membership.meshId, owner.identity.id);

  const pings = inbox(owner, "ping");
  await member.node.send(owner.identity.id, "ping", { n: 1, text: "hello" }, { taskId: "t-1" });
  assert.equal(pings.length, 1, "the ack arrives only after the handler ran");
  const ping = pings[0]!;
  assert.deepEqual(ping.body, { n: 1, text: "hello" });
  assert.equal(ping.senderId, member.identity.id);
  assert.equal(ping.taskId, "t-1");
  assert.equal(ping.direct, true);
  assert.equal(ping.encrypted, false);
  assert.equal(member.node.pending, 0);

  const secrets = inbox(member, "secret");
  await owner.node.send(member.identity.id, "secret", { pin: 1234 }, { private: true });
  assert.equal(secrets.length, 1);
  assert.deepEqual(secrets[0]!.body, { pin: 1234 });
  assert.equal(secrets[0]!.encrypted, true);
  assert.equal(secrets[0]!.senderId, owner.identity.id);

  const news = inbox(member, "news");
  const ownNews = inbox(owner, "news");
  await owner.node.broadcast("news", { headline: "all hands" });
  await waitFor(() => news.length === 1, 3_000, "the broadcast");
  assert.deepEqual(news[0]!.body, { headline: "all hands" });
  assert.equal(news[0]!.direct, false);
  assert.equal(news[0]!.senderId, owner.identity.id);

  // Exactly once: nothing more arrives across a resend interval, and nothing was refused.
  await staysFalse(() => pings.length > 1 || secrets.length > 1 || news.length > 1 || ownNews.length > 0, 2_300, "a duplicate delivery");
  for (const a of [owner, member]) {
    assert.equal(a.node.counters.duplicates, 0);
    assert.equal(a.node.refusals.total(), 0, JSON.stringify(a.node.refusals.snapshot()));
  }
  assert.equal(owner.hostedBroker!.clients(), 2);
  assert.deepEqual(owner.hostedBroker!.refusals, { connect: 0, publish: 0, subscribe: 0 });

  // A clean stop clears the member's presence: the owner sees it leave at once.
  await member.stop();
  await waitFor(() => owner.node.peers.get(member.identity.id)?.health === "gone", 2_000, "the member to leave");
  assert.equal(owner.node.peers.get(member.identity.id)!.goneReason, "left the mesh");
});

test("three agents exchange direct messages all-to-all", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 2);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const url = owner.hostedBroker!.url;
  const agents = [owner, ...(await Promise.all(mesh.members.map((m, i) => startAgent(scope, m.dataDir, { broker: url }, `member${i}`))))];
  await meshFormed(agents);
  const got = agents.map((a) => inbox(a, "hello"));
  const sends: Promise<void>[] = [];
  for (const from of agents) {
    for (const to of agents) if (from !== to) sends.push(from.node.send(to.identity.id, "hello", { from: from.identity.id, to: to.identity.id }));
  }
  await Promise.all(sends);
  agents.forEach((a, i) => {
    const senders = got[i]!.map((m) => m.senderId).sort();
    assert.deepEqual(senders, agents.filter((b) => b !== a).map((b) => b.identity.id).sort());
    for (const m of got[i]!) assert.deepEqual(m.body, { from: m.senderId, to: a.identity.id });
  });
  assert.equal(owner.hostedBroker!.clients(), 3);
});

test("an agent without an invitation is refused at CONNECT and never joins", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 0);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const broker = owner.hostedBroker!;
  const outsiderKit = await makeOutsider(scope);
  const outsider = await startAgent(scope, outsiderKit.dataDir, { broker: broker.url }, "outsider");
  assert.notEqual(outsider.membership.meshId, owner.membership.meshId);
  await waitFor(() => broker.refusals.connect >= 2, 5_000, "the outsider's CONNECTs to be refused (twice: it keeps trying)");
  assert.equal(outsider.node.connection.connected, false);
  assert.equal(outsider.node.counters.received, 0);
  assert.equal(owner.node.peers.get(outsider.identity.id), undefined);
  assert.equal(broker.clients(), 1);

  // A raw client with the outsider's keys and certificate gets CONNACK "not authorized" (5).
  const sender = new EnvelopeSender(runtime, outsiderKit.identity);
  const password = await sender.seal({ type: CONNECT_TYPE, payload: { cert: outsiderKit.cert } });
  const before = broker.refusals.connect;
  await assert.rejects(
    connectMqtt({ url: broker.url, clientId: "outsider-raw", username: outsiderKit.identity.id, password }),
    (e: unknown) => e instanceof ConnectError && e.code === "refused",
  );
  assert.ok(broker.refusals.connect > before);
  // A member's ID with the outsider's password (signed by another key) is refused too.
  await assert.rejects(
    connectMqtt({ url: broker.url, clientId: "impostor", username: owner.identity.id, password: await sender.seal({ type: CONNECT_TYPE, payload: { cert: outsiderKit.cert } }) }),
    (e: unknown) => e instanceof ConnectError && e.code === "refused",
  );
});

test("a member's raw client: forged and replayed envelopes are refused by the receiver, foreign topics by the broker", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const broker = owner.hostedBroker!;
  const kit = mesh.members[0]!;
  const raw = await rawClient(scope, broker.url, kit, mesh.meshId);
  await raw.connection.subscribe([raw.topics.all], 1);
  await raw.announce();
  await waitFor(() => owner.node.peers.get(kit.identity.id)?.health === "alive", 3_000, "the raw member's presence");
  const news = inbox(owner, "news");
  const refusals = owner.node.refusals;

  // Forged: its own kid, a corrupted signature. The broker lets it through (the kid is the
  // publisher's); the receiver refuses it.
  const forged = corruptSignature(await raw.sender.seal({ type: "news", payload: { forged: true } }));
  await raw.connection.publish(raw.topics.all, forged, { qos: 1 });
  await waitFor(() => refusals.get("bad_signature") === 1, 3_000, "bad_signature");

  // Replayed: the exact bytes of a broadcast the receiver already took.
  const good = await raw.sender.seal({ type: "news", payload: { n: 1 } });
  await raw.connection.publish(raw.topics.all, good, { qos: 1 });
  await waitFor(() => news.length === 1, 3_000, "the genuine broadcast");
  await raw.connection.publish(raw.topics.all, good, { qos: 1 });
  await waitFor(() => refusals.get("replay") === 1, 3_000, "replay");
  assert.equal(news.length, 1);
  assert.deepEqual(news[0]!.body, { n: 1 });
  assert.equal(refusals.total(), 2, JSON.stringify(refusals.snapshot()));

  // Subscribing to another agent's inbox: SUBACK 0x80 for that filter, counted by the broker.
  await assert.rejects(raw.connection.subscribe([raw.topics.inbox(owner.identity.id)], 1), /refused subscription/);
  assert.equal(broker.refusals.subscribe, 1);
  for (const filter of ["#", "p2p/#", `${raw.topics.prefix}/#`, `${raw.topics.prefix}/inbox/+`]) {
    await assert.rejects(raw.connection.subscribe([filter], 1), /refused subscription/, filter);
  }
  assert.equal(broker.refusals.subscribe, 5);

  // Publishing on the owner's presence topic: refused, and aedes drops the connection.
  const presence = await raw.sender.seal({ type: "presence", payload: { fake: true } });
  const before = owner.node.peers.get(owner.identity.id);
  await raw.connection.publish(raw.topics.presence(owner.identity.id), presence, { qos: 1 }).catch(() => {});
  await waitFor(() => broker.refusals.publish === 1, 3_000, "the broker to refuse the publish");
  await raw.connection.closed;
  assert.equal(owner.node.peers.get(owner.identity.id), before);

  // A fresh connection (a fresh CONNECT password: the old one is spent) publishing an envelope
  // signed by another key on the mesh's broadcast topic: refused by the broker too.
  const again = await rawClient(scope, broker.url, kit, mesh.meshId);
  const outsider = await makeOutsider(scope);
  const signedByOther = await new EnvelopeSender(runtime, outsider.identity).seal({ type: "news", payload: { n: 2 } });
  await again.connection.publish(again.topics.all, signedByOther, { qos: 1 }).catch(() => {});
  await waitFor(() => broker.refusals.publish === 2, 3_000, "the broker to refuse an envelope signed by another key");
  assert.equal(news.length, 1);
});

test("presence will: a member that vanishes without saying goodbye is marked gone at once", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const kit = mesh.members[0]!;
  const client = await willClient(scope, owner.hostedBroker!.url, kit, mesh.meshId);
  await waitFor(() => owner.node.peers.get(kit.identity.id)?.health === "alive", 3_000, "the member's presence");
  client.stream.destroy(); // no DISCONNECT packet: the broker publishes the will
  await waitFor(() => owner.node.peers.get(kit.identity.id)?.health === "gone", 3_000, "the will to mark it gone");
  assert.equal(owner.node.peers.get(kit.identity.id)!.goneReason, "left the mesh");
});

test("reliability: direct messages sent while the receiver is down arrive exactly once after it restarts", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 2);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const url = owner.hostedBroker!.url;
  const [senderKit, receiverKit] = mesh.members as [(typeof mesh.members)[0], (typeof mesh.members)[0]];
  const sender = await startAgent(scope, senderKit.dataDir, { broker: url }, "sender");
  const first = await startAgent(scope, receiverKit.dataDir, { broker: url }, "receiver");
  await meshFormed([owner, sender, first]);
  const receiverId = first.identity.id;
  await first.stop();
  await waitFor(() => sender.node.peers.get(receiverId)?.health === "gone", 2_000, "the sender to see the receiver leave");

  const N = 25;
  const settled: string[] = [];
  const sends = Array.from({ length: N }, (_, n) =>
    sender.node.send(receiverId, "job", { n }, { timeoutMs: 30_000 }).then(
      () => settled.push(`ok ${n}`),
      (e: Error) => settled.push(`failed ${n}: ${e.message}`),
    ),
  );
  await waitFor(() => sender.node.counters.sent >= N, 2_000, "the first attempts");
  assert.equal(sender.node.pending, N);

  // Same data dir, same identity: a new Agent instance.
  const second = await startAgent(scope, receiverKit.dataDir, { broker: url }, "receiver-again");
  assert.equal(second.identity.id, receiverId);
  const got: number[] = [];
  second.node.handle("job", (m) => void got.push((m.body as { n: number }).n));
  await Promise.all(sends);
  assert.deepEqual(settled.filter((s) => !s.startsWith("ok")), []);
  assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: N }, (_, n) => n));
  assert.equal(sender.node.pending, 0);
  assert.ok(sender.node.counters.resent >= N, `resent ${sender.node.counters.resent}`);
  // Nothing more arrives after a further resend interval; the receiver saw no duplicate it had to drop
  // more than the resends that raced an ack.
  await staysFalse(() => got.length > N, 2_300, "a duplicate delivery to the handler");
  assert.equal(second.node.counters.delivered, N);
  assert.equal(second.node.refusals.get("not_member"), 0, JSON.stringify(second.node.refusals.snapshot()));
});

test("stop() is bounded when the broker stops answering (no DISCONNECT acknowledgement can come)", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const relay = await freezableRelay(scope, { host: "127.0.0.1", port: owner.hostedBroker!.port });
  const member = await startAgent(scope, mesh.members[0]!.dataDir, { broker: relay.url }, "member");
  await waitFor(() => member.node.connection.connected, 3_000, "the member to connect through the relay");
  relay.freeze();
  const started = Date.now();
  await member.stop();
  const took = Date.now() - started;
  assert.ok(took < 5_000, `stop() took ${took} ms`);
});

test("stop() while the first connection is still being made leaves nothing connected", async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const mesh = await makeMesh(scope, 1);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "owner");
  const member = await startAgent(scope, mesh.members[0]!.dataDir, { broker: owner.hostedBroker!.url }, "member");
  await member.stop(); // start() returned before the connection came up
  await waitFor(() => owner.hostedBroker!.clients() === 1, 2_000, "the broker to see the member gone");
  await staysFalse(() => owner.hostedBroker!.clients() > 1, 500, "a member connection that outlived stop()");
  assert.equal(owner.node.peers.get(member.identity.id)?.health ?? "gone", "gone");
});
