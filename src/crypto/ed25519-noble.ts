import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import type { Ed25519 } from "./ed25519.ts";
import { hasCanonicalS } from "./ed25519.ts";
import { assertBytes, concatBytes } from "../core/bytes.ts";

// Sync noble methods need a SHA-512; noble's own async path would otherwise go through WebCrypto.
ed.hashes.sha512 = sha512;

/** Validates arguments the same way on every path, so callers get the same `TypeError` whichever runs. */
export function checkVerifyArgs(publicKey: unknown, message: unknown, signature: unknown): void {
  assertBytes("publicKey", publicKey, 32);
  assertBytes("message", message);
  assertBytes("signature", signature, 64);
}

/** The group order L of edwards25519 (RFC 8032 §5.1). */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function numberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * The strict rule, written out once in portable code (RFC 8032 §5.1.7): A and R canonical point
 * encodings, A not of small order, S < L, and the cofactorless equation [S]B = R + [k]A with
 * k = SHA-512(R || A || M) mod L. RFC 8032 allows this equation or the cofactored one; OpenSSL
 * and WebCrypto use this one, so the portable path does too and every path agrees on every input,
 * including signatures whose R or A carries a small-order component. (`ed.verify` with
 * `zip215: false` uses the cofactored equation and would accept some of those.)
 */
function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!hasCanonicalS(signature)) return false;
  let A: InstanceType<typeof ed.Point>;
  let R: InstanceType<typeof ed.Point>;
  try {
    A = ed.Point.fromBytes(publicKey, false);
    R = ed.Point.fromBytes(signature.subarray(0, 32), false);
  } catch {
    return false;
  }
  if (A.isSmallOrder()) return false;
  const k = numberLE(sha512(concatBytes(signature.subarray(0, 32), publicKey, message))) % L;
  const s = numberLE(signature.subarray(32, 64));
  // multiply(n, false): variable-time scalar multiplication; everything here is public.
  return ed.Point.BASE.multiply(s, false).equals(R.add(A.multiply(k, false)));
}

/**
 * The portable Ed25519 path: `@noble/ed25519` in pure JavaScript, verifying by the strict rule
 * of {@link verifyStrict}. It runs anywhere and is the reference the native paths are checked
 * against.
 */
export const nobleEd25519: Ed25519 = {
  name: "noble",
  async publicKey(seed) {
    assertBytes("seed", seed, 32);
    return ed.getPublicKey(seed);
  },
  async sign(seed, message) {
    assertBytes("seed", seed, 32);
    assertBytes("message", message);
    return ed.sign(message, seed);
  },
  async verify(publicKey, message, signature) {
    checkVerifyArgs(publicKey, message, signature);
    return verifyStrict(publicKey, message, signature);
  },
};

/**
 * True when `publicKey` is acceptable to the strict rule: a canonical encoding of a point that is
 * not of small order. Native paths call this once per key (callers cache it) because OpenSSL and
 * WebCrypto do not refuse small-order keys themselves.
 */
export function isStrictPublicKey(publicKey: Uint8Array): boolean {
  try {
    const point = ed.Point.fromBytes(publicKey, false);
    return !point.isSmallOrder();
  } catch {
    return false;
  }
}
