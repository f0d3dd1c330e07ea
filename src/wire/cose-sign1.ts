import { bytesEqual, concatBytes, utf8 } from "../core/bytes.ts";
import { decodeCbor } from "./cbor.ts";
import { WireError } from "./wire-error.ts";

/** COSE_Sign1 tag (RFC 9052 §4.2). */
export const COSE_SIGN1_TAG = 18;
/** COSE algorithm EdDSA (RFC 9053 §2.2). */
export const ALG_EDDSA = -8;
/** COSE header labels (RFC 9052 §3.1). */
const LABEL_ALG = 1;
const LABEL_KID = 4;

/**
 * The protected header of every envelope, encoded once, exactly:
 * `a2 01 27 04 58 20 <kid>`, i.e. the map {1: -8, 4: h'<32-byte public key>'}.
 */
export function protectedHeader(kid: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0xa2, 0x01, 0x27, 0x04, 0x58, 0x20), kid);
}

/** The CBOR head of a byte string of `length` bytes (RFC 8949 §3.1, major type 2, shortest form). */
export function bstrHead(length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length < 0x100) return Uint8Array.of(0x58, length);
  if (length < 0x10000) return Uint8Array.of(0x59, length >> 8, length & 0xff);
  return Uint8Array.of(0x5a, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

const SIG_STRUCTURE_HEAD = concatBytes(Uint8Array.of(0x84), bstrHead(10), utf8("Signature1"));

/**
 * The bytes that are signed (RFC 9052 §4.4): the CBOR array
 * `["Signature1", protected, external_aad = h'', payload]`.
 */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return concatBytes(
    SIG_STRUCTURE_HEAD,
    bstrHead(protectedBytes.length),
    protectedBytes,
    Uint8Array.of(0x40),
    bstrHead(payload.length),
    payload,
  );
}

/**
 * A tagged COSE_Sign1 (RFC 9052 §4.2): `18([protected, {}, payload, signature])`, with an empty
 * unprotected header.
 */
export function encodeSign1(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return concatBytes(
    Uint8Array.of(0xd2, 0x84),
    bstrHead(protectedBytes.length),
    protectedBytes,
    Uint8Array.of(0xa0),
    bstrHead(payload.length),
    payload,
    bstrHead(signature.length),
    signature,
  );
}

/** A COSE_Sign1 taken apart: header checked, payload still encoded. */
export interface Sign1Parts {
  protectedBytes: Uint8Array;
  kid: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

type TagLike = { tag: unknown; value: unknown };

/**
 * Parses a tagged COSE_Sign1 and its protected header. Throws `WireError` with `malformed` when
 * the bytes are not well-formed CBOR, `bad_structure` when they are not our envelope's shape,
 * `bad_alg` when the algorithm is not EdDSA.
 */
export function parseSign1(bytes: Uint8Array): Sign1Parts {
  let outer: unknown;
  try {
    outer = decodeCbor(bytes);
  } catch (cause) {
    throw new WireError("malformed", "envelope is not well-formed CBOR", { cause });
  }
  const tagged = outer as TagLike;
  if (typeof outer !== "object" || outer === null || tagged.tag !== COSE_SIGN1_TAG || !Array.isArray(tagged.value)) {
    throw new WireError("bad_structure", "envelope is not a tagged COSE_Sign1 (tag 18)");
  }
  const items = tagged.value as unknown[];
  if (items.length !== 4) throw new WireError("bad_structure", `COSE_Sign1 has ${items.length} items, expected 4`);
  const [protectedBytes, unprotected, payload, signature] = items;
  if (!(protectedBytes instanceof Uint8Array)) throw new WireError("bad_structure", "protected header is not a byte string");
  if (typeof unprotected !== "object" || unprotected === null || Array.isArray(unprotected) || unprotected instanceof Uint8Array) {
    throw new WireError("bad_structure", "unprotected header is not a map");
  }
  if (Object.keys(unprotected).length !== 0) throw new WireError("bad_structure", "unprotected header must be empty");
  if (!(payload instanceof Uint8Array)) throw new WireError("bad_structure", "payload is not a byte string");
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new WireError("bad_structure", "signature is not a 64-byte byte string");
  }
  let header: unknown;
  try {
    header = decodeCbor(protectedBytes);
  } catch (cause) {
    throw new WireError("malformed", "protected header is not well-formed CBOR", { cause });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header) || header instanceof Uint8Array) {
    throw new WireError("bad_structure", "protected header is not a map");
  }
  const fields = header as Record<string, unknown>;
  const keys = Object.keys(fields);
  if (keys.length !== 2 || !(LABEL_ALG in fields) || !(LABEL_KID in fields)) {
    throw new WireError("bad_structure", "protected header must hold exactly alg (1) and kid (4)");
  }
  const kid = fields[LABEL_KID];
  if (!(kid instanceof Uint8Array) || kid.length !== 32) throw new WireError("bad_structure", "kid is not a 32-byte public key");
  if (fields[LABEL_ALG] !== ALG_EDDSA) {
    throw new WireError("bad_alg", `algorithm ${String(fields[LABEL_ALG])} is not EdDSA (-8)`);
  }
  // One envelope, one encoding: anything but the canonical layout (longer length heads,
  // indefinite lengths, other tags) is refused, so no relay can make a second valid byte string of
  // the same message. RFC 8949 §4.2.1 deterministic encoding; the signature covers the rest.
  if (!bytesEqual(protectedBytes, protectedHeader(kid)) || !isCanonicalLayout(bytes, protectedBytes, payload.length)) {
    throw new WireError("bad_structure", "envelope is not in the canonical encoding");
  }
  return { protectedBytes, kid, payload, signature };
}

/**
 * True when `bytes`, already decoded into these parts, are exactly `encodeSign1` of them: the
 * heads before the payload and before the signature are the shortest forms, at the offsets that
 * gives, and nothing else is there. The payload and signature were decoded from those very
 * places, so their contents need no second comparison (which, for a large payload, cost as much
 * as the rest of the receive path).
 */
function isCanonicalLayout(bytes: Uint8Array, protectedBytes: Uint8Array, payloadLength: number): boolean {
  const head = concatBytes(Uint8Array.of(0xd2, 0x84), bstrHead(protectedBytes.length), protectedBytes, Uint8Array.of(0xa0), bstrHead(payloadLength));
  const sigAt = head.length + payloadLength;
  if (bytes.length !== sigAt + 2 + 64 || bytes[sigAt] !== 0x58 || bytes[sigAt + 1] !== 64) return false;
  return bytesEqual(bytes.subarray(0, head.length), head);
}

const PREFIX = Uint8Array.of(0xd2, 0x84, 0x58, 0x26, 0xa2, 0x01, 0x27, 0x04, 0x58, 0x20);

/**
 * The kid of an envelope in our canonical layout, read at its fixed offset (bytes 10 to 41)
 * without parsing; `null` when the bytes do not start like one of our envelopes. Used where a
 * sender must be known before any checking: the broker's publish check and per-peer flood control.
 */
export function peekKid(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 42 + 64) return null;
  for (let i = 0; i < PREFIX.length; i++) if (bytes[i] !== PREFIX[i]) return null;
  return bytes.subarray(10, 42);
}
