// sealBox / openBox (src/crypto/e2e.ts): end-to-end boxes that a broker in between can only
// measure. Box layout: epk (32) || nonce (24) || ciphertext || tag (16).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { x25519 } from "@noble/curves/ed25519.js";
import { BOX_OVERHEAD, BoxError, openBox, sealBox } from "../../src/crypto/e2e.ts";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { toHex, utf8 } from "../../src/core/bytes.ts";

const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));

/** A party: Ed25519 seed and public key (its agent ID key). */
async function party(fill: number) {
  const seed = new Uint8Array(32).fill(fill);
  return { seed, publicKey: await nobleEd25519.publicKey(seed) };
}

const alice = await party(1); // sender
const bob = await party(2); // recipient
const carol = await party(3); // neither
const context = utf8("task.result/0123456789abcdef");

/** Asserts that `open` throws the BoxError callers are meant to catch. */
function assertDecryptFailed(open: () => unknown, why: string): void {
  assert.throws(open, (error: unknown) => {
    assert.ok(error instanceof BoxError, `${why}: expected BoxError, got ${String(error)}`);
    assert.equal(error.code, "decrypt_failed");
    assert.equal(error.name, "BoxError");
    return true;
  });
}

test("a box adds exactly 72 bytes: 32 epk + 24 nonce + 16 tag", () => {
  assert.equal(BOX_OVERHEAD, 72);
});

test("sealBox then openBox gives back any payload, and the box is plaintext + 72 bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.uint8Array({ maxLength: 64 }), (plaintext, ctx) => {
      const box = sealBox(plaintext, alice.publicKey, bob.publicKey, ctx, random);
      assert.equal(box.length, plaintext.length + 72);
      assert.deepEqual(openBox(box, alice.publicKey, bob.publicKey, bob.seed, ctx), plaintext);
    }),
    { numRuns: 100 },
  );
});

test("the box lays out epk || nonce || sealed, with epk = X25519 public key of the ephemeral secret", () => {
  // A recorded random source, so the test can see which bytes became the key and the nonce.
  const draws: Uint8Array[] = [];
  const recording = (length: number) => {
    const bytes = random(length);
    draws.push(bytes);
    return bytes;
  };
  const box = sealBox(utf8("hello"), alice.publicKey, bob.publicKey, context, recording);
  assert.deepEqual(draws.map((d) => d.length), [32, 24]);
  assert.equal(toHex(box.subarray(0, 32)), toHex(x25519.getPublicKey(draws[0]!)));
  assert.equal(toHex(box.subarray(32, 56)), toHex(draws[1]!));
  assert.equal(box.length, 5 + 72);
});

test("the box reveals only the length: equal-length payloads give equal-length boxes, and no box repeats", () => {
  const a = utf8("attack at dawn!");
  const b = utf8("retreat at noon");
  assert.equal(a.length, b.length);
  const boxes = [a, a, b, b].map((p) => sealBox(p, alice.publicKey, bob.publicKey, context, random));
  assert.deepEqual(boxes.map((x) => x.length), [a.length + 72, a.length + 72, b.length + 72, b.length + 72]);
  // Fresh ephemeral key and nonce per box: sealing the same payload twice gives unrelated bytes.
  assert.equal(new Set(boxes.map(toHex)).size, 4);
  assert.notEqual(toHex(boxes[0]!.subarray(0, 56)), toHex(boxes[1]!.subarray(0, 56)));
  // And the plaintext does not appear in the box.
  for (const box of boxes) assert.ok(!toHex(box).includes(toHex(a)) && !toHex(box).includes(toHex(b)));
});

test("opening with the wrong recipient seed throws BoxError decrypt_failed", () => {
  const box = sealBox(utf8("for bob"), alice.publicKey, bob.publicKey, context, random);
  assertDecryptFailed(() => openBox(box, alice.publicKey, bob.publicKey, carol.seed, context), "carol's seed");
  assertDecryptFailed(() => openBox(box, alice.publicKey, carol.publicKey, carol.seed, context), "carol as recipient");
});

test("opening with the wrong sender throws BoxError decrypt_failed (the sender key is bound in)", () => {
  const box = sealBox(utf8("from alice"), alice.publicKey, bob.publicKey, context, random);
  assertDecryptFailed(() => openBox(box, carol.publicKey, bob.publicKey, bob.seed, context), "carol as sender");
});

test("opening with any other context throws BoxError decrypt_failed", () => {
  const box = sealBox(utf8("for this task"), alice.publicKey, bob.publicKey, context, random);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (other) => {
      fc.pre(toHex(other) !== toHex(context));
      assertDecryptFailed(() => openBox(box, alice.publicKey, bob.publicKey, bob.seed, other), "other context");
    }),
    { numRuns: 50 },
  );
  assertDecryptFailed(() => openBox(box, alice.publicKey, bob.publicKey, bob.seed, utf8("task.result/0123456789abcdeF")), "one letter");
});

test("flipping any bits of any one byte of a box makes it throw BoxError decrypt_failed", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 256 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (plaintext, position, mask) => {
        const box = sealBox(plaintext, alice.publicKey, bob.publicKey, context, random);
        const tampered = box.slice();
        const index = position % box.length;
        tampered[index]! ^= mask;
        assertDecryptFailed(() => openBox(tampered, alice.publicKey, bob.publicKey, bob.seed, context), `byte ${index} ^ ${mask}`);
      },
    ),
    { numRuns: 300 },
  );
});

test("flipping the first or last byte of each field throws BoxError decrypt_failed", () => {
  const box = sealBox(utf8("field edges"), alice.publicKey, bob.publicKey, context, random);
  // epk 0..31, nonce 32..55, ciphertext 56..66, tag 67..82.
  for (const index of [0, 31, 32, 55, 56, box.length - 17, box.length - 16, box.length - 1]) {
    const tampered = box.slice();
    tampered[index]! ^= 0x01;
    assertDecryptFailed(() => openBox(tampered, alice.publicKey, bob.publicKey, bob.seed, context), `byte ${index}`);
  }
});

test("a box shorter than 72 bytes throws BoxError decrypt_failed", () => {
  const box = sealBox(new Uint8Array(0), alice.publicKey, bob.publicKey, context, random);
  assert.equal(box.length, 72);
  assert.deepEqual(openBox(box, alice.publicKey, bob.publicKey, bob.seed, context), new Uint8Array(0));
  for (let length = 0; length < 72; length++) {
    assertDecryptFailed(() => openBox(box.subarray(0, length), alice.publicKey, bob.publicKey, bob.seed, context), `${length} bytes`);
  }
});

test("a box whose epk is a small-order point throws BoxError decrypt_failed (all-zero shared secret)", () => {
  const box = sealBox(utf8("x"), alice.publicKey, bob.publicKey, context, random);
  for (const epk of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
    const forged = box.slice();
    forged.set(epk, 0);
    assertDecryptFailed(() => openBox(forged, alice.publicKey, bob.publicKey, bob.seed, context), `epk ${toHex(epk)}`);
  }
});
