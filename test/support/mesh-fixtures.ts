// Shared fixtures for the mesh tests: a mesh owner and invited members in temporary data dirs, an
// in-process Agent built from the real adapters (aedes, MQTT.js, node:os) the way `agent run`
// builds one but without mDNS, raw MQTT clients that act as a member (or an outsider) by hand, and
// a scope that closes everything a test opened, last opened first.
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import mqtt from "mqtt";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../src/agent/agent.ts";
import { startEmbeddedBroker } from "../../src/adapters/mqtt/embedded-broker.ts";
import { connectMqtt } from "../../src/adapters/mqtt/mqtt-connection.ts";
import { createNodeRuntime } from "../../src/adapters/node/runtime-node.ts";
import { nodeAddresses } from "../../src/adapters/node/addresses-node.ts";
import { nodeResources } from "../../src/adapters/node/resources-node.ts";
import { buildConfig } from "../../src/config/agent-config.ts";
import { loadOrCreateIdentity, type Identity } from "../../src/identity/identity.ts";
import { createLogger, silentLogger, type Logger } from "../../src/log/logger.ts";
import { CONNECT_TYPE } from "../../src/mesh/broker-policy.ts";
import { certToToken, issueCert } from "../../src/mesh/membership.ts";
import { joinWithToken, loadOrFoundMembership } from "../../src/mesh/membership-store.ts";
import type { PresenceInfo } from "../../src/mesh/peer-table.ts";
import { meshTopics, type MeshTopics } from "../../src/mesh/topics.ts";
import type { BrokerConnection, Will } from "../../src/mesh/transport.ts";
import type { Runtime } from "../../src/runtime/runtime.ts";
import { EnvelopeSender } from "../../src/wire/sender.ts";

/** The Node runtime every mesh test runs on. */
export const runtime: Runtime = createNodeRuntime();

/** A logger that is silent unless P2P_TEST_LOG is set (then it writes text lines to stderr, prefixed by `name`). */
export function testLogger(name: string): Logger {
  if (!process.env.P2P_TEST_LOG) return silentLogger;
  return createLogger({ level: "debug", json: false, write: (line) => process.stderr.write(`[${name}] ${line}\n`) });
}

/** Cleanups registered as resources are opened; `close()` runs them last first and never throws early. */
export class Scope {
  readonly #cleanups: (() => unknown)[] = [];

