// Wycheproof Ed25519 verification (C2SP/wycheproof testvectors_v1/ed25519_test.json, Apache-2.0,
// see test/vectors/WYCHEPROOF-LICENSE) through every Ed25519 path.
//
// The rule (src/crypto/ed25519.ts) is strict RFC 8032 §5.1.7, so every "valid" case must verify
// and every "invalid" one must not. Signatures that are not 64 bytes long (Wycheproof's
// TruncatedSignature, SignatureWithGarbage and CompressedSignature cases) are bad arguments, not
// bad signatures: the Ed25519 contract validates lengths at the boundary and every path throws
// `TypeError` for them (STYLE.md convention 5), so that is what is asserted here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromHex } from "../../src/core/bytes.ts";
import { hasCanonicalS } from "../../src/crypto/ed25519.ts";
import { ed25519Providers, verifyOutcome } from "./ed25519-providers.ts";
import { caseName, casesOf, readVectors, type WycheproofCase, type WycheproofFile } from "./read-vectors.ts";

interface EddsaCase extends WycheproofCase {
  readonly msg: string;
  readonly sig: string;
}
interface EddsaGroup {
  readonly publicKey: { readonly curve: string; readonly pk: string };
  readonly tests: readonly EddsaCase[];
}

const file = readVectors<WycheproofFile<EddsaGroup>>("wycheproof-ed25519_test.json");
const cases = casesOf(file).map(({ group, test }) => ({
  test,
  publicKey: fromHex(group.publicKey.pk),
  message: fromHex(test.msg),
  signature: fromHex(test.sig),
}));
const providers = await ed25519Providers();

/** What the strict rule must answer for a case: `true`, `false`, or `TypeError` for a bad length. */
function expectedOutcome(test: EddsaCase, signature: Uint8Array): string {
  if (signature.length !== 64) return "TypeError";
  return test.result === "valid" ? "true" : "false";
}

test("the Wycheproof Ed25519 file is complete: 151 cases, 88 valid, 63 invalid, none acceptable", () => {
  assert.equal(file.algorithm, "EDDSA");
  assert.equal(file.numberOfTests, 151);
  assert.equal(cases.length, 151);
  assert.equal(cases.filter((c) => c.test.result === "valid").length, 88);
  assert.equal(cases.filter((c) => c.test.result === "invalid").length, 63);
  assert.ok(file.testGroups.every((g) => g.publicKey.curve === "edwards25519"));
  // Every valid case has a well-formed signature, so none of them is excused by the TypeError rule.
  assert.ok(cases.every((c) => c.test.result !== "valid" || c.signature.length === 64));
});

for (const { name, provider, skip } of providers) {
  test(`Wycheproof Ed25519 on the ${name} path`, { skip }, async (t) => {
    assert.ok(provider);
    for (const c of cases) {
      await t.test(caseName(c.test), async () => {
        const outcome = await verifyOutcome(provider, c.publicKey, c.message, c.signature);
        assert.equal(outcome, expectedOutcome(c.test, c.signature));
      });
    }
  });
}

test("the Ed25519 paths give identical answers on every Wycheproof case", async () => {
  const running = providers.filter((p) => p.provider !== null);
  assert.ok(running.length >= 2, "fewer than two Ed25519 paths to compare");
  const disagreements: string[] = [];
  for (const c of cases) {
    const outcomes = await Promise.all(
      running.map(async (p) => `${p.name}=${await verifyOutcome(p.provider!, c.publicKey, c.message, c.signature)}`),
    );
    const values = new Set(outcomes.map((o) => o.split("=")[1]));
    if (values.size !== 1) disagreements.push(`tcId ${c.test.tcId}: ${outcomes.join(" ")}`);
  }
  assert.deepEqual(disagreements, []);
});

test("a wrong-length signature is refused with a TypeError naming the argument on every path", async () => {
  const { publicKey, message } = cases[0]!;
  for (const { name, provider } of providers) {
    if (provider === null) continue;
    for (const length of [0, 63, 65]) {
      await assert.rejects(provider.verify(publicKey, message, new Uint8Array(length)), (error: unknown) => {
        assert.ok(error instanceof TypeError, `${name}: expected TypeError for length ${length}`);
        assert.match(error.message, /"signature" expected Uint8Array of length 64, got length=\d+/);
        return true;
      });
    }
  }
});

test("hasCanonicalS agrees with S < L on every 64-byte Wycheproof signature", () => {
  // RFC 8032 §5.1.7: "If any of the decodings fail (including S being out of range), the
  // signature is invalid." The SignatureMalleability cases carry S = S' + L and similar.
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  let nonCanonical = 0;
  for (const { signature } of cases) {
    if (signature.length !== 64) continue;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    if (s >= L) nonCanonical++;
    assert.equal(hasCanonicalS(signature), s < L, `S = ${s}`);
  }
  // The file does exercise the check: several cases have S >= L.
  assert.ok(nonCanonical > 0);
});
