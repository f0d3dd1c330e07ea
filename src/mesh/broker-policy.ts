import { bytesEqual } from "../core/bytes.ts";
import { keyFromAgentId } from "../identity/agent-id.ts";
import { peekKid } from "../wire/cose-sign1.ts";
import type { EnvelopeReceiver } from "../wire/receiver.ts";
import { MembershipError, tokenToCert, verifyCert } from "./membership.ts";
import type { Ed25519 } from "../crypto/ed25519.ts";
import type { Clock } from "../runtime/runtime.ts";
import { meshTopics, TOPIC_ROOT, type MeshTopics } from "./topics.ts";

/** Who is on the other end of a broker connection, once authenticated. */
export type Principal = { kind: "agent"; id: string; key: Uint8Array } | { kind: "sensor"; name: string };

/** CONNECT refused; `code` is stable and mapped to an MQTT CONNACK return code by the adapter. */
export class AuthError extends Error {
  constructor(
    readonly code: "bad_credentials" | "not_member",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AuthError";
  }
}

/** The message type of the signed CONNECT password an agent presents. */
export const CONNECT_TYPE = "mqtt.connect";
/** Sensors publish under this topic root only. */
export const SENSOR_ROOT = "sensors";
/**
 * Roots a sensor token may also subscribe under: sensor pipelines' results and alerts
 * (docs/pipelines.md), so a dashboard on the embedded broker can read them with a sensor token.
 */
export const SENSOR_READ_ROOTS: ReadonlySet<string> = new Set(["results", "alerts"]);
/** Mesh subtrees every member may subscribe to; a member's own inbox is added per principal. */
const PUBLIC_SUBTREES = new Set(["presence", "hb", "all"]);
/** Mesh subtrees where the level after the subtree must be the publisher's own agent ID. */
const OWNED_SUBTREES = new Set(["presence", "hb"]);

/**
 * The embedded broker's admission rules, free of any broker library.
 *
 * - Agents connect with username = agent ID and password = a fresh envelope of type
 *   `mqtt.connect`, signed by that agent, carrying `{cert}`, its member certificate.
 * - Sensors connect with username = sensor name and password = a sensor token (`p2p1.…`).
 * - An agent publishes under `p2p/<mesh>/` only envelopes it signed itself, presence and
 *   heartbeats only on its own topics (an empty retained presence, its last will, is allowed),
 *   and anything outside `p2p/`; it subscribes to the public mesh topics, its own inbox, and
 *   filters outside `p2p/` that cannot match `p2p/` topics.
 * - A sensor publishes under `sensors/` only and subscribes under `results/` and `alerts/` only.
 */
export class BrokerPolicy {
  readonly topics: MeshTopics;
  readonly #ed25519: Ed25519;
  readonly #clock: Clock;
  readonly #meshId: string;
  readonly #connects: EnvelopeReceiver;

  /** `connects` is the receive path used for CONNECT passwords (its replay cache stops reuse). */
  constructor(deps: { ed25519: Ed25519; clock: Clock; meshId: string; connects: EnvelopeReceiver }) {
    this.#ed25519 = deps.ed25519;
    this.#clock = deps.clock;
    this.#meshId = deps.meshId;
    this.#connects = deps.connects;
    this.topics = meshTopics(deps.meshId);
  }

  /** Checks CONNECT credentials; returns the principal or throws `AuthError`. */
  async authenticate(username: string | undefined, password: Uint8Array | undefined): Promise<Principal> {
    if (!username || !password) throw new AuthError("bad_credentials", "username and password are required");
    if (/^[a-z2-7]{52}$/.test(username)) return this.#agent(username, password);
    return this.#sensor(username, password);
  }

  async #agent(id: string, password: Uint8Array): Promise<Principal> {
    let key: Uint8Array;
    try {
      key = keyFromAgentId(id);
    } catch (cause) {
      throw new AuthError("bad_credentials", "username is not a valid agent ID", { cause });
    }
    let message;
    try {
      message = await this.#connects.open(password);
    } catch (cause) {
      throw new AuthError("bad_credentials", `CONNECT password refused (${(cause as Error).message})`, { cause });
    }
    if (message.type !== CONNECT_TYPE || !bytesEqual(message.sender, key)) {
      throw new AuthError("bad_credentials", "CONNECT password is not a connect envelope signed by the username's key");
    }
    const cert = (message.payload as { cert?: unknown } | null)?.cert;
    if (!(cert instanceof Uint8Array)) throw new AuthError("not_member", "CONNECT password carries no member certificate");
    const checked = await this.#cert(cert);
    if (checked.kind !== "agent" || checked.member !== id) throw new AuthError("not_member", "certificate is for another member");
    return { kind: "agent", id, key };
  }

  async #sensor(name: string, password: Uint8Array): Promise<Principal> {
    let cert: Uint8Array;
    try {
      cert = tokenToCert(new TextDecoder().decode(password));
    } catch (cause) {
      throw new AuthError("bad_credentials", "sensor password is not a token", { cause });
    }
    const checked = await this.#cert(cert);
    if (checked.kind !== "sensor" || checked.name !== name) throw new AuthError("not_member", "token is not this sensor's");
    return { kind: "sensor", name };
  }

  async #cert(bytes: Uint8Array) {
    try {
      return await verifyCert(this.#ed25519, bytes, this.#meshId, this.#clock.now());
    } catch (cause) {
      if (cause instanceof MembershipError) throw new AuthError("not_member", cause.message, { cause });
      throw cause;
    }
  }

  /** True when `who` may publish `payload` to `topic`. */
  canPublish(who: Principal, topic: string, payload: Uint8Array): boolean {
    const levels = topic.split("/");
    if (who.kind === "sensor") return levels[0] === SENSOR_ROOT && levels.length > 1;
    if (levels[0] !== TOPIC_ROOT) return true;
    if (levels[1] !== this.#meshId || levels.length < 3) return false;
    const subtree = levels[2]!;
    if (OWNED_SUBTREES.has(subtree)) {
      if (levels.length !== 4 || levels[3] !== who.id) return false;
      if (subtree === "presence" && payload.length === 0) return true; // the last will clears presence
    }
    const kid = peekKid(payload);
    return kid !== null && bytesEqual(kid, who.key);
  }

  /** True when `who` may subscribe to `filter`. */
  canSubscribe(who: Principal, filter: string): boolean {
    const levels = filter.split("/");
    if (who.kind === "sensor") return SENSOR_READ_ROOTS.has(levels[0]!);
    const first = levels[0]!;
    if (first === "+" || first === "#" || first.startsWith("$")) return false;
    if (first !== TOPIC_ROOT) return true;
    if (levels[1] !== this.#meshId) return false;
    const subtree = levels[2];
    if (subtree === "inbox") return levels.length === 4 && levels[3] === who.id;
    return subtree !== undefined && PUBLIC_SUBTREES.has(subtree);
  }
}
