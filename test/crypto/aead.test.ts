// The primitives under src/crypto/e2e.ts, checked against Wycheproof (C2SP/wycheproof
// testvectors_v1/, Apache-2.0, see test/vectors/WYCHEPROOF-LICENSE):
// ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305 from @noble/ciphers, X25519 (RFC 7748)
// from @noble/curves, HKDF-SHA256 (RFC 5869) from @noble/hashes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, fromHex, toHex } from "../../src/core/bytes.ts";
import { caseName, casesOf, readVectors, type WycheproofCase, type WycheproofFile } from "./read-vectors.ts";

// --- AEAD ------------------------------------------------------------------------------------

interface AeadCase extends WycheproofCase {
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly msg: string;
  readonly ct: string;
  readonly tag: string;
}
type AeadFile = WycheproofFile<{ readonly ivSize: number; readonly tests: readonly AeadCase[] }>;
type Aead = typeof chacha20poly1305;

const AEADS = [
  { name: "ChaCha20-Poly1305", file: "wycheproof-chacha20_poly1305_test.json", cipher: chacha20poly1305, nonceLength: 12, count: 325 },
  { name: "XChaCha20-Poly1305", file: "wycheproof-xchacha20_poly1305_test.json", cipher: xchacha20poly1305, nonceLength: 24, count: 315 },
] as const;

/**
 * One AEAD case: a valid one must encrypt to ct || tag and decrypt back; an invalid one must
 * not decrypt. Invalid nonce sizes are refused up front with a `RangeError` naming the nonce.
 */
function checkAeadCase(cipher: Aead, nonceLength: number, c: AeadCase): void {
  const [key, iv, aad, msg] = [c.key, c.iv, c.aad, c.msg].map(fromHex) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const sealed = concatBytes(fromHex(c.ct), fromHex(c.tag));
  if (c.result === "valid") {
    // A noble cipher instance encrypts once (nonce-reuse guard), so each direction gets its own.
    assert.equal(toHex(cipher(key, iv, aad).encrypt(msg)), c.ct + c.tag);
    assert.equal(toHex(cipher(key, iv, aad).decrypt(sealed)), c.msg);
    return;
  }
  if (iv.length !== nonceLength) {
    assert.ok(c.flags.includes("InvalidNonceSize"));
    assert.throws(() => cipher(key, iv, aad), { name: "RangeError", message: /"nonce"/ });
    return;
  }
  assert.throws(() => cipher(key, iv, aad).decrypt(sealed), `tcId ${c.tcId} decrypted`);
}

for (const { name, file, cipher, nonceLength, count } of AEADS) {
  const vectors = readVectors<AeadFile>(file);
  const cases = casesOf(vectors).map(({ test }) => test);

  test(`Wycheproof ${name}: the file is complete`, () => {
    assert.equal(vectors.numberOfTests, count);
    assert.equal(cases.length, count);
    assert.equal(cases.filter((c) => c.result === "invalid" && c.flags.includes("InvalidNonceSize")).length, 9);
    assert.equal(cases.filter((c) => c.result === "invalid" && c.flags.includes("ModifiedTag")).length, 60);
  });

  test(`Wycheproof ${name}`, async (t) => {
    for (const c of cases) await t.test(caseName(c), () => checkAeadCase(cipher, nonceLength, c));
  });
}

