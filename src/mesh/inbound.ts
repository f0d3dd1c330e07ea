import { bytesEqual, toHex } from "../core/bytes.ts";
import { keyFromAgentId as fromAgentId } from "../identity/agent-id.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../runtime/runtime.ts";
import { peekKid } from "../wire/cose-sign1.ts";
import type { EnvelopeReceiver, Received } from "../wire/receiver.ts";
import { WireError, type RefusalCounter } from "../wire/wire-error.ts";
import type { Members } from "./members.ts";
import { SeenSet } from "./outbox.ts";
import type { HeartbeatInfo, PeerTable, PresenceInfo } from "./peer-table.ts";
import { RateLimiter } from "./rate-limiter.ts";
import type { MeshTopics } from "./topics.ts";
import type { InboundMessage } from "./transport.ts";

/** A message handed to a handler: the checked envelope plus the application body. */
export interface Delivered extends Received {
  /** For direct messages, the body inside `{mid, body}`; for broadcasts, the payload. */
  body: unknown;
  /** True for a direct (inbox) message, false for a broadcast. */
  direct: boolean;
}

/** What the inbound path needs from its node. */
export interface InboundDeps {
  node: { id: string; peers: PeerTable; refusals: RefusalCounter; topics: MeshTopics; counters: { received: number; delivered: number; duplicates: number } };
  receiver: EnvelopeReceiver;
  members: Members;
  clock: Clock;
  log: Logger;
  flood: { rate: number; burst: number };
  ack: (to: Uint8Array, mid: string) => Promise<void>;
  acked: (mid: string) => boolean;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function presenceInfo(v: Record<string, unknown>): PresenceInfo | null {
  const { profile, roles, caps, broker, version, heartbeatMs } = v;
  if (typeof profile !== "string" || !Array.isArray(roles) || !roles.every((r) => typeof r === "string")) return null;
  if (!isMap(caps) || !isMap(broker) || typeof version !== "string") return null;
  const { hosting, rank, urls } = broker;
  if (typeof hosting !== "boolean" || typeof rank !== "number" || !Array.isArray(urls) || !urls.every((u) => typeof u === "string" && /^mqtts?:\/\//.test(u))) return null;
  if (typeof heartbeatMs !== "number" || !(heartbeatMs >= 100 && heartbeatMs <= 600_000)) return null;
  return { profile, roles: roles as string[], caps, broker: { hosting, rank, urls: urls as string[] }, version, heartbeatMs };
}

function heartbeatInfo(v: unknown): HeartbeatInfo | null {
  if (!isMap(v)) return null;
  const { load, freeMem, temp, queue } = v;
  if (typeof load !== "number" || typeof freeMem !== "number" || typeof queue !== "number") return null;
  if (temp !== null && typeof temp !== "number") return null;
  return { load, freeMem, temp, queue };
}

/**
 * The inbound half of a mesh node: flood control per sending key before any checking, the
 * envelope receive path, membership, then presence and heartbeats into the peer table, acks into
 * the outbox, and direct and broadcast messages to handlers (direct ones deduplicated by ID and
 * acknowledged after the handler ran).
 */
export class Inbound {
  readonly #d: InboundDeps;
  readonly #handlers = new Map<string, (m: Delivered) => void | Promise<void>>();
  readonly #limiter: RateLimiter;
  readonly #seen = new SeenSet();
  readonly #lastRetained = new Map<string, string>();
  readonly #throttleLogged = new Map<string, number>();
  readonly #prefixLength: number;

  constructor(deps: InboundDeps) {
    this.#d = deps;
    this.#limiter = new RateLimiter({ ...deps.flood, clock: deps.clock });
    this.#prefixLength = deps.node.topics.prefix.length + 1;
  }

  /** Registers the handler for `type`. */
  handle(type: string, handler: (m: Delivered) => void | Promise<void>): void {
    this.#handlers.set(type, handler);
  }

  /**
   * Processes one message from the broker. Never throws. Messages are checked one at a time in
   * arrival order (a presence admits its sender before that sender's next message is checked, and
   * a last will cannot overtake the presence it cancels); handlers run outside that order, so a
   * slow handler does not hold up the rest.
   */
  async accept(message: InboundMessage): Promise<void> {
    const { node } = this.#d;
    node.counters.received++;
    const [subtree, subject] = message.topic.slice(this.#prefixLength).split("/");
    if (subtree === "presence" && message.payload.length === 0) {
      await this.#inOrder(async () => {
        if (subject && subject !== node.id) node.peers.gone(subject, "left the mesh");
        return null;
      });
      return;
    }
    if (message.retain) {
      // A retained presence is re-delivered on every re-subscribe; the same bytes again are no news.
      const fingerprint = toHex(message.payload.subarray(message.payload.length - 16));
      if (this.#lastRetained.get(message.topic) === fingerprint) return;
      this.#lastRetained.set(message.topic, fingerprint);
    }
    const kid = peekKid(message.payload);
    const kidHex = kid ? toHex(kid) : "unknown";
    // Our own presence, heartbeats and broadcasts come back to us; drop them before any work.
    if (kid && (subtree === "presence" || subtree === "hb" || subtree === "all") && bytesEqual(kid, this.#selfKey())) return;
    if (!this.#limiter.take(kidHex)) return this.#throttled(kidHex);
    const deliver = await this.#inOrder(() => this.#check(subtree, subject, message.payload));
    if (deliver === null) return;
    try {
      await deliver();
    } catch (error) {
      this.#d.log.error("message.handler_failed", { reason: (error as Error).message });
    }
  }

  /** Runs `step` after every step queued before it; its result (or null when it failed). */
  #inOrder(step: () => Promise<(() => Promise<void>) | null>): Promise<(() => Promise<void>) | null> {
    const result = this.#queue.then(step).catch((error: unknown) => {
      this.#d.log.error("message.check_failed", { reason: (error as Error).message });
      return null;
    });
    this.#queue = result;
    return result;
  }
  #queue: Promise<unknown> = Promise.resolve();

  /** The in-order part: the receive path, membership and the peer table; returns what is left to do. */
  async #check(subtree: string | undefined, subject: string | undefined, bytes: Uint8Array): Promise<(() => Promise<void>) | null> {
    let received: Received;
    try {
      received = await this.#d.receiver.open(bytes);
    } catch (error) {
      this.#d.log.debug("message.refused", { code: error instanceof WireError ? error.code : "error", topic: subtree });
      return null;
    }
    if (received.senderId === this.#d.node.id) return null;
    return this.#dispatch(subtree, subject, received);
  }

  #selfKey(): Uint8Array {
    return (this.#selfKeyCache ??= fromAgentId(this.#d.node.id));
  }
  #selfKeyCache: Uint8Array | undefined;

  async #dispatch(subtree: string | undefined, subject: string | undefined, m: Received): Promise<(() => Promise<void>) | null> {
    const { node, members, clock, log } = this.#d;
    if (subtree === "presence") {
      const info = isMap(m.payload) ? presenceInfo(m.payload) : null;
      const cert = isMap(m.payload) ? m.payload.cert : undefined;
      if (m.type !== "presence" || subject !== m.senderId || info === null || !(cert instanceof Uint8Array)) return this.#refuse("bad_structure", m, "presence");
      try {
        await members.admit(m.senderId, cert);
      } catch (error) {
        log.warn("member.refused", { peer: m.senderId.slice(0, 8), reason: (error as Error).message });
        return this.#refuse("not_member", m, "presence");
      }
      node.peers.presence(m.senderId, info, clock.now());
      return null;
    }
    if (!members.has(m.senderId)) return this.#refuse("not_member", m, subtree ?? "");
    if (subtree === "hb") {
      const info = heartbeatInfo(m.payload);
      if (m.type !== "heartbeat" || subject !== m.senderId || info === null) return this.#refuse("bad_structure", m, "hb");
      node.peers.heartbeat(m.senderId, info, clock.now());
      return null;
    }
    if (subtree === "inbox") {
      const p = m.payload;
      if (m.type === "ack") {
        if (isMap(p) && typeof p.mid === "string") this.#d.acked(p.mid);
        return null;
      }
      if (!isMap(p) || typeof p.mid !== "string" || !("body" in p)) return this.#refuse("bad_structure", m, "inbox");
      const mid = p.mid;
      if (!this.#seen.add(`${m.senderId}/${mid}`)) {
        node.counters.duplicates++;
        return () => this.#d.ack(m.sender, mid);
      }
      return async () => {
        await this.#deliver({ ...m, body: p.body, direct: true });
        await this.#d.ack(m.sender, mid);
      };
    }
    if (subtree === "all") return () => this.#deliver({ ...m, body: m.payload, direct: false });
    return null;
  }

  async #deliver(message: Delivered): Promise<void> {
    const handler = this.#handlers.get(message.type);
    this.#d.node.counters.delivered++;
    if (handler === undefined) {
      this.#d.log.debug("message.unhandled", { type: message.type });
      return;
    }
    try {
      await handler(message);
    } catch (error) {
      this.#d.log.error("message.handler_failed", { type: message.type, task: message.taskId || undefined, reason: (error as Error).message });
    }
  }

  #refuse(code: "bad_structure" | "not_member", m: Received, where: string): null {
    this.#d.node.refusals.count(code);
    this.#d.log.debug("message.refused", { code, type: m.type, from: m.senderId.slice(0, 8), topic: where });
    return null;
  }

  #throttled(kidHex: string): void {
    this.#d.node.refusals.count("throttled");
    const now = this.#d.clock.now();
    if ((this.#throttleLogged.get(kidHex) ?? 0) + 5_000 > now) return;
    if (this.#throttleLogged.size > 1_000) this.#throttleLogged.clear();
    this.#throttleLogged.set(kidHex, now);
    this.#d.log.warn("peer.throttled", { key: kidHex.slice(0, 16), rate: this.#d.flood.rate });
  }
}
