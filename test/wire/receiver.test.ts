// The receive path, refusal by refusal: every code in REFUSAL_CODES is reached on purpose with
// inputs built by hand, and counted exactly once; the bounded replay cache never lets a replay
// through; and the checks run in the documented order (docs/protocol.md, "Receiving").
import { test } from "node:test";
import assert from "node:assert/strict";
import { concatBytes, utf8 } from "../../src/core/bytes.ts";
import { sealBox } from "../../src/crypto/e2e.ts";
import type { Ed25519 } from "../../src/crypto/ed25519.ts";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { createWebCryptoEd25519 } from "../../src/crypto/ed25519-webcrypto.ts";
import { createNodeEd25519 } from "../../src/adapters/node/ed25519-node.ts";
import { webRandom } from "../../src/runtime/runtime.ts";
import { encodeCbor } from "../../src/wire/cbor.ts";
import { bstrHead, encodeSign1, protectedHeader } from "../../src/wire/cose-sign1.ts";
import { sealEnvelope } from "../../src/wire/envelope.ts";
import { boxContext } from "../../src/wire/receiver.ts";
import { RefusalCounter } from "../../src/wire/wire-error.ts";
import { NOW, expectRefusal, fakeClock, freshNonce, party, payloadFields, receiverAt, signedEnvelope } from "./wire-fixtures.ts";

const [A, B, C] = [await party(0x01), await party(0x02), await party(0x03)];

/** A good envelope from `signer` with `fields` changed (see payloadFields). */
const envelope = (fields: Record<string, unknown> = {}, signer = A) => signedEnvelope(signer, payloadFields(fields));

/** A box from `sender` for `recipient`, bound to type "ping" and an empty task ID unless told otherwise. */
const box = (plain: unknown, sender = A, recipient = B, context = boxContext("ping", "")) =>
  sealBox(encodeCbor(plain), sender.publicKey, recipient.publicKey, context, webRandom);

/** The map of an encrypted message: `box` instead of `payload`, and a recipient. */
const boxed = (b: Uint8Array, to = B) => payloadFields({ to: to.publicKey, box: b, payload: undefined });

/** Envelope bytes with byte `index` xor-ed with `mask`. */
function flip(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[index]! ^= mask;
  return out;
}

test("baseline: a good envelope is accepted and nothing is counted", async () => {
  const receiver = receiverAt(fakeClock(), { self: B });
  const got = await receiver.open(await envelope({ to: B.publicKey, payload: { n: 1 } }));
  assert.equal(got.senderId, A.id);
  assert.deepEqual(got.payload, { n: 1 });
  const encrypted = await receiver.open(await signedEnvelope(A, boxed(box({ secret: 1 })), undefined));
  assert.deepEqual([encrypted.encrypted, encrypted.payload], [true, { secret: 1 }]);
  assert.equal(receiver.refusals.total(), 0);
});

test("too_large: over the default 1 MiB, and exactly at a configured limit", async () => {
  const big = await sealEnvelope(nobleEd25519, A, { type: "blob", payload: new Uint8Array(1 << 20) }, { ts: NOW, nonce: freshNonce() });
  assert.ok(big.length > 1 << 20);
  await expectRefusal(receiverAt(fakeClock()), big, "too_large");
  const bytes = await envelope();
  await expectRefusal(receiverAt(fakeClock(), { maxBytes: bytes.length - 1 }), bytes, "too_large");
  await receiverAt(fakeClock(), { maxBytes: bytes.length }).open(bytes);
});

test("malformed: bytes that are not one well-formed CBOR item, at every layer", async () => {
  const good = await envelope();
  const badHeader = Uint8Array.of(0xa2, 0x01); // a map of two pairs, cut short
  const cases: [string, Uint8Array][] = [
    ["empty input", new Uint8Array(0)],
    ["truncated envelope", good.subarray(0, good.length - 1)],
    ["trailing byte", concatBytes(good, Uint8Array.of(0x00))],
    ["lone break byte", Uint8Array.of(0xff)],
    ["protected header not CBOR", encodeSign1(badHeader, encodeCbor(payloadFields()), new Uint8Array(64))],
    ["payload not CBOR, signed", await signedEnvelope(A, Uint8Array.of(0xa1, 0x61))],
    ["decrypted payload not CBOR", await signedEnvelope(A, boxed(sealBox(Uint8Array.of(0x82, 0x01), A.publicKey, B.publicKey, boxContext("ping", ""), webRandom)))],
  ];
  for (const [name, bytes] of cases) await expectRefusal(receiverAt(fakeClock(), { self: B }), bytes, "malformed", name);
});

