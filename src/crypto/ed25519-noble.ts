import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import type { Ed25519 } from "./ed25519.ts";
import { assertBytes } from "../core/bytes.ts";

// Sync noble methods need a SHA-512; noble's own async path would otherwise go through WebCrypto.
ed.hashes.sha512 = sha512;

/** Validates arguments the same way on every path, so callers get the same `TypeError` whichever runs. */
export function checkVerifyArgs(publicKey: unknown, message: unknown, signature: unknown): void {
  assertBytes("publicKey", publicKey, 32);
  assertBytes("message", message);
  assertBytes("signature", signature, 64);
}

/**
 * The portable Ed25519 path: `@noble/ed25519` in pure JavaScript, strict RFC 8032 verification
 * (`zip215: false`). It runs anywhere and is the reference the native paths are checked against.
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
    return ed.verify(signature, message, publicKey, { zip215: false });
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
