import type { Ed25519 } from "./ed25519.ts";
import { hasCanonicalS } from "./ed25519.ts";
import { checkVerifyArgs, isStrictPublicKey } from "./ed25519-noble.ts";
import { KeyCache } from "./key-cache.ts";
import { assertBytes, concatBytes, fromHex, toHex } from "../core/bytes.ts";

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7): a fixed 16-byte prefix, then the seed. */
export const PKCS8_PREFIX = fromHex("302e020100300506032b657004220420");

type PublicEntry = { key: Promise<CryptoKey> | null };

/**
 * The Web-standard native path: WebCrypto's Ed25519 (`crypto.subtle`), present in Node 20+ and
 * Deno. The strict rule's checks that WebCrypto lacks (small-order keys, canonical S) run first.
 * Returns `null` when the runtime's WebCrypto has no Ed25519.
 */
export async function createWebCryptoEd25519(subtle: SubtleCrypto = globalThis.crypto?.subtle): Promise<Ed25519 | null> {
  if (!subtle) return null;
  try {
    await subtle.importKey("pkcs8", concatBytes(PKCS8_PREFIX, new Uint8Array(32)) as BufferSource, { name: "Ed25519" }, true, ["sign"]);
  } catch {
    return null;
  }
  const privateKeys = new KeyCache<Promise<CryptoKey>>(64);
  const publicKeys = new KeyCache<PublicEntry>();
  const privateKey = (seed: Uint8Array) =>
    privateKeys.get(toHex(seed), () =>
      subtle.importKey("pkcs8", concatBytes(PKCS8_PREFIX, seed) as BufferSource, { name: "Ed25519" }, true, ["sign"]),
    );
  return {
    name: "webcrypto",
    async publicKey(seed) {
      assertBytes("seed", seed, 32);
      const jwk = await subtle.exportKey("jwk", await privateKey(seed));
      return base64UrlDecode(jwk.x!);
    },
    async sign(seed, message) {
      assertBytes("seed", seed, 32);
      assertBytes("message", message);
      return new Uint8Array(await subtle.sign("Ed25519", await privateKey(seed), message as BufferSource));
    },
    async verify(publicKey, message, signature) {
      checkVerifyArgs(publicKey, message, signature);
      if (!hasCanonicalS(signature)) return false;
      const entry = publicKeys.get(toHex(publicKey), () => ({
        key: isStrictPublicKey(publicKey)
          ? subtle.importKey("raw", publicKey.slice() as BufferSource, { name: "Ed25519" }, false, ["verify"])
          : null,
      }));
      if (entry.key === null) return false;
      return subtle.verify("Ed25519", await entry.key, signature as BufferSource, message as BufferSource);
    },
  };
}

function base64UrlDecode(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
