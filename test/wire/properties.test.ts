// Property tests of the wire format (fast-check): what a sender seals, a receiver opens unchanged;
// no change to a signed envelope gets through; and whatever bytes arrive, the receiver's only
// answers are a message or a WireError with a code from REFUSAL_CODES. Runs are bounded so the
// file takes a few seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes } from "../../src/core/bytes.ts";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { webRandom } from "../../src/runtime/runtime.ts";
import { encodeCbor } from "../../src/wire/cbor.ts";
import { protectedHeader } from "../../src/wire/cose-sign1.ts";
import { EnvelopeSender } from "../../src/wire/sender.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { NOW, fakeClock, isRefusal, party, receiverAt } from "./wire-fixtures.ts";

const [A, B] = [await party(0x01), await party(0x02)];
const sender = new EnvelopeSender({ ed25519: nobleEd25519, clock: fakeClock(), random: webRandom }, A);

/**
 * JSON-like values plus byte strings, as a payload may hold them. Left out on purpose, because
 * CBOR through cbor-x does not carry them unchanged: -0 (written as the integer 0), the key
 * `__proto__` (cbor-x renames it `__proto_` when decoding), objects with a null prototype
 * (decoded as plain objects) and lone surrogates (not encodable as UTF-8).
 */
const key = fc.string({ maxLength: 10, unit: "binary" }).filter((k) => k !== "__proto__");
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double().map((d) => (Object.is(d, -0) ? 0 : d)),
  fc.string({ maxLength: 40, unit: "binary" }),
  fc.uint8Array({ maxLength: 40 }),
);
const { value: payloadValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(key, tie("value"), { maxKeys: 5, noNullPrototype: true }),
  ),
}));
const message = fc.record({
  type: fc.string({ minLength: 1, maxLength: 32, unit: "binary" }), // at most 64 UTF-16 units
  taskId: fc.string({ maxLength: 64, unit: "binary" }), // at most 128 UTF-16 units
  payload: payloadValue,
});

/** The value with byte strings as plain Uint8Arrays (Node decodes them as Buffer views). */
function plainBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(plainBytes);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainBytes(v)]));
  return value;
}

/**
 * Asserts that `bytes` is refused with a code from REFUSAL_CODES: not accepted, no other exception,
 * and not by the receiver's catch-all for unexpected errors inside a check (which still says
 * `malformed`, so only its message tells it apart; matching text is fine in a test, not in code).
 */
