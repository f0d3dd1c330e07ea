import type { AgentConfig } from "../config/agent-config.ts";
import { loadOrCreateIdentity, type Identity } from "../identity/identity.ts";
import type { Logger } from "../log/logger.ts";
import { BrokerLocator } from "../mesh/broker-locator.ts";
import { BrokerPolicy } from "../mesh/broker-policy.ts";
import type { Advert, Discovery } from "../mesh/discovery.ts";
import { MeshNode } from "../mesh/mesh-node.ts";
import { loadOrFoundMembership, type Membership } from "../mesh/membership-store.ts";
import type { HeartbeatInfo } from "../mesh/peer-table.ts";
import type { Connect } from "../mesh/transport.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { EnvelopeReceiver } from "../wire/receiver.ts";
import { agentStatus } from "./agent-status.ts";
import { RemoteStatus } from "./remote-status.ts";
import { ControlServer } from "../control/control-server.ts";
import { CONTROL_SOCKET, ControlError } from "../control/control-protocol.ts";
import { keyFromAgentId } from "../identity/agent-id.ts";
import { VERSION } from "../version.ts";
import { TaskService } from "../tasks/task-service.ts";
import { taskHandlers } from "./task-handlers.ts";
import { DeviceMonitor } from "../sensors/device-monitor.ts";
import type { WorkerFaults } from "../tasks/worker-service.ts";
import type { ControlHandler } from "../control/control-server.ts";
import { routedExecutor } from "../tasks/routed-executor.ts";
import { modelFetcher } from "../storage/model-fetcher.ts";
import type { StorageService } from "../storage/storage-service.ts";
import type { Executor } from "../tasks/executor.ts";
import { SERVICES } from "../services/registry.ts";
import type { AgentService, ServiceContext, ServiceFactory, ServiceKind } from "../services/service.ts";

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
  /** This host's non-loopback IPv4 addresses (where others can reach a broker here). */
  addresses(): string[];
  /** mDNS discovery on the given interface address (all when null); absent = no mDNS here. */
  discovery?: (iface: string | null) => Discovery;
  /** The isolated task executor; absent = this agent runs no tasks (it still coordinates). */
  executor?: (options: { concurrency: number; memoryMb: number }) => Executor;
  /** Test-only misbehaviour from the environment (never from the network). */
  faults?: WorkerFaults;
  /** The services to build (default `SERVICES` from src/services/registry.ts). */
  services?: readonly ServiceFactory[];
}

/**
 * One agent: identity, membership, where its broker is (hosted here, found, elected, or given as
 * a URL), and its mesh node. `start()` and `stop()` are idempotent; `stop()` leaves no socket or
 * timer behind.
 */
export class Agent {
  readonly runtime: Runtime;
  readonly config: AgentConfig;
  readonly #adapters: AgentAdapters;
  readonly #log: Logger;
  #identity: Identity | null = null;
  #membership: Membership | null = null;
  #broker: HostedBroker | null = null;
  #discovery: Discovery | null = null;
  #locator: BrokerLocator | null = null;
  #node: MeshNode | null = null;
  #control: ControlServer | null = null;
  #remote: RemoteStatus | null = null;
  #tasks: TaskService | null = null;
  #device: DeviceMonitor | null = null;
  #services: AgentService[] = [];
  /** Fetches models a worker lacks from the storage peers; closed at stop. */
  #modelFetcher: ReturnType<typeof modelFetcher> | null = null;
  #startedAt = 0;

