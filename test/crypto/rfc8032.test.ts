// RFC 8032 §7.1 "Test Vectors for Ed25519" (TEST 1, 2, 3, 1024 and SHA(abc)) through every
// Ed25519 path. The vectors are in test/vectors/rfc8032-ed25519.json, typed from the RFC; each
// triple was checked to sign to the RFC's signature with @noble/ed25519 before it was committed.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import { ed25519Providers } from "./ed25519-providers.ts";
import { readVectors } from "./read-vectors.ts";

interface Rfc8032Vector {
  readonly name: string;
  readonly secretKey: string;
  readonly publicKey: string;
  readonly message: string;
  readonly signature: string;
}

const file = readVectors<{ source: string; tests: Rfc8032Vector[] }>("rfc8032-ed25519.json");
const vectors = file.tests.map((v) => ({
  name: v.name,
  seed: fromHex(v.secretKey),
  publicKey: fromHex(v.publicKey),
  message: fromHex(v.message),
  signature: fromHex(v.signature),
}));
const providers = await ed25519Providers();

/** `bytes` with bit `bit` (0 = least significant bit of byte 0) inverted, as a new array. */
function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

test("the RFC 8032 §7.1 file holds the five Ed25519 vectors with the RFC's sizes", () => {
  assert.deepEqual(
    vectors.map((v) => [v.name, v.seed.length, v.publicKey.length, v.message.length, v.signature.length]),
    [
      ["TEST 1", 32, 32, 0, 64],
      ["TEST 2", 32, 32, 1, 64],
      ["TEST 3", 32, 32, 2, 64],
      ["TEST 1024", 32, 32, 1023, 64],
      ["TEST SHA(abc)", 32, 32, 64, 64],
    ],
  );
});

for (const { name, provider, skip } of providers) {
  test(`RFC 8032 §7.1 on the ${name} path`, { skip }, async (t) => {
    assert.ok(provider);
    for (const v of vectors) {
      await t.test(v.name, async () => {
        // §5.1.5: the public key is derived from the seed.
        assert.equal(toHex(await provider.publicKey(v.seed)), toHex(v.publicKey));
        // §5.1.6: signing is deterministic, so the signature must match byte for byte.
        assert.equal(toHex(await provider.sign(v.seed, v.message)), toHex(v.signature));
        // §5.1.7: the RFC's own triple verifies.
        assert.equal(await provider.verify(v.publicKey, v.message, v.signature), true);
        // One flipped bit in R (byte 0) or in S (byte 32) breaks the signature.
        assert.equal(await provider.verify(v.publicKey, v.message, flipBit(v.signature, 0)), false);
        assert.equal(await provider.verify(v.publicKey, v.message, flipBit(v.signature, 32 * 8)), false);
      });
    }
  });

  test(`RFC 8032 §7.1 on the ${name} path: any one flipped bit in key, message or signature fails`, { skip }, async () => {
    assert.ok(provider);
    for (const v of vectors) {
      const keyBits = v.publicKey.length * 8;
      const messageBits = v.message.length * 8;
      const total = keyBits + messageBits + v.signature.length * 8;
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: total - 1 }), async (bit) => {
          let verified: boolean;
          if (bit < keyBits) {
            verified = await provider.verify(flipBit(v.publicKey, bit), v.message, v.signature);
          } else if (bit < keyBits + messageBits) {
            verified = await provider.verify(v.publicKey, flipBit(v.message, bit - keyBits), v.signature);
          } else {
            verified = await provider.verify(v.publicKey, v.message, flipBit(v.signature, bit - keyBits - messageBits));
          }
          assert.equal(verified, false, `${v.name}: bit ${bit} of publicKey||message||signature flipped still verifies`);
        }),
        { numRuns: 40 },
      );
    }
  });
}
