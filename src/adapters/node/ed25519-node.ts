import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import type { Ed25519 } from "../../crypto/ed25519.ts";
import { hasCanonicalS } from "../../crypto/ed25519.ts";
import { checkVerifyArgs, isStrictPublicKey } from "../../crypto/ed25519-noble.ts";
import { PKCS8_PREFIX } from "../../crypto/ed25519-webcrypto.ts";
import { KeyCache } from "../../crypto/key-cache.ts";
import { assertBytes, concatBytes, fromHex, toHex } from "../../core/bytes.ts";

/** SubjectPublicKeyInfo wrapping of a raw Ed25519 public key (RFC 8410 §4). */
const SPKI_PREFIX = fromHex("302a300506032b6570032100");

/**
 * Node's native path: OpenSSL's Ed25519 through `node:crypto`'s one-shot `sign`/`verify`, which
 * run synchronously and skip WebCrypto's promise and job overhead. The strict rule's extra checks
 * (small-order keys, canonical S) run first, as on the WebCrypto path.
 */
export function createNodeEd25519(): Ed25519 {
  const privateKeys = new KeyCache<KeyObject>(64);
  const publicKeys = new KeyCache<KeyObject | null>();
  const privateKey = (seed: Uint8Array) =>
    privateKeys.get(toHex(seed), () =>
      createPrivateKey({ key: concatBytes(PKCS8_PREFIX, seed) as Buffer, format: "der", type: "pkcs8" }),
    );
  return {
    name: "node",
    async publicKey(seed) {
      assertBytes("seed", seed, 32);
      const der = createPublicKey(privateKey(seed)).export({ format: "der", type: "spki" });
      return new Uint8Array(der.subarray(SPKI_PREFIX.length));
    },
    async sign(seed, message) {
      assertBytes("seed", seed, 32);
      assertBytes("message", message);
      return new Uint8Array(sign(null, message, privateKey(seed)));
    },
    async verify(publicKey, message, signature) {
      checkVerifyArgs(publicKey, message, signature);
      if (!hasCanonicalS(signature)) return false;
      const key = publicKeys.get(toHex(publicKey), () =>
        isStrictPublicKey(publicKey)
          ? createPublicKey({ key: concatBytes(SPKI_PREFIX, publicKey) as Buffer, format: "der", type: "spki" })
          : null,
      );
      return key !== null && verify(null, message, key, signature);
    },
  };
}
