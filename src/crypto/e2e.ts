import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { assertBytes, concatBytes, utf8 } from "../core/bytes.ts";

/**
 * End-to-end encryption of one payload for one recipient, so a broker or gateway in between
 * learns only sizes and IDs.
 *
 * The recipient's X25519 key is derived from its agent ID: the Ed25519 public key mapped to
 * Montgomery form (RFC 7748 §4.1 birational map), and its secret from the same seed (the clamped
 * SHA-512 prefix, as RFC 8032 §5.1.5 computes it). No separate key exchange is needed.
 *
 * Box layout: `epk (32) || nonce (24) || ciphertext || tag (16)`. The sender makes a fresh
 * ephemeral X25519 key per message; key = HKDF-SHA256(ikm = X25519(eph, recipient),
 * salt = epk || recipient X25519 key, info = "p2p-agent e2e v1", 32 bytes); cipher
 * XChaCha20-Poly1305 with a random nonce; the additional data binds the sender's and recipient's
 * Ed25519 keys and the context (message type and task ID), so a box cannot be re-sent by anyone
 * else or moved to another message.
 */
const INFO = utf8("p2p-agent e2e v1");
/** Bytes a box adds to its plaintext. */
export const BOX_OVERHEAD = 32 + 24 + 16;

/** Error from {@link openBox}; `code` is stable. */
export class BoxError extends Error {
  readonly code = "decrypt_failed";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BoxError";
  }
}

function aad(sender: Uint8Array, recipient: Uint8Array, context: Uint8Array): Uint8Array {
  return concatBytes(INFO, sender, recipient, context);
}

function deriveKey(shared: Uint8Array, epk: Uint8Array, recipientX: Uint8Array): Uint8Array {
  if (shared.every((b) => b === 0)) throw new BoxError("X25519 shared secret is all zero (small-order key)");
  return hkdf(sha256, shared, concatBytes(epk, recipientX), INFO, 32);
}

/** Encrypts `plaintext` for `recipient` (Ed25519 public key). `random(n)` supplies randomness. */
export function sealBox(
  plaintext: Uint8Array,
  sender: Uint8Array,
  recipient: Uint8Array,
  context: Uint8Array,
  random: (length: number) => Uint8Array,
): Uint8Array {
  assertBytes("plaintext", plaintext);
  assertBytes("sender", sender, 32);
  assertBytes("recipient", recipient, 32);
  assertBytes("context", context);
  const recipientX = ed25519.utils.toMontgomery(recipient);
  const ephemeral = random(32);
  const epk = x25519.getPublicKey(ephemeral);
  const key = deriveKey(x25519.getSharedSecret(ephemeral, recipientX), epk, recipientX);
  const nonce = random(24);
  const sealed = xchacha20poly1305(key, nonce, aad(sender, recipient, context)).encrypt(plaintext);
  return concatBytes(epk, nonce, sealed);
}

/**
 * Opens a box sealed by {@link sealBox}. `seed` is the recipient's Ed25519 secret seed. Throws
 * {@link BoxError} when the box is short, was tampered with, or was not sealed for this recipient,
 * sender and context; `TypeError` when an argument is not bytes of the right length.
 */
export function openBox(
  box: Uint8Array,
  sender: Uint8Array,
  recipient: Uint8Array,
  seed: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  assertBytes("sender", sender, 32);
  assertBytes("recipient", recipient, 32);
  assertBytes("seed", seed, 32);
  assertBytes("context", context);
  if (!(box instanceof Uint8Array) || box.length < BOX_OVERHEAD) throw new BoxError(`box is ${box?.length ?? 0} bytes, shorter than ${BOX_OVERHEAD}`);
  const epk = box.subarray(0, 32);
  const nonce = box.subarray(32, 56);
  try {
    const recipientX = ed25519.utils.toMontgomery(recipient);
    const key = deriveKey(x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(seed), epk), epk, recipientX);
    return xchacha20poly1305(key, nonce, aad(sender, recipient, context)).decrypt(box.subarray(56));
  } catch (cause) {
    if (cause instanceof BoxError) throw cause;
    throw new BoxError("box does not open: tampered, or not sealed for this recipient", { cause });
  }
}
