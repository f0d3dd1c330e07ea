import { bytesEqual, toHex, utf8 } from "../core/bytes.ts";
import type { Ed25519 } from "../crypto/ed25519.ts";
import { openBox } from "../crypto/e2e.ts";
import { agentIdFromKey } from "../identity/agent-id.ts";
import type { Clock } from "../runtime/runtime.ts";
import { decodeCbor } from "./cbor.ts";
import { parseSign1, sigStructure } from "./cose-sign1.ts";
import { NONCE_BYTES, PROTOCOL_VERSION, type Signer } from "./envelope.ts";
import { ReplayCache } from "./replay-cache.ts";
import { RefusalCounter, WireError } from "./wire-error.ts";

/** A message that passed every check. */
export interface Received {
  type: string;
  taskId: string;
  /** The payload value; for an encrypted message, the decrypted one. */
  payload: unknown;
  /** Sender's timestamp, ms since the Unix epoch. */
  ts: number;
  nonce: Uint8Array;
  /** The recipient's public key, when the message names one. */
  to?: Uint8Array;
  /** The sender's public key (the COSE kid). */
  sender: Uint8Array;
  /** The sender's agent ID (text form of `sender`). */
  senderId: string;
  /** True when the payload travelled end-to-end encrypted. */
  encrypted: boolean;
}

/** Receive-path settings; every field but `ed25519` and `clock` has a default. */
export interface ReceiverOptions {
  ed25519: Ed25519;
  clock: Clock;
  /** Largest envelope accepted, bytes. Default 1 MiB. */
  maxBytes?: number;
  /** How old a timestamp may be, ms. Default 60,000. */
  windowMs?: number;
  /** How far ahead of our clock a timestamp may be, ms. Default 10,000. */
  skewMs?: number;
  /** Replay cache entries. Default 200,000. */
  replayCapacity?: number;
  /** Where refusals are counted. Default: a new counter, readable as `receiver.refusals`. */
  refusals?: RefusalCounter;
  /** This agent's keys: when set, messages addressed to others are refused and boxes are opened. */
  self?: Signer;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * The receive path. `open(bytes)` runs the checks cheapest first — size, CBOR well-formedness,
 * structure and algorithm, freshness, signature, replay — then addressing and decryption, and
 * returns the message or throws a `WireError`, counting each refusal by its code.
 */
export class EnvelopeReceiver {
  readonly refusals: RefusalCounter;
  readonly #options: Required<Omit<ReceiverOptions, "self" | "refusals">> & { self?: Signer };
  readonly #replay: ReplayCache;

  constructor(options: ReceiverOptions) {
    const positive = (name: string, value: number | undefined, fallback: number, min = 1) => {
      const v = value ?? fallback;
      if (!(Number.isFinite(v) && v >= min)) throw new RangeError(`"${name}" expected a number of at least ${min}, got ${value}`);
      return v;
    };
    this.#options = {
      ed25519: options.ed25519,
      clock: options.clock,
      maxBytes: positive("maxBytes", options.maxBytes, 1 << 20),
      windowMs: positive("windowMs", options.windowMs, 60_000),
      skewMs: positive("skewMs", options.skewMs, 10_000, 0),
      replayCapacity: positive("replayCapacity", options.replayCapacity, 200_000),
      ...(options.self ? { self: options.self } : {}),
    };
    this.refusals = options.refusals ?? new RefusalCounter();
    this.#replay = new ReplayCache(this.#options.replayCapacity);
  }

  /** Checks and decodes one received envelope. Throws `WireError` (already counted) on refusal. */
  async open(bytes: Uint8Array): Promise<Received> {
    try {
      return await this.#open(bytes);
    } catch (error) {
      if (error instanceof WireError) {
        this.refusals.count(error.code);
        throw error;
      }
      // Anything else is a bug in a check; still refuse the message, never crash the caller.
      this.refusals.count("malformed");
      throw new WireError("malformed", "envelope could not be processed", { cause: error });
    }
  }

  async #open(bytes: Uint8Array): Promise<Received> {
    const o = this.#options;
    if (!(bytes instanceof Uint8Array)) throw new WireError("bad_structure", "envelope is not bytes");
    if (bytes.length > o.maxBytes) throw new WireError("too_large", `envelope is ${bytes.length} bytes, limit ${o.maxBytes}`);
    const { protectedBytes, kid, payload: payloadBytes, signature } = parseSign1(bytes);
    let body: unknown;
    try {
      body = decodeCbor(payloadBytes);
    } catch (cause) {
      throw new WireError("malformed", "payload is not well-formed CBOR", { cause });
    }
    const m = checkPayload(body);