test("bad_structure: well-formed CBOR that is not our envelope", async () => {
  const header = protectedHeader(A.publicKey);
  const payload = encodeCbor(payloadFields());
  const sig = new Uint8Array(64);
  const tagged = (items: unknown[]) => concatBytes(Uint8Array.of(0xd2), encodeCbor(items));
  const raw = (...parts: Uint8Array[]) => concatBytes(Uint8Array.of(0xd2, 0x84), ...parts);
  const withHeader = (h: Uint8Array) => encodeSign1(h, payload, sig);
  const hdr = (...b: number[]) => Uint8Array.of(...b);
  const cases: [string, Uint8Array][] = [
    ["untagged array", encodeCbor([header, {}, payload, sig])],
    ["tag 17 (COSE_Mac0)", concatBytes(Uint8Array.of(0xd1), encodeCbor([header, {}, payload, sig]))],
    ["tag 18 around a map", concatBytes(Uint8Array.of(0xd2), encodeCbor({ a: 1 }))],
    ["three items", tagged([header, {}, payload])],
    ["five items", tagged([header, {}, payload, sig, sig])],
    ["protected header a text string", tagged(["a2", {}, payload, sig])],
    ["unprotected header not empty", raw(bstrHead(header.length), header, Uint8Array.of(0xa1, 0x04, 0x41, 0x00), bstrHead(payload.length), payload, bstrHead(64), sig)],
    ["unprotected header an array", tagged([header, [], payload, sig])],
    ["detached (nil) payload", tagged([header, {}, null, sig])],
    ["63-byte signature", tagged([header, {}, payload, sig.subarray(1)])],
    ["protected header an array", withHeader(encodeCbor([1, -8]))],
    ["protected header without kid", withHeader(hdr(0xa1, 0x01, 0x27))],
    ["protected header with a third label", withHeader(concatBytes(hdr(0xa3, 0x01, 0x27, 0x03, 0x00, 0x04, 0x58, 0x20), A.publicKey))],
    ["31-byte kid", withHeader(concatBytes(hdr(0xa2, 0x01, 0x27, 0x04, 0x58, 0x1f), A.publicKey.subarray(1)))],
  ];
  const payloadCases: [string, Record<string, unknown> | Uint8Array][] = [
    ["payload an array", encodeCbor([1, 2])],
    ["version 2", payloadFields({ v: 2 })],
    ["no version", payloadFields({ v: undefined })],
    ["empty type", payloadFields({ type: "" })],
    ["65-character type", payloadFields({ type: "t".repeat(65) })],
    ["129-character task_id", payloadFields({ task_id: "t".repeat(129) })],
    ["task_id a number", payloadFields({ task_id: 7 })],
    ["negative ts", payloadFields({ ts: -1 })],
    ["fractional ts", payloadFields({ ts: 1.5 })],
    ["ts a string", payloadFields({ ts: String(NOW) })],
    ["ts beyond 2^53", payloadFields({ ts: 1n << 60n })],
    ["15-byte nonce", payloadFields({ nonce: new Uint8Array(15) })],
    ["31-byte to", payloadFields({ to: new Uint8Array(31) })],
    ["neither payload nor box", payloadFields({ payload: undefined })],
    ["both payload and box", payloadFields({ to: B.publicKey, box: new Uint8Array(80) })],
    ["box without to", payloadFields({ box: new Uint8Array(80), payload: undefined })],
    ["box a text string", payloadFields({ to: B.publicKey, box: "sealed", payload: undefined })],
  ];
  for (const [name, map] of payloadCases) cases.push([name, await signedEnvelope(A, map)]);
  for (const [name, bytes] of cases) await expectRefusal(receiverAt(fakeClock(), { self: B }), bytes, "bad_structure", name);
  await expectRefusal(receiverAt(fakeClock()), "d284" as unknown as Uint8Array, "bad_structure", "not bytes");
});

test("bad_alg: any algorithm but EdDSA (-8), even correctly signed", async () => {
  const headers: [string, Uint8Array][] = [
    ["ES256 (-7)", concatBytes(Uint8Array.of(0xa2, 0x01, 0x26, 0x04, 0x58, 0x20), A.publicKey)],
    ["Ed25519 (-19)", concatBytes(Uint8Array.of(0xa2, 0x01, 0x32, 0x04, 0x58, 0x20), A.publicKey)],
    ['"EdDSA" as text', concatBytes(Uint8Array.of(0xa2, 0x01, 0x65), utf8("EdDSA"), Uint8Array.of(0x04, 0x58, 0x20), A.publicKey)],
  ];
  for (const [name, header] of headers) {
    await expectRefusal(receiverAt(fakeClock()), await signedEnvelope(A, payloadFields(), header), "bad_alg", name);
  }
});