test("RFC 8439 §2.8.2 AEAD_CHACHA20_POLY1305 example (Wycheproof ChaCha20-Poly1305 tcId 1)", () => {
  const cases = casesOf(readVectors<AeadFile>("wycheproof-chacha20_poly1305_test.json")).map(({ test }) => test);
  const c = cases.find((x) => x.tcId === 1)!;
  // The RFC's inputs: "Ladies and Gentlemen of the class of '99: ...", key 80..9f,
  // nonce 07000000 || 40..47, AAD 50515253c0..c7; its tag is 1ae10b594f09e26a7e902ecbd0600691.
  assert.equal(new TextDecoder().decode(fromHex(c.msg)).slice(0, 36), "Ladies and Gentlemen of the class of");
  assert.equal(c.key, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  assert.equal(c.iv, "070000004041424344454647");
  assert.equal(c.aad, "50515253c0c1c2c3c4c5c6c7");
  assert.equal(c.tag, "1ae10b594f09e26a7e902ecbd0600691");
  const sealed = chacha20poly1305(fromHex(c.key), fromHex(c.iv), fromHex(c.aad)).encrypt(fromHex(c.msg));
  assert.equal(toHex(sealed), c.ct + c.tag);
});

// --- X25519 ----------------------------------------------------------------------------------

interface XdhCase extends WycheproofCase {
  readonly public: string;
  readonly private: string;
  readonly shared: string;
}
const ZERO32 = "00".repeat(32);

test("Wycheproof X25519", async (t) => {
  const vectors = readVectors<WycheproofFile<{ readonly curve: string; readonly tests: readonly XdhCase[] }>>("wycheproof-x25519_test.json");
  const cases = casesOf(vectors).map(({ test }) => test);
  assert.equal(vectors.numberOfTests, 518);
  assert.equal(cases.length, 518);
  const record = new Map<string, number>();
  for (const c of cases) {
    await t.test(caseName(c), () => {
      let shared: string | null = null;
      try {
        shared = toHex(x25519.getSharedSecret(fromHex(c.private), fromHex(c.public)));
      } catch (error) {
        // noble refuses exactly the all-zero shared secret (RFC 7748 §6.1 check); nothing else.
        assert.ok(c.result !== "valid", `valid case refused: ${String(error)}`);
        assert.equal(c.shared, ZERO32, `refused a case whose shared secret is not zero: ${String(error)}`);
      }
      if (c.result === "invalid") {
        assert.ok(shared === null || shared === ZERO32, "an invalid case must be refused or give zero");
      } else if (shared !== null) {
        // "acceptable" cases (twist points, non-canonical u, low order) may be refused, but when
        // computed the result must be the RFC 7748 §5 one.
        assert.equal(shared, c.shared);
      }
      const key = `${c.result} ${shared === null ? "refused" : "computed"}`;
      record.set(key, (record.get(key) ?? 0) + 1);
    });
  }
  assert.equal(record.get("valid computed"), cases.filter((c) => c.result === "valid").length);
  t.diagnostic(`X25519 outcomes: ${[...record].map(([k, n]) => `${k}=${n}`).join(", ")}`);
});

test("RFC 7748 §6.1 Diffie-Hellman example through x25519", () => {
  const alice = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const bob = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  assert.equal(toHex(x25519.getPublicKey(alice)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  assert.equal(toHex(x25519.getPublicKey(bob)), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  assert.equal(toHex(x25519.getSharedSecret(alice, x25519.getPublicKey(bob))), shared);
  assert.equal(toHex(x25519.getSharedSecret(bob, x25519.getPublicKey(alice))), shared);
});

// --- HKDF-SHA256 -----------------------------------------------------------------------------

interface HkdfCase extends WycheproofCase {
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly size: number;
  readonly okm: string;
}

test("Wycheproof HKDF-SHA256", async (t) => {
  const vectors = readVectors<WycheproofFile<{ readonly tests: readonly HkdfCase[] }>>("wycheproof-hkdf_sha256_test.json");
  const cases = casesOf(vectors).map(({ test }) => test);
  assert.equal(vectors.numberOfTests, 86);
  assert.equal(cases.length, 86);
  for (const c of cases) {
    await t.test(caseName(c), () => {
      const derive = () => hkdf(sha256, fromHex(c.ikm), fromHex(c.salt), fromHex(c.info), c.size);
      if (c.result === "valid") {
        assert.equal(toHex(derive()), c.okm);
      } else {
        // The only invalid cases ask for more than 255 * HashLen bytes (RFC 5869 §2.3).
        assert.ok(c.flags.includes("SizeTooLarge") && c.size > 255 * 32);
        assert.throws(derive);
      }
    });
  }
});
