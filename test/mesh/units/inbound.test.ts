// The inbound path of a mesh node (src/mesh/inbound.ts) without a broker: messages handed to
// accept() in one burst, as one TCP read delivers them, are checked in arrival order (a presence
// admits its sender before the sender's next message is looked at; a last will does not overtake
// the presence it cancels), while a slow handler holds up nobody.
import { test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../../../src/log/logger.ts";
import { Inbound, type Delivered } from "../../../src/mesh/inbound.ts";
import { Members } from "../../../src/mesh/members.ts";
import { PeerTable } from "../../../src/mesh/peer-table.ts";
import { meshTopics } from "../../../src/mesh/topics.ts";
import { EnvelopeReceiver } from "../../../src/wire/receiver.ts";
import { RefusalCounter } from "../../../src/wire/wire-error.ts";
import { certBy, ed25519, envelopeBy, party } from "../../support/keys.ts";

const NOW = 1_700_000_000_000;
const [owner, self, alice] = await Promise.all([party(0x31), party(0x32), party(0x33)]);
const topics = meshTopics(owner.id);
const aliceCert = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, NOW);
const presenceBody = { profile: "x86", roles: ["processing"], caps: {}, broker: { hosting: false, rank: 1, urls: [] }, version: "1", heartbeatMs: 1_000, cert: aliceCert };

function setup() {
  const clock = { now: () => NOW };
  const refusals = new RefusalCounter();
  const node = { id: self.id, peers: new PeerTable(), refusals, topics, counters: { received: 0, delivered: 0, duplicates: 0 } };
  const acks: string[] = [];
  const inbound = new Inbound({
    node,
    receiver: new EnvelopeReceiver({ ed25519, clock, refusals, self }),
    members: new Members({ ed25519, clock, meshId: owner.id }),
    clock,
    log: silentLogger,
    flood: { rate: 1_000, burst: 1_000 },
    ack: async (_to, mid) => void acks.push(mid),
    acked: () => true,
  });
  return { inbound, node, acks };
}

const msg = (topic: string, payload: Uint8Array, retain = false) => ({ topic, payload, retain });

test("a presence and the same sender's heartbeat and messages in one burst: all accepted, in order", async () => {
  const { inbound, node, acks } = setup();
  const got: string[] = [];
  inbound.handle("news", (m: Delivered) => void got.push(`news ${String(m.body)}`));
  inbound.handle("job", (m: Delivered) => void got.push(`job ${String((m.body as { n: number }).n)}`));
  const burst = [
    msg(topics.presence(alice.id), await envelopeBy(alice, { type: "presence", payload: presenceBody }, NOW), true),
    msg(topics.heartbeat(alice.id), await envelopeBy(alice, { type: "heartbeat", payload: { load: 0.1, freeMem: 1, temp: null, queue: 0 } }, NOW)),
    msg(topics.all, await envelopeBy(alice, { type: "news", payload: "hello" }, NOW)),
    msg(topics.inbox(self.id), await envelopeBy(alice, { type: "job", to: self.publicKey, payload: { mid: "m1", body: { n: 1 } } }, NOW)),
  ];
  await Promise.all(burst.map((m) => inbound.accept(m))); // no await between them, as from one socket read
  assert.deepEqual(node.refusals.snapshot(), new RefusalCounter().snapshot(), "nothing refused");
  assert.deepEqual(node.peers.get(alice.id)?.resources, { load: 0.1, freeMem: 1, temp: null, queue: 0 });
  assert.deepEqual(got, ["news hello", "job 1"]);
  assert.deepEqual(acks, ["m1"]);
  assert.equal(node.counters.received, 4);
});

test("a last will right behind the presence it cancels leaves the peer gone", async () => {
  const { inbound, node } = setup();
  await Promise.all([
    inbound.accept(msg(topics.presence(alice.id), await envelopeBy(alice, { type: "presence", payload: presenceBody }, NOW), true)),
    inbound.accept(msg(topics.presence(alice.id), new Uint8Array(0))),
  ]);
  assert.equal(node.peers.get(alice.id)?.health, "gone");
});

test("a slow handler does not hold up the messages behind it", async () => {
  const { inbound, node } = setup();
  await inbound.accept(msg(topics.presence(alice.id), await envelopeBy(alice, { type: "presence", payload: presenceBody }, NOW), true));
  let release!: () => void;
  const slow = new Promise<void>((resolve) => (release = resolve));
  const got: string[] = [];
  inbound.handle("slow", async () => {
    got.push("slow started");
    await slow;
    got.push("slow done");
  });
  inbound.handle("fast", () => void got.push("fast"));
  const first = inbound.accept(msg(topics.all, await envelopeBy(alice, { type: "slow", payload: null }, NOW)));
  await inbound.accept(msg(topics.all, await envelopeBy(alice, { type: "fast", payload: null }, NOW)));
  assert.deepEqual(got, ["slow started", "fast"]);
  release();
  await first;
  assert.deepEqual(got, ["slow started", "fast", "slow done"]);
  assert.equal(node.counters.delivered, 2);
});

test("a sender that is not a member stays refused, whatever the order", async () => {
  const { inbound, node } = setup();
  await inbound.accept(msg(topics.all, await envelopeBy(alice, { type: "news", payload: 1 }, NOW)));
  assert.equal(node.refusals.get("not_member"), 1);
  // Its own agent's broadcasts coming back are dropped before any check.
  await inbound.accept(msg(topics.all, await envelopeBy(self, { type: "news", payload: 2 }, NOW)));
  assert.equal(node.refusals.total(), 1);
});