async function assertRefused(bytes: Uint8Array, note: string): Promise<WireError> {
  let refusal: WireError | undefined;
  try {
    const got = await receiverAt(fakeClock(), { self: B }).open(bytes);
    assert.fail(`${note}: accepted as ${JSON.stringify(got.type)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(isRefusal(error), `${note}: threw ${String(error)}`);
    assert.ok(!error.message.includes("could not be processed"), `${note}: a check crashed: ${String(error.cause)}`);
    refusal = error;
  }
  return refusal;
}

test("round trip: any payload, type and task ID come back unchanged, plain and private", async () => {
  await fc.assert(
    fc.asyncProperty(message, fc.boolean(), async (m, encrypted) => {
      const bytes = await sender.seal({ ...m, to: B.publicKey }, { private: encrypted });
      const got = await receiverAt(fakeClock(), { self: B }).open(bytes);
      assert.deepEqual(plainBytes(got.payload), plainBytes(m.payload));
      assert.deepEqual([got.type, got.taskId, got.encrypted, got.ts, got.senderId], [m.type, m.taskId, encrypted, NOW, A.id]);
    }),
    { numRuns: 300 },
  );
});

test("every single-byte change to a signed envelope is refused, at every position", async () => {
  const envelopes = [
    await sender.seal({ type: "task.submit", taskId: "t-1", payload: { n: 1, b: Uint8Array.of(1, 2) }, to: B.publicKey }),
    await sender.seal({ type: "task.result", taskId: "t-2", payload: { ok: true }, to: B.publicKey }, { private: true }),
  ];
  const masks = [0x01, 0x80, 0xff];
  const codes = new Set<string>();
  for (const envelope of envelopes) {
    await receiverAt(fakeClock(), { self: B }).open(envelope); // the unchanged envelope is accepted
    for (let i = 0; i < envelope.length; i++) {
      for (const mask of masks) {
        const changed = envelope.slice();
        changed[i]! ^= mask;
        const refusal = await assertRefused(changed, `byte ${i} ^ 0x${mask.toString(16)}`);
        assert.notEqual(refusal.code, "replay", "a fresh receiver has seen no nonce");
        codes.add(refusal.code);
      }
    }
  }
  // The changes reach several layers, not just the signature check.
  for (const code of ["malformed", "bad_structure", "bad_alg", "bad_signature"]) assert.ok(codes.has(code), `no change gave ${code}`);
});

test("any single-byte change, on envelopes with random payloads, is refused", async () => {
  await fc.assert(
    fc.asyncProperty(message, fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (m, encrypted, at, mask) => {
      const bytes = await sender.seal({ ...m, to: B.publicKey }, { private: encrypted });
      bytes[at % bytes.length]! ^= mask;
      await assertRefused(bytes, `byte ${at % bytes.length} ^ ${mask}`);
    }),
    { numRuns: 300 },
  );
});

test("random byte strings are only ever refused with a known code", async () => {
  const prefixed = fc.uint8Array({ maxLength: 300 }).map((tail) => concatBytes(Uint8Array.of(0xd2, 0x84), tail));
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), prefixed), async (bytes) => {
      await assertRefused(bytes, "random bytes");
    }),
    { numRuns: 1000 },
  );
});

test("random CBOR values, bare or shaped like a COSE_Sign1, are only ever refused with a known code", async () => {
  const header = protectedHeader(A.publicKey);
  const item = fc.oneof(payloadValue, fc.constant(header), fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.constant({}));
  // Payload maps: all fields good, then a few replaced by random values or dropped, so that many
  // get past the structure checks to the signature check.
  const fields = ["v", "to", "ts", "box", "type", "nonce", "payload", "task_id"];
  const payloadMap = fc
    .tuple(fc.dictionary(fc.constantFrom(...fields), payloadValue, { maxKeys: 2, noNullPrototype: true }), fc.subarray(fields, { maxLength: 2 }))
    .map(([replaced, dropped]) => {
      const map: Record<string, unknown> = { v: 1, ts: BigInt(NOW), type: "ping", nonce: new Uint8Array(16), payload: null, task_id: "", ...replaced };
      for (const field of dropped) delete map[field];
      return map;
    });
  const payloadBytes = fc.oneof({ arbitrary: payloadMap.map(encodeCbor), weight: 3 }, { arbitrary: fc.uint8Array({ maxLength: 80 }), weight: 1 });
  const mostly = <T,>(good: T) => fc.oneof({ arbitrary: fc.constant(good), weight: 3 }, { arbitrary: item, weight: 1 });
  const sign1 = fc.tuple(mostly(header), mostly({}), payloadBytes, mostly(new Uint8Array(64)));
  const encoded = fc.oneof(
    payloadValue.map(encodeCbor),
    { arbitrary: sign1.map((items) => concatBytes(Uint8Array.of(0xd2), encodeCbor(items))), weight: 4 },
    fc.array(item, { maxLength: 6 }).map((items) => concatBytes(Uint8Array.of(0xd2), encodeCbor(items))),
  );
  await fc.assert(
    fc.asyncProperty(encoded, async (bytes) => {
      await assertRefused(bytes, "random CBOR");
    }),
    { numRuns: 1000 },
  );
});

type Mutation =
  | { kind: "xor"; at: number; mask: number }
  | { kind: "insert"; at: number; byte: number }
  | { kind: "delete"; at: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("xor" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % (bytes.length + 1);
  switch (m.kind) {
    case "xor":
      return at < bytes.length ? Uint8Array.from(bytes, (b, i) => (i === at ? b ^ m.mask : b)) : bytes;
    case "insert":
      return concatBytes(bytes.subarray(0, at), Uint8Array.of(m.byte), bytes.subarray(at));
    case "delete":
      return concatBytes(bytes.subarray(0, at), bytes.subarray(at + 1));
    case "truncate":
      return bytes.subarray(0, at);
    case "duplicate":
      return concatBytes(bytes.subarray(0, at + m.length), bytes.subarray(at));
  }
}

test("random mutations of valid envelopes are only ever refused with a known code", async () => {
  const originals = [
    await sender.seal({ type: "ping", taskId: "", payload: null }),
    await sender.seal({ type: "task.submit", taskId: "t-3", payload: { xs: [1, 2.5, "x"], b: new Uint8Array(20) }, to: B.publicKey }),
    await sender.seal({ type: "task.result", taskId: "t-4", payload: { secret: "s" }, to: B.publicKey }, { private: true }),
  ];
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: originals.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (which, mutations) => {
      const original = originals[which]!;
      const changed = mutations.reduce(mutate, original);
      fc.pre(hex(changed) !== hex(original));
      await assertRefused(changed, `mutations ${JSON.stringify(mutations)}`);
    }),
    { numRuns: 1000 },
  );
});
