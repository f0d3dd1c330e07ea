// The Ed25519 contract (src/crypto/ed25519.ts) says every path gives the noble path's answer on
// every input. Beyond the published vectors: random keys and messages, and signatures built with
// a mixed-order R or public key, where RFC 8032 §5.1.7's two allowed equations part ways.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ed25519, ED25519_TORSION_SUBGROUP } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes, fromHex, toHex } from "../../src/core/bytes.ts";
import { hasCanonicalS } from "../../src/crypto/ed25519.ts";
import { isStrictPublicKey } from "../../src/crypto/ed25519-noble.ts";
import { ed25519Providers, verifyOutcome } from "./ed25519-providers.ts";

const running = (await ed25519Providers()).filter((p) => p.provider !== null);
const Point = ed25519.Point;
const L = Point.Fn.ORDER;

test("random seeds and messages: every path derives the same key, signs the same bytes, and verifies", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), async (seed, message) => {
      const keys = await Promise.all(running.map((p) => p.provider!.publicKey(seed)));
      const signatures = await Promise.all(running.map((p) => p.provider!.sign(seed, message)));
      assert.equal(new Set(keys.map(toHex)).size, 1, "public keys differ between paths");
      assert.equal(new Set(signatures.map(toHex)).size, 1, "signatures differ between paths");
      for (const p of running) assert.equal(await p.provider!.verify(keys[0]!, message, signatures[0]!), true, p.name);
    }),
    { numRuns: 50 },
  );
});

const leToBigInt = (bytes: Uint8Array) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
const bigIntToLe32 = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

/** k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.6 step 4). */
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array) => leToBigInt(sha512(concatBytes(r, a, m))) % L;

/**
 * A signature by the holder of `seed` whose R (when `torsionOn` is "R") or public key (when "A")
 * carries a point of order 8 (RFC 8032 §5.1.5 scalar, §5.1.6 signing, with the torsion added).
 * The cofactored check [8][S]B = [8]R + [8][k]A accepts it; the cofactorless check
 * [S]B = R + [k]A refuses it. Both checks are allowed by RFC 8032 §5.1.7.
 */
function mixedOrderCase(torsionOn: "R" | "A") {
  const seed = new Uint8Array(32).fill(7);
  const h = sha512(seed);
  const scalarBytes = h.slice(0, 32);
  scalarBytes[0]! &= 248;
  scalarBytes[31]! &= 127;
  scalarBytes[31]! |= 64;
  const a = leToBigInt(scalarBytes) % L;
  const torsion = Point.fromBytes(fromHex(ED25519_TORSION_SUBGROUP[1]!));
  const r = leToBigInt(sha512(concatBytes(h.slice(32), seed))) % L;
  let A = Point.BASE.multiply(a);
  let R = Point.BASE.multiply(r);
  if (torsionOn === "R") R = R.add(torsion);
  else A = A.add(torsion);
  // With torsion on A, [k]A carries [k]T, which vanishes only when 8 divides k: pick a message
  // for which it does not, so the two equations really disagree.
  for (let i = 0; ; i++) {
    const message = new TextEncoder().encode(`mixed-order ${torsionOn} ${i}`);
    const k = challenge(R.toBytes(), A.toBytes(), message);
    if (torsionOn === "A" && k % 8n === 0n) continue;
    const S = (r + k * a) % L;
    return { publicKey: A.toBytes(), message, signature: concatBytes(R.toBytes(), bigIntToLe32(S)), k, S, R, A };
  }
}

const mixed = [mixedOrderCase("R"), mixedOrderCase("A")] as const;

test("the mixed-order cases are well formed, so only the verification equation decides them", () => {
  for (const c of mixed) {
    assert.equal(hasCanonicalS(c.signature), true);
    assert.equal(isStrictPublicKey(c.publicKey), true, "A must pass the strict key check (not small order)");
    Point.fromBytes(c.signature.subarray(0, 32)); // R is a canonical point encoding
    const difference = c.R.add(c.A.multiply(c.k)).subtract(Point.BASE.multiply(c.S));
    assert.equal(difference.clearCofactor().is0(), true, "cofactored equation must hold");
    assert.equal(difference.is0(), false, "cofactorless equation must fail");
  }
});

test("the native paths use the cofactorless equation and refuse mixed-order R and A", async () => {
  for (const p of running.filter((p) => p.name !== "noble")) {
    for (const c of mixed) assert.equal(await verifyOutcome(p.provider!, c.publicKey, c.message, c.signature), "false", p.name);
  }
});

// OpenSSL (node:crypto, Node's WebCrypto) and Deno's WebCrypto check [S]B = R + [k]A and cannot
// be told otherwise, so the one answer every path can give here is `false`. `ed.verify` with
// zip215:false checks the cofactored equation and would say `true`; the noble path therefore
// checks the cofactorless equation itself (src/crypto/ed25519-noble.ts).
test(
  "every path gives the same answer on mixed-order R and A",
  async () => {
    for (const c of mixed) {
      const outcomes = await Promise.all(running.map(async (p) => `${p.name}=${await verifyOutcome(p.provider!, c.publicKey, c.message, c.signature)}`));
      assert.deepEqual(outcomes, running.map((p) => `${p.name}=false`));
    }
  },
);
