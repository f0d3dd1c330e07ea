import { toHex } from "../core/bytes.ts";
import type { Identity } from "../identity/identity.ts";
import { agentIdFromKey, keyFromAgentId } from "../identity/agent-id.ts";
import type { Logger } from "../log/logger.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { EnvelopeReceiver, type Received } from "../wire/receiver.ts";
import { EnvelopeSender } from "../wire/sender.ts";
import { RefusalCounter } from "../wire/wire-error.ts";
import { CONNECT_TYPE } from "./broker-policy.ts";
import { Inbound, type Delivered } from "./inbound.ts";
import { Members } from "./members.ts";
import { DeliveryError, Outbox } from "./outbox.ts";
import { PeerTable, type HeartbeatInfo, type PresenceInfo } from "./peer-table.ts";
import { meshTopics, TOPIC_ROOT, topicMatches, type MeshTopics } from "./topics.ts";
import type { BrokerConnection, Connect, InboundMessage, Qos } from "./transport.ts";
import type { ConnectionFailure } from "./broker-locator.ts";

/** What a mesh node needs. */
export interface MeshNodeOptions {
  runtime: Pick<Runtime, "ed25519" | "clock" | "timers" | "random">;
  identity: Identity;
  meshId: string;
  /** This agent's member certificate (the owner's own is self-issued). */
  cert: Uint8Array;
  log: Logger;
  connect: Connect;
  /** Where the broker is now; called before every (re)connect, told how the last attempt ended. */
  locate: (failure?: ConnectionFailure) => Promise<string>;
  /** What to announce; called whenever presence is (re)published. */
  presence: () => PresenceInfo;
  /** Resource readings for each heartbeat. */
  heartbeat: () => HeartbeatInfo;
  /** Per-peer flood control: messages per second and burst (defaults 2,000 and 4,000). */
  flood?: { rate: number; burst: number };
  /** Re-send unacknowledged direct messages this often, ms (default 2,000). */
  resendMs?: number;
  /** For `mqtts://` brokers: a PEM CA to trust (e.g. the mesh's self-signed certificate). */
  tls?: { ca?: Uint8Array };
  /** Called when the broker connection comes up or goes down. */
  onConnection?: (state: ConnectionState) => void;
}

/** The broker connection as status shows it. */
export interface ConnectionState {
  connected: boolean;
  url: string | null;
  since: number;
  reason?: string;
}

/** Message counters, by direction and kind. */
export interface MeshCounters {
  sent: number;
  received: number;
  delivered: number;
  duplicates: number;
  resent: number;
  reconnects: number;
}

/**
 * One agent's membership in the mesh: keeps a broker connection (reconnecting wherever `locate`
 * says the broker now is), announces presence (retained, with an empty-presence last will) and
 * heartbeats, keeps the peer table, and sends and receives signed messages. Direct messages are
 * delivered at least once at the application level (kept until acknowledged, re-sent after
 * reconnects) and exactly once to handlers (receivers drop duplicates).
 */
export class MeshNode {
  readonly peers: PeerTable;
  readonly refusals = new RefusalCounter();
  readonly counters: MeshCounters = { sent: 0, received: 0, delivered: 0, duplicates: 0, resent: 0, reconnects: 0 };
  readonly topics: MeshTopics;
  readonly #o: MeshNodeOptions;
  readonly #sender: EnvelopeSender;
  readonly #outbox = new Outbox();
  readonly #inbound: Inbound;
  #connection: BrokerConnection | null = null;
  #state: ConnectionState = { connected: false, url: null, since: 0 };
  #running = false;
  #loop: Promise<void> | null = null;
  #timers: unknown[] = [];
  #wake: (() => void) | null = null;
  #sleep: unknown = null;
  /** Plain-MQTT subscriptions outside `p2p/` (sensor readings): filter → handlers. */
  readonly #raw = new Map<string, Set<(message: InboundMessage) => void>>();