test("stale and future: 60 s back and 10 s ahead by default, boundaries included", async () => {
  const receiver = receiverAt(fakeClock());
  await expectRefusal(receiver, await envelope({ ts: BigInt(NOW - 60_001) }), "stale");
  await expectRefusal(receiver, await envelope({ ts: BigInt(NOW + 10_001) }), "future");
  await expectRefusal(receiver, await envelope({ ts: 0 }), "stale", "ts 0");
  await receiver.open(await envelope({ ts: BigInt(NOW - 60_000) }));
  await receiver.open(await envelope({ ts: BigInt(NOW + 10_000) }));
  const narrow = receiverAt(fakeClock(), { windowMs: 1_000, skewMs: 0 });
  await expectRefusal(narrow, await envelope({ ts: BigInt(NOW - 1_001) }), "stale", "windowMs 1000");
  await expectRefusal(narrow, await envelope({ ts: BigInt(NOW + 1) }), "future", "skewMs 0");
});

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const providers: Ed25519[] = [nobleEd25519, createNodeEd25519()];
const webcrypto = await createWebCryptoEd25519();
if (webcrypto) providers.push(webcrypto);

test(`bad_signature: forgeries, non-canonical S and small-order keys, on every path (${providers.map((p) => p.name).join(", ")})`, async () => {
  const good = await envelope();
  const taskA = await envelope({ task_id: "a" });
  const sigStart = good.length - 64;
  const highS = good.slice();
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(good[sigStart + i]!);
  s += L; // the same signature with S + L: valid under a lax rule, refused by RFC 8032 §5.1.7
  for (let i = 32; i < 64; i++, s >>= 8n) highS[sigStart + i] = Number(s & 0xffn);
  const identity = concatBytes(Uint8Array.of(0x01), new Uint8Array(31)); // the neutral point, order 1
  const smallOrderHeader = protectedHeader(identity);
  const smallOrderPayload = encodeCbor(payloadFields());
  // R = identity, S = 0 satisfies [S]B = R + [k]A for A = identity: it verifies if small-order keys pass.
  const smallOrder = encodeSign1(smallOrderHeader, smallOrderPayload, concatBytes(identity, new Uint8Array(32)));
  const cases: [string, Uint8Array][] = [
    ["first signature bit flipped", flip(good, sigStart)],
    ["task_id changed from a to b", flip(taskA, taskA.length - 67, 0x03)], // the payload's last byte, before `58 40 <sig>`
    ["kid A, signed by C", await signedEnvelope(C, payloadFields(), protectedHeader(A.publicKey))],
    ["kid B, signed by A", await signedEnvelope(A, payloadFields(), protectedHeader(B.publicKey))],
    ["S + L", highS],
    ["small-order kid, R = identity, S = 0", smallOrder],
  ];
  for (const ed25519 of providers) {
    await receiverAt(fakeClock(), { ed25519 }).open(good);
    for (const [name, bytes] of cases) await expectRefusal(receiverAt(fakeClock(), { ed25519 }), bytes, "bad_signature", `${ed25519.name}: ${name}`);
  }
});

test("replay: the same bytes, or the same nonce from the same sender, only once", async () => {
  const receiver = receiverAt(fakeClock());
  const nonce = freshNonce();
  const first = await envelope({ nonce });
  await receiver.open(first);
  await expectRefusal(receiver, first, "replay", "same bytes");
  await expectRefusal(receiver, await envelope({ nonce, type: "other" }), "replay", "same nonce, other content");
  await receiver.open(await envelope({ nonce }, C)); // another sender may use the same nonce
});

test("wrong_recipient: addressed to another agent, or encrypted with no keys to open it", async () => {
  await expectRefusal(receiverAt(fakeClock(), { self: C }), await envelope({ to: B.publicKey }), "wrong_recipient", "to B, received by C");
  await expectRefusal(receiverAt(fakeClock(), { self: C }), await signedEnvelope(A, boxed(box(1))), "wrong_recipient", "box for B at C");
  await expectRefusal(receiverAt(fakeClock()), await signedEnvelope(A, boxed(box(1))), "wrong_recipient", "box, receiver without keys");
  await receiverAt(fakeClock()).open(await envelope({ to: B.publicKey })); // no self: addressing not enforced
});

test("decrypt_failed: boxes that were tampered with or sealed for something else", async () => {
  const tampered = box({ n: 1 });
  tampered[tampered.length - 1]! ^= 0x01;
  const cases: [string, Uint8Array][] = [
    ["tag byte flipped", tampered],
    ["sealed for C, addressed to B", box({ n: 1 }, A, C)],
    ["sealed for another type", box({ n: 1 }, A, B, boxContext("pong", ""))],
    ["sealed for another task", box({ n: 1 }, A, B, boxContext("ping", "t9"))],
    ["sealed as if from C, signed by A", box({ n: 1 }, C, B)],
    ["shorter than the box overhead", new Uint8Array(71)],
    ["all-zero ephemeral key", new Uint8Array(100)],
  ];
  for (const [name, b] of cases) {
    await expectRefusal(receiverAt(fakeClock(), { self: B }), await signedEnvelope(A, boxed(b)), "decrypt_failed", name);
  }
});

