import mqtt from "mqtt";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../src/adapters/mqtt/embedded-broker.ts";
import { connectMqtt } from "../../src/adapters/mqtt/mqtt-connection.ts";
import { createNodeRuntime } from "../../src/adapters/node/runtime-node.ts";
import { agentIdFromKey } from "../../src/identity/agent-id.ts";
import type { Identity } from "../../src/identity/identity.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { BrokerPolicy } from "../../src/mesh/broker-policy.ts";
import { issueCert } from "../../src/mesh/membership.ts";
import { MeshNode } from "../../src/mesh/mesh-node.ts";
import { EnvelopeReceiver } from "../../src/wire/receiver.ts";
import { formatRate, formatRatio } from "./report.ts";
import type { Aim, Bench, BenchSuite, Results } from "./runner.ts";

/** Row names. */
export const MESH_ROWS = {
  rawQos0: "raw aedes + MQTT.js, QoS 0",
  rawQos1: "raw aedes + MQTT.js, QoS 1",
  signedBroadcast: "signed agent → agent, broadcast QoS 1",
  signedDirect: "signed agent → agent, direct + ack",
} as const;

const BURST = { full: 20_000, quick: 2_000 };
const BODY = { reading: 21.5, unit: "C", sensor: "greenhouse-3", seq: 0, note: "a typical small sensor or task message" };
const RAW_PAYLOAD = new TextEncoder().encode(JSON.stringify(BODY).padEnd(200, " "));

/** Messages per second for one burst of `count`, timed from the first send to the last arrival. */
async function burst(count: number, send: (i: number) => void | Promise<void>, arrived: () => number, timeoutMs = 120_000): Promise<number> {
  const start = performance.now();
  const base = arrived();
  for (let i = 0; i < count; i++) {
    const r = send(i);
    if (r instanceof Promise) await r;
  }
  while (arrived() - base < count) {
    if (performance.now() - start > timeoutMs) throw new Error(`only ${arrived() - base} of ${count} messages arrived`);
    await new Promise((r) => setImmediate(r));
  }
  return count / ((performance.now() - start) / 1000);
}

async function rawRates(broker: EmbeddedBroker, count: number): Promise<{ qos0: number; qos1: number }> {
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  let got = 0;
  sub.on("message", () => got++);
  await sub.subscribeAsync("bench/raw", { qos: 1 });
  const rates = { qos0: 0, qos1: 0 };
  for (const qos of [0, 1] as const) {
    await burst(Math.min(count, 1_000), () => void pub.publish("bench/raw", Buffer.from(RAW_PAYLOAD), { qos }), () => got); // warm-up
    rates[qos === 0 ? "qos0" : "qos1"] = await burst(count, () => void pub.publish("bench/raw", Buffer.from(RAW_PAYLOAD), { qos }), () => got);
  }
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  return rates;
}

async function identity(runtime: ReturnType<typeof createNodeRuntime>): Promise<Identity> {
  const seed = runtime.random(32);
  const publicKey = await runtime.ed25519.publicKey(seed);
  return { seed, publicKey, id: agentIdFromKey(publicKey) };
}

async function signedRates(count: number): Promise<{ broadcast: number; direct: number; refusals: number }> {
  const runtime = createNodeRuntime();
  const owner = await identity(runtime);
  const member = await identity(runtime);
  const stamp = () => ({ ts: runtime.clock.now(), nonce: runtime.random(16) });
  const certOf = (who: Identity) => issueCert(runtime.ed25519, owner, { kind: "agent", meshName: "bench", member: who.id, exp: 0 }, stamp());
  const policy = new BrokerPolicy({ ed25519: runtime.ed25519, clock: runtime.clock, meshId: owner.id, connects: new EnvelopeReceiver({ ed25519: runtime.ed25519, clock: runtime.clock }) });
  const broker = await startEmbeddedBroker({ host: "127.0.0.1", port: 0, policy });
  const node = async (who: Identity) =>
    new MeshNode({
      runtime,
      identity: who,
      meshId: owner.id,
      cert: await certOf(who),
      log: silentLogger,
      connect: connectMqtt,
      locate: async () => broker.url,
      presence: () => ({ profile: "bench", roles: [], caps: {}, broker: { hosting: false, rank: 0, urls: [] }, version: "1", heartbeatMs: 60_000 }),
      heartbeat: () => ({ load: 0, freeMem: 0, temp: null, queue: 0 }),
      flood: { rate: 1e9, burst: 1e9 }, // measure the path, not the flood limit
    });
  const sender = await node(owner);
  const receiver = await node(member);
  let got = 0;
  receiver.handle("bench", () => void got++);
  sender.start();
  receiver.start();
  try {
    const deadline = Date.now() + 10_000;
    while (!(sender.peers.get(member.id) && receiver.peers.get(owner.id))) {
      if (Date.now() > deadline) throw new Error("bench agents did not see each other");
      await new Promise((r) => setTimeout(r, 20));
    }
    // Pipelined, as a busy agent sends: no waiting for each PUBACK before the next message.
    const pending: Promise<void>[] = [];
    await burst(Math.min(count, 1_000), (i) => void pending.push(sender.broadcast("bench", { ...BODY, seq: i })), () => got);
    const broadcast = await burst(count, (i) => void pending.push(sender.broadcast("bench", { ...BODY, seq: i })), () => got);
    await Promise.all(pending);
    const directCount = Math.max(500, Math.floor(count / 4));
    const acked: Promise<void>[] = [];
    const direct = await burst(directCount, (i) => void acked.push(sender.send(member.id, "bench", { ...BODY, seq: i })), () => got);
    await Promise.all(acked);
    return { broadcast, direct, refusals: receiver.refusals.total() };
  } finally {
    await sender.stop();
    await receiver.stop();
    await broker.close();
  }
}