  constructor(runtime: Runtime, config: AgentConfig, adapters: AgentAdapters, log: Logger) {
    this.runtime = runtime;
    this.config = config;
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

  /** This agent's membership, once started. */
  get membership(): Membership {
    if (!this.#membership) throw new Error("agent is not started");
    return this.#membership;
  }

  /** Tasks (coordinator and worker), once started. */
  get tasks(): TaskService {
    if (!this.#tasks) throw new Error("agent is not started");
    return this.#tasks;
  }

  /** The service named `name`, once started, or null when this agent does not run it. */
  service<T extends AgentService>(name: string): T | null {
    return (this.#services.find((s) => s.name === name) as T | undefined) ?? null;
  }

  /** The broker hosted here, if any. */
  get hostedBroker(): HostedBroker | null {
    return this.#broker;
  }

  /** When `start()` ran, ms since the epoch. */
  get startedAt(): number {
    return this.#startedAt;
  }

  /** Loads identity and membership, advertises on mDNS, finds or hosts the broker, joins the mesh. */
  async start(): Promise<void> {
    if (this.#node) return;
    const { runtime, config } = this;
    this.#startedAt = runtime.clock.now();
    const identity = (this.#identity = await loadOrCreateIdentity(runtime, config.dataDir));
    const membership = (this.#membership = await loadOrFoundMembership(runtime, config.dataDir, identity, config.mesh));
    this.#log.info("agent.identity", { id: identity.id, mesh: membership.meshId.slice(0, 8), meshName: membership.meshName, owner: membership.owner });
    // Services add their commands to this object once they are built (below).
    const handlers: Record<string, ControlHandler> = {
      status: (args) => (typeof args.peer === "string" ? this.#remoteStatus(args.peer) : this.status()),
      peers: () => this.status().peers,
      ...taskHandlers(() => this.tasks),
    };
    this.#control = new ControlServer({ net: runtime.net, files: runtime.files, path: `${config.dataDir}/${CONTROL_SOCKET}`, handlers, log: this.#log });
    await this.#control.start();
    const external = config.broker !== "embedded" && config.broker !== "auto";
    if (config.hardware) {
      this.#device = new DeviceMonitor({ files: runtime.files, timers: runtime.timers, log: this.#log, profile: config.hardware, intervalMs: Math.max(1_000, config.heartbeatMs) });
      await this.#device.start();
    }
    if (config.mdns && this.#adapters.discovery) {
      this.#discovery = this.#adapters.discovery(config.mdnsInterface);
      await this.#discovery.start(this.#advert());
    }
    if (config.broker === "embedded") await this.#host();
    if (config.broker === "auto") {
      this.#locator = new BrokerLocator({
        self: { id: identity.id, rank: config.brokerRank, urls: () => this.#brokerUrls() },
        meshId: membership.meshId,
        discovery: this.#discovery,
        bootstrap: config.bootstrap,
        peers: () => this.#node?.peers.list() ?? [],
        host: () => this.#host(),
        unhost: () => this.#unhost(),
        clock: runtime.clock,
        timers: runtime.timers,
        log: this.#log,
      });
      this.#locator.start();
    }
    const locator = this.#locator;
    // A host with a TLS listener trusts its own certificate for its own connection (self-signed
    // is the common case on a LAN); --tls-ca names what to trust otherwise.
    const caFile = config.tlsCa ?? config.tls?.certFile ?? null;
    const ca = caFile ? await runtime.files.readFile(caFile) : null;
    const node = new MeshNode({
      ...(ca ? { tls: { ca } } : {}),
      runtime,
      identity,
      meshId: membership.meshId,
      cert: membership.cert,
      log: this.#log,
      connect: this.#adapters.connect,
      locate: locator ? (failure) => locator.locate(failure) : async () => (external ? config.broker : this.#broker!.url),
      presence: () => ({
        profile: config.profile,
        roles: [...config.roles],
        caps: { ...(this.#tasks ? this.#tasks.caps() : {}), ...this.#serviceCaps() },
        broker: { hosting: this.#broker !== null, rank: external ? 0 : config.brokerRank, urls: external ? [] : this.#brokerUrls() },
        version: VERSION,
        heartbeatMs: config.heartbeatMs,
      }),
      heartbeat: () => this.#resources(),
    });
    this.#node = node;
    this.#remote = new RemoteStatus(node, runtime, () => this.status());
    let executor: Executor | null = null;
    this.#services = this.#buildServices(node, identity, (job) =>
      executor ? executor.run(job) : Promise.resolve({ ok: false, code: "unknown_kind", error: `this agent runs no tasks (${job.kind})`, durationMs: 0 }),
    );
    const local: Record<string, ServiceKind> = {};
    for (const service of this.#services) {
      Object.assign(local, service.kinds ?? {});
      for (const [name, handler] of Object.entries(service.control ?? {})) {
        if (name in handlers) throw new Error(`service ${service.name} adds control command ${name}, which exists`);
        handlers[name] = handler;
      }
    }
    const threads = config.roles.includes("processing") && this.#adapters.executor ? this.#adapters.executor({ concurrency: config.concurrency, memoryMb: config.taskMemoryMb }) : null;
    const missingModel = (this.#modelFetcher = modelFetcher({ runtime, node, log: this.#log, dataDir: config.dataDir, maxBytes: config.storage.maxBlobMb * 1_048_576, storage: this.service<StorageService>("storage") }));
    executor = threads || Object.keys(local).length > 0 ? routedExecutor(threads, local, runtime.timers, () => runtime.clock.now(), { missingModel }) : null;
    // Services first: the task service resumes journaled tasks at once, and a resumed task of a
    // service's kind placed here must find its service running.
    for (const service of this.#services) await service.start();
    this.#tasks = await TaskService.start({
      runtime,
      node,
      dataDir: config.dataDir,
      log: this.#log,
      executor,
      retention: config.retention,
      concurrency: config.concurrency,
      power: config.hardware?.power ?? null,
      measuredWatts: () => this.#device?.readings.power?.totalWatts ?? null,
      battery: () => {
        const b = this.#device?.readings.battery;
        return b ? { percent: b.percent, charging: b.status !== "Discharging" } : null;
      },
      maxTemp: config.hardware?.thermal.maxC ?? null,
      accepting: () => this.#device?.accepting() ?? true,
      ...(this.#adapters.faults ? { faults: this.#adapters.faults } : {}),
    });
    node.start();
  }

  /** Leaves the mesh, stops the hosted broker and mDNS. */
  async stop(): Promise<void> {
    const control = this.#control;
    this.#control = null;
    await control?.stop();
    const node = this.#node;
    this.#node = null;
    this.#locator?.stop();
    this.#locator = null;
    for (const service of this.#services.splice(0).reverse()) {
      await service.stop().catch((e: Error) => this.#log.warn("service.stop_failed", { service: service.name, reason: e.message }));
    }
    this.#modelFetcher?.close();
    this.#modelFetcher = null;
    await this.#tasks?.stop();
    this.#tasks = null;
    this.#device?.stop();
    await node?.stop();
    await this.#unhost();
    const discovery = this.#discovery;
    this.#discovery = null;
    await discovery?.stop();
  }

  /** A snapshot for `agent status`. */
  status() {
    return agentStatus(this, this.#node, this.#broker, this.#resources(), this.#tasks, this.#device?.readings ?? null, this.#services);
  }

  #buildServices(node: MeshNode, identity: Identity, runLocal: ServiceContext["runLocal"]): AgentService[] {
    const built: AgentService[] = [];
    const context: ServiceContext = {
      runtime: this.runtime,
      config: this.config,
      identity,
      node,
      log: this.#log,
      runLocal,
      tasks: () => this.tasks,
      service: <T extends AgentService>(name: string) => (built.find((s) => s.name === name) as T | undefined) ?? null,
    };
    for (const factory of this.#adapters.services ?? SERVICES) {
      const service = factory(context);
      if (service) built.push(service);
    }
    return built;
  }

  #serviceCaps(): Record<string, unknown> {
    const caps: Record<string, unknown> = {};
    for (const s of this.#services) if (s.caps) caps[s.name] = s.caps();
    return caps;
  }

  /** Heartbeat readings: load and memory from the runtime, temperature from sysfs, queue from tasks. */
  #resources() {
    const base = this.#adapters.resources();
    const temp = this.#device?.readings.thermal?.hottest?.celsius ?? base.temp;
    return { ...base, temp: temp ?? null, queue: this.#tasks?.queueLength() ?? 0 };
  }

  async #remoteStatus(peer: string): Promise<unknown> {
    const node = this.#node;
    if (!node || !this.#remote) throw new ControlError("not_started", "the agent is not started");
    const match = node.peers.list().filter((p) => p.id.startsWith(peer));
    if (match.length !== 1) {
      try {
        keyFromAgentId(peer);
      } catch {
        throw new ControlError("unknown_peer", match.length === 0 ? `no peer with an ID starting ${peer}` : `${match.length} peers have IDs starting ${peer}; give more characters`);
      }
    }
    try {
      return await this.#remote.ask(match.length === 1 ? match[0]!.id : peer);
    } catch (error) {
      throw new ControlError("peer_unreachable", (error as Error).message);
    }
  }

  async #host(): Promise<string> {
    const { ed25519, clock } = this.runtime;
    const policy = new BrokerPolicy({ ed25519, clock, meshId: this.membership.meshId, connects: new EnvelopeReceiver({ ed25519, clock }) });
    this.#broker = await this.#adapters.startBroker({
      host: this.config.listen.host,
      port: this.config.listen.port,
      ...(this.config.tls ? { tls: this.config.tls } : {}),
      policy,
    });
    this.#log.info("broker.hosting", { url: this.#broker.url, port: this.#broker.port });
    await this.#discovery?.update(this.#advert());
    return this.#broker.url;
  }

  async #unhost(): Promise<void> {
    const broker = this.#broker;
    if (!broker) return;
    this.#broker = null;
    await broker.close();
    this.#log.info("broker.stopped", { url: broker.url });
    await this.#discovery?.update(this.#advert());
  }

  #brokerUrls(): string[] {
    const scheme = this.config.tls ? "mqtts" : "mqtt";
    const { host, port } = this.config.listen;
    const hosts = host === "0.0.0.0" || host === "::" ? this.#adapters.addresses() : [host];
    return hosts.map((h) => `${scheme}://${h.includes(":") ? `[${h}]` : h}:${this.#broker?.port ?? port}`);
  }

  #advert(): Advert {
    const external = this.config.broker !== "embedded" && this.config.broker !== "auto";
    return {
      id: this.identity.id,
      mesh: this.membership.meshId,
      meshName: this.membership.meshName,
      roles: [...this.config.roles],
      hosting: this.#broker !== null,
      rank: external ? 0 : this.config.brokerRank,
      port: this.#broker?.port ?? this.config.listen.port,
      version: "1",
    };
  }
}