test("refusals go to the counter passed in, shared by several receivers", async () => {
  const refusals = new RefusalCounter();
  const one = receiverAt(fakeClock(), { refusals });
  const two = receiverAt(fakeClock(NOW + 120_000), { refusals });
  assert.equal(one.refusals, refusals);
  const bytes = await envelope();
  await one.open(bytes);
  await expectRefusal(one, bytes, "replay");
  await expectRefusal(two, bytes, "stale");
  assert.deepEqual([refusals.get("replay"), refusals.get("stale"), refusals.total()], [1, 1, 2]);
});

test("replay cache floor: once full, never-seen messages at or below the floor are refused too", async () => {
  const clock = fakeClock();
  const receiver = receiverAt(clock, { replayCapacity: 2 });
  const first = await envelope({ ts: BigInt(NOW - 3) });
  await receiver.open(first);
  await receiver.open(await envelope({ ts: BigInt(NOW - 2) }));
  await receiver.open(await envelope({ ts: BigInt(NOW - 1) })); // full: the oldest goes, floor = NOW - 3
  await expectRefusal(receiver, first, "replay", "forgotten nonce");
  await expectRefusal(receiver, await envelope({ ts: BigInt(NOW - 3) }), "replay", "never seen, at the floor");
  await receiver.open(await envelope({ ts: BigInt(NOW) })); // above the floor: still accepted
});

test("bounded replay cache under a flood: no replay ever gets through", async () => {
  const clock = fakeClock();
  const receiver = receiverAt(clock, { replayCapacity: 8 });
  const senders = [A, B, C];
  const accepted: Uint8Array[] = [];
  let refusedFresh = 0;
  for (let i = 0; i < 120; i++) {
    clock.t += 250;
    const jitter = (i * 7919) % 9_000; // out of order, always inside the window
    const bytes = await envelope({ ts: BigInt(clock.t - jitter) }, senders[i % 3]);
    try {
      await receiver.open(bytes);
      accepted.push(bytes);
    } catch {
      refusedFresh++; // at or below the floor: refused though new, the price of a bounded cache
    }
    const old = accepted[(i * 31) % accepted.length];
    if (old) await expectRefusal(receiver, old, "replay", `replay at step ${i}`);
  }
  for (const bytes of accepted) await expectRefusal(receiver, bytes, "replay", "final sweep");
  assert.ok(refusedFresh > 0, "the cache filled and its floor rose");
  assert.ok(accepted.length > 60, `most fresh messages still get in (${accepted.length} of 120)`);
  assert.equal(receiver.refusals.get("replay"), refusedFresh + 120 + accepted.length);
});

test("order of checks: the cheaper, earlier check decides", async () => {
  const good = await envelope();
  const badSig = flip(good, good.length - 1);
  const cases: [string, Uint8Array, Partial<Parameters<typeof receiverAt>[1]>, "too_large" | "bad_structure" | "bad_alg" | "stale" | "future" | "bad_signature"][] = [
    ["oversize and not CBOR", new Uint8Array(300).fill(0xff), { maxBytes: 299 }, "too_large"],
    ["oversize and valid", good, { maxBytes: good.length - 1 }, "too_large"],
    ["bad version and stale", await envelope({ v: 2, ts: 0 }), {}, "bad_structure"],
    ["ES256 and stale", await signedEnvelope(A, payloadFields({ ts: 0 }), concatBytes(Uint8Array.of(0xa2, 0x01, 0x26, 0x04, 0x58, 0x20), A.publicKey)), {}, "bad_alg"],
    ["stale and bad signature", flip(await envelope({ ts: BigInt(NOW - 120_000) }), good.length - 1), {}, "stale"],
    ["future and bad signature", flip(await envelope({ ts: BigInt(NOW + 60_000) }), good.length - 1), {}, "future"],
  ];
  for (const [name, bytes, options, code] of cases) await expectRefusal(receiverAt(fakeClock(), options), bytes, code, name);

  const receiver = receiverAt(fakeClock(), { self: C });
  await receiver.open(good);
  await expectRefusal(receiver, badSig, "bad_signature", "forged copy of a seen message: signature before replay");
  const toB = await envelope({ to: B.publicKey });
  await expectRefusal(receiver, toB, "wrong_recipient", "first delivery");
  await expectRefusal(receiver, toB, "replay", "second delivery: replay before addressing");
  const clock = fakeClock();
  const late = receiverAt(clock);
  await late.open(good);
  clock.t += 60_001;
  await expectRefusal(late, good, "stale", "a replay that has gone stale");
});