  /** Registers `fn` to run at `close()`. */
  defer(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** A fresh temporary directory, removed at `close()`. */
  async tempDir(prefix = "p2p-mesh-"): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.defer(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Runs every cleanup, last registered first; rethrows the first failure after all ran. */
  async close(): Promise<void> {
    let failure: unknown;
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/** An agent's keys and member certificate, stored in its own data dir. */
export interface MemberKit {
  dataDir: string;
  identity: Identity;
  cert: Uint8Array;
  meshId: string;
}

/** A mesh: the owner (self-issued certificate) and the members it invited. */
export interface MeshKit {
  meshId: string;
  owner: MemberKit;
  members: MemberKit[];
}

/**
 * Founds a mesh in a fresh data dir and invites `members` agents, each in its own data dir, the
 * way `agent invite` + `agent join` do it (token text and all).
 */
export async function makeMesh(scope: Scope, members: number, meshName = "test"): Promise<MeshKit> {
  const owner = await makeOutsider(scope, meshName);
  const kits: MemberKit[] = [];
  for (let i = 0; i < members; i++) kits.push(await invite(scope, owner));
  return { meshId: owner.meshId, owner, members: kits };
}

/** A new agent (own data dir) invited into `owner`'s mesh. */
export async function invite(scope: Scope, owner: MemberKit, exp = 0): Promise<MemberKit> {
  const dataDir = await scope.tempDir("p2p-member-");
  const identity = await loadOrCreateIdentity(runtime, dataDir);
  const cert = await issueCert(
    runtime.ed25519,
    owner.identity,
    { kind: "agent", meshName: "test", member: identity.id, exp },
    { ts: runtime.clock.now(), nonce: runtime.random(16) },
  );
  const membership = await joinWithToken(runtime, dataDir, identity, certToToken(cert));
  return { dataDir, identity, cert: membership.cert, meshId: membership.meshId };
}

/** An agent that founded its own mesh: it holds a valid certificate, but of another mesh. */
export async function makeOutsider(scope: Scope, meshName = "elsewhere"): Promise<MemberKit> {
  const dataDir = await scope.tempDir("p2p-owner-");
  const identity = await loadOrCreateIdentity(runtime, dataDir);
  const membership = await loadOrFoundMembership(runtime, dataDir, identity, meshName);
  return { dataDir, identity, cert: membership.cert, meshId: membership.meshId };
}

/** The settings every test agent gets unless overridden: loopback, port 0, no mDNS, fast heartbeats. */
export const TEST_CONFIG = { mdns: false, listen: "127.0.0.1:0", heartbeatMs: 200, profile: "test", mesh: "test" } as const;

/**
 * An Agent on the real adapters (aedes, MQTT.js, node:os readings), built like `agent run` builds
 * one but without the `discovery` adapter, so it can never multicast. Started, and stopped by
 * `scope`.
 */
export async function startAgent(scope: Scope, dataDir: string, config: Record<string, unknown>, name = "agent"): Promise<Agent> {
  const agent = new Agent(
    runtime,
    buildConfig(dataDir, { ...TEST_CONFIG, ...config }),
    { connect: connectMqtt, startBroker: (o) => startEmbeddedBroker(o), resources: nodeResources(), addresses: nodeAddresses },
    testLogger(name),
  );
  scope.defer(() => agent.stop());
  await agent.start();
  return agent;
}

/** Resources as a heartbeat carries them, fixed. */
export const QUIET_HEARTBEAT = { load: 0, freeMem: 1 << 30, temp: null, queue: 0 };

/** A presence payload for hand-built members (what an Agent announces, with sane values). */
export function presenceInfo(heartbeatMs = 200): PresenceInfo {
  return { profile: "test", roles: ["processing"], caps: {}, broker: { hosting: false, rank: 0, urls: [] }, version: "1", heartbeatMs };
}

/** A member (or outsider) speaking MQTT by hand: its signer, its mesh's topics and a live connection. */
export interface RawClient {
  kit: MemberKit;
  sender: EnvelopeSender;
  /** Topics of the mesh under test (not necessarily the kit's own mesh). */
  topics: MeshTopics;
  connection: BrokerConnection;
  /** Every message received, in order. */
  received: { topic: string; payload: Uint8Array }[];
  /**
   * Publishes a signed presence with the kit's certificate on its own presence topic of `topics`.
   * The announced heartbeat interval is long (default 60 s) so receivers' sweeps leave it alone.
   */
  announce(heartbeatMs?: number): Promise<Uint8Array>;
}

/**
 * Connects `kit` to `url` as a raw client of mesh `meshId`: the CONNECT password is a fresh
 * `mqtt.connect` envelope carrying the kit's certificate, as MeshNode builds it.
 */
export async function rawClient(scope: Scope, url: string, kit: MemberKit, meshId: string, options: { will?: Will; clientId?: string; keepaliveSeconds?: number } = {}): Promise<RawClient> {
  const sender = new EnvelopeSender({ ed25519: runtime.ed25519, clock: runtime.clock, random: runtime.random }, kit.identity);
  const password = await sender.seal({ type: CONNECT_TYPE, payload: { cert: kit.cert } });
  const connection = await connectMqtt({
    url,
    clientId: options.clientId ?? kit.identity.id,
    username: kit.identity.id,
    password,
    ...(options.will ? { will: options.will } : {}),
    ...(options.keepaliveSeconds ? { keepaliveSeconds: options.keepaliveSeconds } : {}),
  });
  scope.defer(() => connection.close());
  const topics = meshTopics(meshId);
  const received: RawClient["received"] = [];
  connection.onMessage((m) => received.push({ topic: m.topic, payload: m.payload }));
  const raw: RawClient = {
    kit,
    sender,
    topics,
    connection,
    received,
    async announce(heartbeatMs = 60_000) {
      const bytes = await sender.seal({ type: "presence", payload: { ...presenceInfo(heartbeatMs), cert: kit.cert } });
      await connection.publish(topics.presence(kit.identity.id), bytes, { qos: 1, retain: true });
      return bytes;
    },
  };
  return raw;
}

/**
 * An MQTT.js client (not the adapter) connected as `kit` with a last will that clears its presence,
 * so a test can kill its socket abruptly (`client.stream.destroy()`) and watch the will fire.
 */
export async function willClient(scope: Scope, url: string, kit: MemberKit, meshId: string): Promise<mqtt.MqttClient> {
  const sender = new EnvelopeSender({ ed25519: runtime.ed25519, clock: runtime.clock, random: runtime.random }, kit.identity);
  const password = await sender.seal({ type: CONNECT_TYPE, payload: { cert: kit.cert } });
  const topics = meshTopics(meshId);
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: kit.identity.id,
    username: kit.identity.id,
    password: Buffer.from(password),
    reconnectPeriod: 0,
    keepalive: 10,
    will: { topic: topics.presence(kit.identity.id), payload: Buffer.alloc(0), qos: 1, retain: true },
  });
  scope.defer(() => client.endAsync(true));
  const presence = await sender.seal({ type: "presence", payload: { ...presenceInfo(60_000), cert: kit.cert } });
  await client.publishAsync(topics.presence(kit.identity.id), Buffer.from(presence), { qos: 1, retain: true });
  return client;
}

/** Envelope bytes with one bit of the signature (the last bytes) flipped. */
export function corruptSignature(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 5]! ^= 0x01;
  return out;
}

/** A TCP relay in front of a broker that a test can freeze (it stops forwarding, sockets stay open). */
export interface FreezableRelay {
  url: string;
  freeze(): void;
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 (port 0) to `target` (`host:port`); closed by `scope`. */
export async function freezableRelay(scope: Scope, target: { host: string; port: number }): Promise<FreezableRelay> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((inbound) => {
    const outbound = connect(target.port, target.host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    inbound.on("data", (d) => void (frozen || outbound.write(d)));
    outbound.on("data", (d) => void (frozen || inbound.write(d)));
    inbound.on("close", () => frozen || outbound.destroy());
    outbound.on("close", () => frozen || inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const relay: FreezableRelay = {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze: () => void (frozen = true),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  scope.defer(() => relay.close());
  return relay;
}
