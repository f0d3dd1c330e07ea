import type { AgentConfig } from "../config/agent-config.ts";
import { loadOrCreateIdentity, type Identity } from "../identity/identity.ts";
import type { Logger } from "../log/logger.ts";
import { BrokerPolicy } from "../mesh/broker-policy.ts";
import { MeshNode } from "../mesh/mesh-node.ts";
import { loadOrFoundMembership, type Membership } from "../mesh/membership-store.ts";
import type { HeartbeatInfo } from "../mesh/peer-table.ts";
import type { Connect } from "../mesh/transport.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { EnvelopeReceiver } from "../wire/receiver.ts";

/** A broker this agent hosts, as the adapter returns it. */
export interface HostedBroker {
  readonly url: string;
  readonly port: number;
  readonly refusals: { connect: number; publish: number; subscribe: number };
  clients(): number;
  close(): Promise<void>;
}

/** The runtime-specific parts an agent is built from, chosen at the composition root. */
export interface AgentAdapters {
  connect: Connect;
  startBroker(options: { host: string; port: number; tls?: { certFile: string; keyFile: string }; policy: BrokerPolicy }): Promise<HostedBroker>;
  /** Current resource readings for heartbeats. */
  resources(): HeartbeatInfo;
}

/**
 * One agent: identity, membership, the broker it uses (hosted here or elsewhere) and its mesh
 * node. `start()` and `stop()` are idempotent; `stop()` leaves no socket or timer behind.
 */
export class Agent {
  readonly #runtime: Runtime;
  readonly #config: AgentConfig;
  readonly #adapters: AgentAdapters;
  readonly #log: Logger;
  #identity: Identity | null = null;
  #membership: Membership | null = null;
  #broker: HostedBroker | null = null;
  #node: MeshNode | null = null;
  #startedAt = 0;

  constructor(runtime: Runtime, config: AgentConfig, adapters: AgentAdapters, log: Logger) {
    this.#runtime = runtime;
    this.#config = config;
    this.#adapters = adapters;
    this.#log = log;
  }

  /** The mesh node, once started. */
  get node(): MeshNode {
    if (!this.#node) throw new Error("agent is not started");
    return this.#node;
  }

  /** This agent's identity, once started. */
  get identity(): Identity {
    if (!this.#identity) throw new Error("agent is not started");
    return this.#identity;
  }

  /** The broker hosted here, if any. */
  get hostedBroker(): HostedBroker | null {
    return this.#broker;
  }

  /** Loads identity and membership, starts the broker when hosting one, and joins the mesh. */
  async start(): Promise<void> {
    if (this.#node) return;
    const runtime = this.#runtime;
    const config = this.#config;
    this.#startedAt = runtime.clock.now();
    const identity = (this.#identity = await loadOrCreateIdentity(runtime, config.dataDir));
    const membership = (this.#membership = await loadOrFoundMembership(runtime, config.dataDir, identity, config.mesh));
    this.#log.info("agent.identity", { id: identity.id, mesh: membership.meshId.slice(0, 8), meshName: membership.meshName, owner: membership.owner });
    if (config.broker === "embedded" || config.broker === "auto") {
      this.#broker = await this.#adapters.startBroker({
        host: config.listen.host,
        port: config.listen.port,
        ...(config.tls ? { tls: config.tls } : {}),
        policy: this.#policy(membership.meshId),
      });
      this.#log.info("broker.hosting", { url: this.#broker.url, port: this.#broker.port });
    }
    const url = this.#broker?.url ?? config.broker;
    const node = new MeshNode({
      runtime,
      identity,
      meshId: membership.meshId,
      cert: membership.cert,
      log: this.#log,
      connect: this.#adapters.connect,
      locate: async () => url,
      presence: () => ({
        profile: config.profile,
        roles: [...config.roles],
        caps: {},
        broker: this.#broker?.url ?? null,
        version: "1",
        heartbeatMs: config.heartbeatMs,
      }),
      heartbeat: () => this.#adapters.resources(),
    });
    this.#node = node;
    node.start();
  }

  /** Leaves the mesh and stops the hosted broker. */
  async stop(): Promise<void> {
    const node = this.#node;
    this.#node = null;
    await node?.stop();
    const broker = this.#broker;
    this.#broker = null;
    await broker?.close();
  }

  /** A snapshot for `agent status`. */
  status() {
    const node = this.#node;
    return {
      id: this.#identity?.id ?? null,
      mesh: this.#membership ? { id: this.#membership.meshId, name: this.#membership.meshName, owner: this.#membership.owner } : null,
      profile: this.#config.profile,
      uptimeMs: this.#runtime.clock.now() - this.#startedAt,
      broker: {
        mode: this.#config.broker,
        hosting: this.#broker ? { url: this.#broker.url, clients: this.#broker.clients(), refusals: { ...this.#broker.refusals } } : null,
        connection: node?.connection ?? null,
      },
      peers: node?.peers.list() ?? [],
      counters: node ? { ...node.counters, pending: node.pending } : null,
      refusals: node?.refusals.snapshot() ?? null,
    };
  }

  #policy(meshId: string): BrokerPolicy {
    const { ed25519, clock } = this.#runtime;
    return new BrokerPolicy({ ed25519, clock, meshId, connects: new EnvelopeReceiver({ ed25519, clock }) });
  }
}