  constructor(options: MeshNodeOptions) {
    this.#o = options;
    this.topics = meshTopics(options.meshId);
    const { ed25519, clock, random } = options.runtime;
    this.#sender = new EnvelopeSender({ ed25519, clock, random }, options.identity);
    this.peers = new PeerTable({
      onChange: (peer, previous) => {
        if (previous === null) options.log.info("peer.join", { peer: peer.shortId, profile: peer.presence.profile, roles: peer.presence.roles.join(",") });
        else if (peer.health === "gone") options.log.info("peer.leave", { peer: peer.shortId, reason: peer.goneReason });
        else options.log.info("peer.health", { peer: peer.shortId, health: peer.health, was: previous });
      },
    });
    const receiver = new EnvelopeReceiver({ ed25519, clock, refusals: this.refusals, self: options.identity });
    this.#inbound = new Inbound({
      node: this,
      receiver,
      members: new Members({ ed25519, clock, meshId: options.meshId }),
      clock,
      log: options.log,
      flood: options.flood ?? { rate: 2_000, burst: 4_000 },
      ack: (to, mid) => this.#publishAck(to, mid),
      acked: (mid) => this.#outbox.ack(mid),
    });
  }

  /** This agent's ID. */
  get id(): string {
    return this.#o.identity.id;
  }

  /** The broker connection's state. */
  get connection(): ConnectionState {
    return { ...this.#state };
  }

  /** Unacknowledged direct messages. */
  get pending(): number {
    return this.#outbox.size;
  }

  /** Registers the handler for messages of `type` (direct and broadcast). */
  handle(type: string, handler: (message: Delivered) => void | Promise<void>): void {
    this.#inbound.handle(type, handler);
  }

  /**
   * Subscribes to `filter` outside the mesh's own topics (e.g. `sensors/+/temperature`) and hands
   * every matching message, as plain MQTT (no envelope, no signature, nothing checked), to
   * `handler`. Kept across reconnects and broker moves. Resolves once the broker granted it, or at
   * once when not connected (it is subscribed on the next connect). `TypeError` for a filter that
   * could match `p2p/` topics.
   */
  async subscribeRaw(filter: string, handler: (message: InboundMessage) => void): Promise<void> {
    const first = filter.split("/")[0]!;
    if (first === TOPIC_ROOT || first === "+" || first === "#" || first.startsWith("$")) throw new TypeError(`"filter" must start outside ${TOPIC_ROOT}/ without a wildcard, got ${JSON.stringify(filter)}`);
    const handlers = this.#raw.get(filter) ?? new Set();
    const fresh = handlers.size === 0;
    handlers.add(handler);
    this.#raw.set(filter, handlers);
    if (fresh) await this.#connection?.subscribe([filter], 1); // QoS 1 granted: the publisher's QoS applies
  }

  /** Removes `handler` from `filter`; the broker subscription goes with the last handler. */
  async unsubscribeRaw(filter: string, handler: (message: InboundMessage) => void): Promise<void> {
    const handlers = this.#raw.get(filter);
    if (!handlers?.delete(handler) || handlers.size > 0) return;
    this.#raw.delete(filter);
    await this.#connection?.unsubscribe?.([filter]).catch(() => {});
  }

  /** Publishes a plain payload outside `p2p/` (pipeline results, alerts). Rejects when not connected. */
  async publishRaw(topic: string, payload: Uint8Array, qos: Qos = 0): Promise<void> {
    if (topic.split("/")[0] === TOPIC_ROOT) throw new TypeError(`"topic" must be outside ${TOPIC_ROOT}/, got ${JSON.stringify(topic)}`);
    const connection = this.#connection;
    if (!connection) throw new Error("not connected to a broker");
    await connection.publish(topic, payload, { qos });
  }

  #deliverRaw(message: InboundMessage): void {
    for (const [filter, handlers] of this.#raw) {
      if (!topicMatches(filter, message.topic)) continue;
      for (const handler of handlers) {
        try {
          handler(message);
        } catch (error) {
          this.#o.log.warn("raw.handler_failed", { filter, reason: (error as Error).message });
        }
      }
    }
  }

  /** Starts connecting; resolves at once (the first connection may come later). Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { timers, clock } = this.#o.runtime;
    const hbMs = this.#o.presence().heartbeatMs;
    this.#timers.push(
      timers.setInterval(() => void this.#beat(), hbMs),
      timers.setInterval(() => this.peers.sweep(clock.now()), Math.max(250, hbMs / 2)),
      timers.setInterval(() => void this.#resend(), this.#o.resendMs ?? 2_000),
      timers.setInterval(() => void this.#announce(), 30_000), // keeps retained presence inside receivers' freshness window
    );
    this.#loop = this.#run();
  }

  /** Says goodbye (clears retained presence), disconnects, fails pending sends. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const t of this.#timers.splice(0)) this.#o.runtime.timers.clearInterval(t);
    const connection = this.#connection;
    if (connection) {
      // Bounded: a broker that stopped answering never acknowledges, and must not hold up stop().
      await this.#within(1_000, connection.publish(this.topics.presence(this.id), new Uint8Array(0), { qos: 1, retain: true }));
      await connection.close();
    }
    if (this.#sleep !== null) this.#o.runtime.timers.clearTimeout(this.#sleep);
    this.#wake?.();
    await this.#loop;
    this.#outbox.clear();
  }

  /**
   * Sends `body` to agent `to` as a message of `type`; resolves when the recipient acknowledged
   * it, rejects with `DeliveryError` after `timeoutMs` (default 60,000) or on stop. With
   * `private`, the body is encrypted end to end for the recipient.
   */
  send(to: string, type: string, body: unknown, options: { taskId?: string; private?: boolean; timeoutMs?: number } = {}): Promise<void> {
    keyFromAgentId(to); // validates
    if (!this.#running) return Promise.reject(new DeliveryError("stopped", "mesh node is not running"));
    return new Promise((resolve, reject) => {
      const pending = {
        mid: toHex(this.#o.runtime.random(12)),
        to,
        type,
        taskId: options.taskId ?? "",
        body,
        private: options.private ?? false,
        deadline: this.#o.runtime.clock.now() + (options.timeoutMs ?? 60_000),
        sentAt: 0,
        attempts: 0,
        resolve,
        reject,
      };
      this.#outbox.add(pending);
      void this.#transmit(pending);
    });
  }

  /** Publishes `body` to every member (QoS 1, not acknowledged). Rejects when not connected. */
  async broadcast(type: string, body: unknown, options: { taskId?: string } = {}): Promise<void> {
    const connection = this.#connection;
    if (!connection) throw new Error("not connected to a broker");
    const bytes = await this.#sender.seal({ type, taskId: options.taskId ?? "", payload: body });
    await connection.publish(this.topics.all, bytes, { qos: 1 });
    this.counters.sent++;
  }

  /** Re-announces presence now (after a change of roles, capabilities or broker). */
  announce(): Promise<void> {
    return this.#announce();
  }

  async #run(): Promise<void> {
    let backoff = 100;
    let failure: ConnectionFailure | undefined;
    while (this.#running) {
      let url = "";
      try {
        url = await this.#o.locate(failure);
        const connection = await this.#connectTo(url);
        if (!this.#running) {
          // stop() ran while we were connecting and saw no connection to close: say goodbye here.
          this.#connection = null;
          await this.#within(1_000, connection.publish(this.topics.presence(this.id), new Uint8Array(0), { qos: 1, retain: true }));
          await connection.close();
          this.#setState({ connected: false, url, since: this.#o.runtime.clock.now(), reason: "stopped" });
          break;
        }
        backoff = 100;
        const reason = await connection.closed;
        this.#connection = null;
        failure = { url, kind: "lost" };
        this.#setState({ connected: false, url, since: this.#o.runtime.clock.now(), reason });
        if (this.#running) this.#o.log.warn("broker.lost", { url, reason });
        backoff = 0; // look for the next broker at once
      } catch (error) {
        if (!this.#running) break;
        failure = url ? { url, kind: "failed" } : undefined;
        this.#o.log.warn("broker.connect_failed", { url: url || null, reason: (error as Error).message });
      }
      if (!this.#running) break;
      this.counters.reconnects++;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#sleep = this.#o.runtime.timers.setTimeout(resolve, backoff);
      });
      this.#sleep = null;
      backoff = Math.min(2_000, Math.max(100, backoff * 2));
    }
  }

  /** Waits for `promise` (ignoring its failure), but at most `ms`. */
  async #within(ms: number, promise: Promise<unknown>): Promise<void> {
    const { timers } = this.#o.runtime;
    let timer: unknown;
    await Promise.race([promise.catch(() => {}), new Promise<void>((resolve) => (timer = timers.setTimeout(resolve, ms)))]);
    timers.clearTimeout(timer);
  }

  async #connectTo(url: string): Promise<BrokerConnection> {
    const password = await this.#sender.seal({ type: CONNECT_TYPE, payload: { cert: this.#o.cert } });
    const connection = await this.#o.connect({
      url,
      clientId: this.id,
      username: this.id,
      password,
      will: { topic: this.topics.presence(this.id), payload: new Uint8Array(0), qos: 1, retain: true },
      ...(this.#o.tls ? { tls: this.#o.tls } : {}),
    });
    connection.onMessage((m) => (m.topic.startsWith(`${TOPIC_ROOT}/`) ? void this.#inbound.accept(m) : this.#deliverRaw(m)));
    try {
      // Presence first, on its own: the retained presences (which admit members) then come ahead of
      // the members' heartbeats and messages, which would otherwise be refused as from non-members.
      await connection.subscribe([this.topics.presenceAll], 1);
      await connection.subscribe([this.topics.heartbeatAll, this.topics.inbox(this.id), this.topics.all], 1);
      this.#connection = connection;
      await this.#announce();
      for (const filter of this.#raw.keys()) {
        await connection.subscribe([filter], 1).catch((e: Error) => this.#o.log.warn("raw.subscribe_failed", { filter, reason: e.message }));
      }
    } catch (error) {
      await connection.close();
      throw error;
    }
    this.#setState({ connected: true, url, since: this.#o.runtime.clock.now() });
    this.#o.log.info("broker.connected", { url });
    for (const pending of this.#outbox.all()) void this.#transmit(pending);
    return connection;
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#o.onConnection?.({ ...state });
  }

  async #announce(): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    const bytes = await this.#sender.seal({ type: "presence", payload: { ...this.#o.presence(), cert: this.#o.cert } });
    await connection.publish(this.topics.presence(this.id), bytes, { qos: 1, retain: true }).catch(() => {});
  }

  async #beat(): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    const bytes = await this.#sender.seal({ type: "heartbeat", payload: this.#o.heartbeat() });
    await connection.publish(this.topics.heartbeat(this.id), bytes, { qos: 0 }).catch(() => {});
  }

  async #resend(): Promise<void> {
    const now = this.#o.runtime.clock.now();
    this.#outbox.expire(now);
    for (const pending of this.#outbox.due(now, this.#o.resendMs ?? 2_000)) {
      if (pending.attempts > 0) this.counters.resent++;
      void this.#transmit(pending);
    }
  }

  async #transmit(pending: ReturnType<Outbox["all"]>[number]): Promise<void> {
    const connection = this.#connection;
    if (!connection) return; // sent after the next connect
    pending.attempts++;
    pending.sentAt = this.#o.runtime.clock.now();
    try {
      const bytes = await this.#sender.seal(
        { type: pending.type, taskId: pending.taskId, to: keyFromAgentId(pending.to), payload: { mid: pending.mid, body: pending.body } },
        { private: pending.private },
      );
      await connection.publish(this.topics.inbox(pending.to), bytes, { qos: 1 });
      this.counters.sent++;
    } catch (error) {
      this.#o.log.debug("send.retry_later", { type: pending.type, reason: (error as Error).message });
    }
  }

  async #publishAck(to: Received["sender"], mid: string): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    const bytes = await this.#sender.seal({ type: "ack", to, payload: { mid } });
    await connection.publish(this.topics.inbox(agentIdFromKey(to)), bytes, { qos: 1 }).catch(() => {});
  }
}