const AIM_SIGNED_RATE = 10_000;
const AIM_SIGNED_OVER_RAW = 0.3;

function signedAim(results: Results) {
  const row = results.row("mesh", MESH_ROWS.signedBroadcast);
  if (!row) return { measured: "not measured", met: false };
  return { measured: `${formatRate(row.opsPerSec)} /s`, met: row.opsPerSec >= AIM_SIGNED_RATE };
}

function ratioAim(results: Results) {
  const signed = results.row("mesh", MESH_ROWS.signedBroadcast);
  const raw = results.row("mesh", MESH_ROWS.rawQos0);
  if (!signed || !raw) return { measured: "not measured", met: false };
  const ratio = signed.opsPerSec / raw.opsPerSec;
  return { measured: `${formatRatio(ratio)} (signed ${formatRate(signed.opsPerSec)} /s, raw QoS 0 ${formatRate(raw.opsPerSec)} /s)`, met: ratio >= AIM_SIGNED_OVER_RAW };
}

const meshAims: readonly Aim[] = [
  { statement: `Signed messages from one agent to another through the embedded broker: at least ${formatRate(AIM_SIGNED_RATE)} per second`, evaluate: signedAim },
  { statement: `Signed agent-to-agent rate at least ${AIM_SIGNED_OVER_RAW}× raw aedes + MQTT.js QoS 0 in the same run`, evaluate: ratioAim },
];

/**
 * Messages through the embedded aedes broker, all in this one process on one core: a burst of
 * messages timed from the first publish to the last arrival. Baselines: two bare MQTT.js clients
 * on an open aedes, 200-byte payloads, QoS 0 and QoS 1. Then two mesh nodes on the admission-
 * checked broker: signed broadcasts (sign, broker's publish check, flood control off, verify,
 * replay check, membership, handler), and reliable direct messages (the same plus an `ack` back).
 */
export const meshSuite: BenchSuite = {
  id: "mesh",
  title: "Mesh messages through the embedded broker",
  about:
    "One process, one core: broker, sender and receiver share it, so every figure includes the broker's work. A burst of messages is timed from the first publish to the last arrival at the receiver's handler. Raw rows: two bare MQTT.js clients on an open aedes broker, 200-byte payloads. Signed rows: two mesh nodes on the admission-checking embedded broker; each message is built and signed (node path), checked by the broker's publish policy, then decoded, verified, replay-checked and membership-checked before the handler runs; direct messages are also acknowledged.",
  aims: meshAims,
  async run(bench: Bench) {
    const count = bench.quick ? BURST.quick : BURST.full;
    const open = await startEmbeddedBroker({ host: "127.0.0.1", port: 0 });
    try {
      const raw = await rawRates(open, count);
      bench.record({ name: MESH_ROWS.rawQos0, opsPerSec: raw.qos0, note: `${count} messages` });
      bench.record({ name: MESH_ROWS.rawQos1, opsPerSec: raw.qos1, baseline: MESH_ROWS.rawQos0, note: `${count} messages` });
    } finally {
      await open.close();
    }
    const signed = await signedRates(count);
    bench.record({ name: MESH_ROWS.signedBroadcast, opsPerSec: signed.broadcast, baseline: MESH_ROWS.rawQos0, note: `${count} messages` });
    bench.record({ name: MESH_ROWS.signedDirect, opsPerSec: signed.direct, baseline: MESH_ROWS.rawQos0, note: "each acknowledged by the receiver" });
    if (signed.refusals > 0) bench.note(`The receiver refused ${signed.refusals} messages during the run.`);
  },
};
