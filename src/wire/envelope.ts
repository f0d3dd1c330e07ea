import { assertBytes } from "../core/bytes.ts";
import type { Ed25519 } from "../crypto/ed25519.ts";
import { encodeCbor } from "./cbor.ts";
import { encodeSign1, protectedHeader, sigStructure } from "./cose-sign1.ts";

/** Wire protocol version carried in every payload as `v`. */
export const PROTOCOL_VERSION = 1;
/** Nonce length in bytes. */
export const NONCE_BYTES = 16;

/** What a sender puts in a message. */
export interface Outgoing {
  /** Message type, e.g. `presence`, `task.submit` (1 to 64 characters). */
  type: string;
  /** The task this message belongs to; empty when none. */
  taskId?: string;
  /** Any CBOR-encodable value. */
  payload?: unknown;
  /** The 32-byte public key of the one recipient, when there is one. */
  to?: Uint8Array;
}

/** The signer's key material. */
export interface Signer {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

/** Per-message values; both come from the runtime normally and are fixed only for golden vectors. */
export interface StampOptions {
  /** Milliseconds since the Unix epoch. */
  ts: number;
  /** {@link NONCE_BYTES} random bytes. */
  nonce: Uint8Array;
}

/**
 * The CBOR payload map of an envelope. Keys are inserted in RFC 8949 §4.2.1 deterministic order
 * (shorter encodings first, then bytewise): v, to, ts, box|type..., so our own encoder's output is
 * deterministic for deterministic `payload` values.
 */
export function payloadMap(message: Outgoing & { box?: Uint8Array }, stamp: StampOptions): Record<string, unknown> {
  if (typeof message.type !== "string" || message.type.length < 1 || message.type.length > 64) {
    throw new TypeError(`"type" expected a string of 1 to 64 characters, got ${JSON.stringify(message.type)}`);
  }
  const taskId = message.taskId ?? "";
  if (typeof taskId !== "string" || taskId.length > 128) throw new TypeError(`"taskId" expected a string of at most 128 characters`);
  if (!Number.isSafeInteger(stamp.ts) || stamp.ts < 0) throw new RangeError(`"ts" expected a non-negative safe integer, got ${stamp.ts}`);
  assertBytes("nonce", stamp.nonce, NONCE_BYTES);
  const map: Record<string, unknown> = { v: PROTOCOL_VERSION };
  if (message.to !== undefined) {
    assertBytes("to", message.to, 32);
    map.to = message.to;
  }
  map.ts = BigInt(stamp.ts);
  if (message.box !== undefined) map.box = message.box;
  map.type = message.type;
  map.nonce = stamp.nonce;
  if (message.box === undefined) map.payload = message.payload ?? null;
  map.task_id = taskId;
  return map;
}

/**
 * Builds and signs one envelope: a COSE_Sign1 whose protected header names EdDSA and the
 * signer's public key as `kid`, and whose payload is the CBOR map from {@link payloadMap}.
 */
export async function sealEnvelope(
  ed25519: Ed25519,
  signer: Signer,
  message: Outgoing & { box?: Uint8Array },
  stamp: StampOptions,
): Promise<Uint8Array> {
  assertBytes("publicKey", signer.publicKey, 32);
  const header = protectedHeader(signer.publicKey);
  const payload = encodeCbor(payloadMap(message, stamp));
  const signature = await ed25519.sign(signer.seed, sigStructure(header, payload));
  return encodeSign1(header, payload, signature);
}