    const now = o.clock.now();
    if (m.ts < now - o.windowMs) throw new WireError("stale", `timestamp ${m.ts} is ${now - m.ts} ms old, window ${o.windowMs} ms`);
    if (m.ts > now + o.skewMs) throw new WireError("future", `timestamp ${m.ts} is ${m.ts - now} ms ahead, skew ${o.skewMs} ms`);

    if (!(await o.ed25519.verify(kid, sigStructure(protectedBytes, payloadBytes), signature))) {
      throw new WireError("bad_signature", "signature does not verify under the kid");
    }
    if (!this.#replay.admit(toHex(kid) + toHex(m.nonce), m.ts, now - o.windowMs)) {
      throw new WireError("replay", "nonce already seen from this sender, or older than the replay cache reaches");
    }

    const self = o.self;
    if (m.to !== undefined && self !== undefined && !bytesEqual(m.to, self.publicKey)) {
      throw new WireError("wrong_recipient", "message is addressed to another agent");
    }
    let payload = m.payload;
    if (m.box !== undefined) {
      if (self === undefined) throw new WireError("wrong_recipient", "encrypted message but this receiver has no keys");
      let plain: Uint8Array;
      try {
        plain = openBox(m.box, kid, self.publicKey, self.seed, boxContext(m.type, m.taskId));
      } catch (cause) {
        throw new WireError("decrypt_failed", "encrypted payload does not open", { cause });
      }
      try {
        payload = decodeCbor(plain);
      } catch (cause) {
        throw new WireError("malformed", "decrypted payload is not well-formed CBOR", { cause });
      }
    }
    return {
      type: m.type,
      taskId: m.taskId,
      payload,
      ts: m.ts,
      // Copies: on Node the decoder hands out views into the caller's buffer.
      nonce: new Uint8Array(m.nonce),
      ...(m.to !== undefined ? { to: new Uint8Array(m.to) } : {}),
      sender: new Uint8Array(kid),
      senderId: agentIdFromKey(kid),
      encrypted: m.box !== undefined,
    };
  }
}

/** The context bound into a box's additional data: type, a zero byte, task ID. */
export function boxContext(type: string, taskId: string): Uint8Array {
  return utf8(`${type}\u0000${taskId}`);
}

interface CheckedPayload {
  type: string;
  taskId: string;
  ts: number;
  nonce: Uint8Array;
  to?: Uint8Array;
  payload: unknown;
  box?: Uint8Array;
}

function checkPayload(body: unknown): CheckedPayload {
  if (!isMap(body)) throw new WireError("bad_structure", "payload is not a map");
  const { v, type, task_id: taskId, ts, nonce, to, payload, box } = body;
  if (v !== PROTOCOL_VERSION) throw new WireError("bad_structure", `protocol version ${String(v)} is not ${PROTOCOL_VERSION}`);
  if (typeof type !== "string" || type.length < 1 || type.length > 64) throw new WireError("bad_structure", "type is not a string of 1 to 64 characters");
  if (typeof taskId !== "string" || taskId.length > 128) throw new WireError("bad_structure", "task_id is not a string of at most 128 characters");
  const tsNumber = typeof ts === "bigint" ? Number(ts) : ts;
  if (typeof tsNumber !== "number" || !Number.isSafeInteger(tsNumber) || tsNumber < 0) {
    throw new WireError("bad_structure", "ts is not a non-negative integer");
  }
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) throw new WireError("bad_structure", `nonce is not ${NONCE_BYTES} bytes`);
  if (to !== undefined && (!(to instanceof Uint8Array) || to.length !== 32)) throw new WireError("bad_structure", "to is not a 32-byte public key");
  if ((payload === undefined) === (box === undefined)) throw new WireError("bad_structure", "exactly one of payload and box must be present");
  if (box !== undefined && (!(box instanceof Uint8Array) || to === undefined)) {
    throw new WireError("bad_structure", "box must be a byte string and needs a recipient (to)");
  }
  return {
    type,
    taskId,
    ts: tsNumber,
    nonce,
    payload,
    ...(to !== undefined ? { to: to as Uint8Array } : {}),
    ...(box !== undefined ? { box: box as Uint8Array } : {}),
  };
}
