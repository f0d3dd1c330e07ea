/**
 * Writes the golden envelopes to `test/vectors/envelopes.json`: signed COSE_Sign1 envelopes made
 * from fixed seeds, timestamps, nonces and (for the encrypted case) a fixed deterministic random
 * stream, plus a few envelopes the receive path must refuse, each with its refusal code. Running it
 * twice gives the same file byte for byte. `test/wire/golden.test.ts` rebuilds every envelope from
 * the inputs recorded in the file and opens it; `docs/protocol.md` explains the bytes.
 *
 * Run with `npm run vectors`. Regenerate only on a deliberate wire-format change, and say so in the
 * change: a different byte here means every other implementation must change too.
 */
import { writeFileSync } from "node:fs";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, fromHex, toHex, utf8 } from "../src/core/bytes.ts";
import { decodeCbor, encodeCbor } from "../src/wire/cbor.ts";
import { encodeSign1, parseSign1, sigStructure } from "../src/wire/cose-sign1.ts";
import { EnvelopeSender } from "../src/wire/sender.ts";
import { EnvelopeReceiver } from "../src/wire/receiver.ts";
import { WireError, type RefusalCode } from "../src/wire/wire-error.ts";
import { nobleEd25519 } from "../src/crypto/ed25519-noble.ts";
import { agentIdFromKey } from "../src/identity/agent-id.ts";
import type { Signer } from "../src/wire/envelope.ts";
import { fromJson, toJson, type Json } from "../test/wire/vector-json.ts";

const OUT = new URL("../test/vectors/envelopes.json", import.meta.url);

/** 2023-11-14T22:13:20.000Z, in ms: every golden envelope is stamped with it. */
const TS = 1_700_000_000_000;
/** The label of the deterministic random stream the encrypted case draws from. */
const RANDOM_LABEL = "p2p-agent golden random v1";
const RANDOM_RULE =
  "block i (i = 0, 1, ...) = SHA-256(UTF-8(label) || uint32_be(i)); the blocks are concatenated and read in order, " +
  "each call random(n) taking the next n bytes. EnvelopeSender draws the envelope nonce (16), then sealBox the " +
  "ephemeral X25519 secret (32), then the XChaCha20 nonce (24).";
/** HKDF info and AAD prefix of the end-to-end boxes (src/crypto/e2e.ts). */
const E2E_INFO = "p2p-agent e2e v1";

/**
 * A deterministic stand-in for `random(n)`: SHA-256 in counter mode over `label` (see
 * {@link RANDOM_RULE}). Not random at all: for reproducible vectors only.
 */
function deterministicRandom(label: string): (length: number) => Uint8Array {
  let buffered: Uint8Array = new Uint8Array(0);
  let counter = 0;
  return (length) => {
    while (buffered.length < length) {
      const block = sha256(concatBytes(utf8(label), Uint8Array.of(counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff)));
      counter++;
      buffered = concatBytes(buffered, block);
    }
    const out = buffered.slice(0, length);
    buffered = buffered.slice(length);
    return out;
  };
}

interface Party extends Signer {
  id: string;
}

async function party(fill: number): Promise<Party> {
  const seed = new Uint8Array(32).fill(fill);
  const publicKey = await nobleEd25519.publicKey(seed);
  return { seed, publicKey, id: agentIdFromKey(publicKey) };
}

/** One golden envelope's inputs. `payload` is in the JSON form of {@link toJson}. */
interface CaseInput {
  name: string;
  description: string;
  type: string;
  taskId: string;
  payload: Json;
  to?: Party;
  private?: boolean;
  nonce?: Uint8Array;
}

async function goldenCase(signer: Party, input: CaseInput) {
  const random = input.private ? deterministicRandom(RANDOM_LABEL) : () => input.nonce!;
  const draws: string[] = [];
  const recording = (n: number) => {
    const bytes = random(n);
    draws.push(toHex(bytes));
    return bytes;
  };
  const sender = new EnvelopeSender({ ed25519: nobleEd25519, clock: { now: () => TS }, random: recording }, signer);
  const envelope = await sender.seal(
    {
      type: input.type,
      taskId: input.taskId,
      payload: fromJson(input.payload),
      ...(input.to ? { to: input.to.publicKey } : {}),
    },
    { private: input.private ?? false },
  );
  const parts = parseSign1(envelope);
  const receiver = new EnvelopeReceiver({
    ed25519: nobleEd25519,
    clock: { now: () => TS },
    ...(input.to ? { self: input.to } : {}),
  });
  const got = await receiver.open(envelope);
  return {
    name: input.name,
    description: input.description,
    signer_seed: toHex(signer.seed),
    public_key: toHex(signer.publicKey),
    agent_id: signer.id,
    ts: TS,
    nonce: draws[0]!,
    inputs: {
      type: input.type,
      task_id: input.taskId,
      payload: input.payload,
      to: input.to ? toHex(input.to.publicKey) : null,
      private: input.private ?? false,
    },
    ...(input.to ? { recipient_seed: toHex(input.to.seed) } : {}),
    ...(input.private ? { random: { label: RANDOM_LABEL, rule: RANDOM_RULE, draws }, e2e: e2eSteps(signer, input, draws) } : {}),
    envelope: toHex(envelope),
    parts: { protected: toHex(parts.protectedBytes), payload: toHex(parts.payload), signature: toHex(parts.signature) },
    expected: {
      type: got.type,
      task_id: got.taskId,
      ts: got.ts,
      nonce: toHex(got.nonce),
      to: got.to ? toHex(got.to) : null,
      sender_id: got.senderId,
      encrypted: got.encrypted,
      payload: toJson(got.payload),
    },
  };
}

/**
 * The intermediate values of the encrypted case's box, computed here straight from the noble
 * primitives as docs/protocol.md describes them (not through src/crypto/e2e.ts), so that another
 * implementation can check each step and the golden test can check e2e.ts against the description.
 */
function e2eSteps(signer: Party, input: CaseInput, draws: string[]) {
  const to = input.to!;
  const [ephemeral, boxNonce] = [fromHex(draws[1]!), fromHex(draws[2]!)];
  const recipientX = ed25519.utils.toMontgomery(to.publicKey);
  const ephemeralPublic = x25519.getPublicKey(ephemeral);
  const shared = x25519.getSharedSecret(ephemeral, recipientX);
  const key = hkdf(sha256, shared, concatBytes(ephemeralPublic, recipientX), utf8(E2E_INFO), 32);
  const aad = concatBytes(utf8(E2E_INFO), signer.publicKey, to.publicKey, utf8(`${input.type}\u0000${input.taskId}`));
  const plaintext = encodeCbor(fromJson(input.payload));
  const sealed = xchacha20poly1305(key, boxNonce, aad).encrypt(plaintext);
  return {
    info: E2E_INFO,
    recipient_x25519: toHex(recipientX),
    ephemeral_secret: toHex(ephemeral),
    ephemeral_public: toHex(ephemeralPublic),
    shared_secret: toHex(shared),
    key: toHex(key),
    xnonce: toHex(boxNonce),
    aad: toHex(aad),
    plaintext: toHex(plaintext),
    box: toHex(concatBytes(ephemeralPublic, boxNonce, sealed)),
  };
}

/** Signs a hand-built protected header and payload map, for refusals that must carry a good signature. */
async function signRaw(signer: Signer, protectedBytes: Uint8Array, payloadMap: Record<string, unknown>): Promise<Uint8Array> {
  const payload = encodeCbor(payloadMap);
  return encodeSign1(protectedBytes, payload, await nobleEd25519.sign(signer.seed, sigStructure(protectedBytes, payload)));
}

interface RefusalCase {
  name: string;
  description: string;
  envelope: Uint8Array;
  now: number;
  receiver?: Party;
  code: RefusalCode;
}

async function refusals(a: Party, b: Party, c: Party, plainHex: string, toBHex: string, privateHex: string): Promise<RefusalCase[]> {
  const plain = fromHex(plainHex);
  const plainParts = parseSign1(plain);
  const nonce = fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const base = { v: 1, ts: BigInt(TS), type: "ping", nonce, payload: null, task_id: "" };
  const es256Header = concatBytes(Uint8Array.of(0xa2, 0x01, 0x26, 0x04, 0x58, 0x20), a.publicKey);
  const byC = await nobleEd25519.sign(c.seed, sigStructure(plainParts.protectedBytes, plainParts.payload));
  const boxParts = parseSign1(fromHex(privateHex));
  const tampered = decodePayload(boxParts.payload);
  (tampered.box as Uint8Array)[60]! ^= 0x01;
  return [
    {
      name: "alg-es256",
      description: "protected header {1: -7 (ES256), 4: kid}, correctly signed by the kid: only EdDSA (-8) is accepted",
      envelope: await signRaw(a, es256Header, base),
      now: TS,
      code: "bad_alg",
    },
    {
      name: "truncated",
      description: "the first golden envelope without its last byte",
      envelope: plain.subarray(0, plain.length - 1),
      now: TS,
      code: "malformed",
    },
    {
      name: "untagged",
      description: "the first golden envelope without its leading tag byte d2: a bare array is not a tagged COSE_Sign1",
      envelope: plain.subarray(1),
      now: TS,
      code: "bad_structure",
    },
    {
      name: "signed-by-other-key",
      description: "the first golden envelope's kid and payload, signed with another key (seed 03..03)",
      envelope: encodeSign1(plainParts.protectedBytes, plainParts.payload, byC),
      now: TS,
      code: "bad_signature",
    },
    {
      name: "stale",
      description: "the first golden envelope, received 60,001 ms after its timestamp (window 60,000 ms)",
      envelope: plain,
      now: TS + 60_001,
      code: "stale",
    },
    {
      name: "future",
      description: "the first golden envelope, received 10,001 ms before its timestamp (skew 10,000 ms)",
      envelope: plain,
      now: TS - 10_001,
      code: "future",
    },
    {
      name: "wrong-recipient",
      description: "the golden envelope addressed to seed 02..02, received by the agent of seed 03..03",
      envelope: fromHex(toBHex),
      now: TS,
      receiver: c,
      code: "wrong_recipient",
    },
    {
      name: "box-tampered",
      description: "the private golden envelope with byte 60 of its box (inside the ciphertext) flipped, re-signed by the sender",
      envelope: await signRaw(a, boxParts.protectedBytes, tampered),
      now: TS,
      receiver: b,
      code: "decrypt_failed",
    },
  ];
}

/** A payload map decoded for re-encoding: byte strings copied out of the envelope, `ts` a bigint again. */
function decodePayload(bytes: Uint8Array): Record<string, unknown> {
  const map = decodeCbor(bytes) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map)) out[k] = v instanceof Uint8Array ? new Uint8Array(v) : k === "ts" ? BigInt(v as number) : v;
  return out;
}

async function checkRefusal(r: RefusalCase): Promise<void> {
  const receiver = new EnvelopeReceiver({ ed25519: nobleEd25519, clock: { now: () => r.now }, ...(r.receiver ? { self: r.receiver } : {}) });
  try {
    await receiver.open(r.envelope);
  } catch (error) {
    if (error instanceof WireError && error.code === r.code) return;
    throw new Error(`refusal ${r.name}: expected ${r.code}, got ${String(error)}`);
  }
  throw new Error(`refusal ${r.name}: expected ${r.code}, but the envelope was accepted`);
}

/** Builds every vector; throws if the receive path disagrees with any of them. */
async function buildVectors() {
  const [a, b, c] = [await party(0x01), await party(0x02), await party(0x03)];
  const envelopes = [
    await goldenCase(a, {
      name: "plain-map",
      description: "a plain message with a small map payload, no recipient",
      type: "ping",
      taskId: "t1",
      payload: { n: 42, text: "hello" },
      nonce: fromHex("000102030405060708090a0b0c0d0e0f"),
    }),
    await goldenCase(a, {
      name: "to-recipient",
      description: "addressed to one recipient (seed 02..02); the payload has a byte string, a negative int, a float and a nested array",
      type: "task.submit",
      taskId: "task-0001",
      payload: { blob: { $bytes: "00010203ff" }, list: [1, -1, true, null], ratio: 0.5 },
      to: b,
      nonce: fromHex("101112131415161718191a1b1c1d1e1f"),
    }),
    await goldenCase(a, {
      name: "empty-task-null-payload",
      description: "an empty task_id and a null payload",
      type: "presence",
      taskId: "",
      payload: null,
      nonce: fromHex("202122232425262728292a2b2c2d2e2f"),
    }),
    await goldenCase(a, {
      name: "private",
      description: "end-to-end encrypted for the recipient (seed 02..02); randomness from the deterministic stream",
      type: "task.result",
      taskId: "task-0002",
      payload: { n: 7, secret: "only the recipient reads this" },
      to: b,
      private: true,
    }),
  ];
  const refused = await refusals(a, b, c, envelopes[0]!.envelope, envelopes[1]!.envelope, envelopes[3]!.envelope);
  for (const r of refused) await checkRefusal(r);
  return {
    about:
      "Golden envelopes of the p2p-agent wire protocol (docs/protocol.md), made by scripts/golden-envelopes.ts. " +
      'Byte strings are lower-case hex; in payloads, {"$bytes": "<hex>"} stands for a CBOR byte string. ' +
      "Open each envelope with the receiver's clock at `ts` (refusals: at `now`).",
    envelopes,
    refusals: refused.map((r) => ({
      name: r.name,
      description: r.description,
      envelope: toHex(r.envelope),
      now: r.now,
      receiver_seed: r.receiver ? toHex(r.receiver.seed) : null,
      code: r.code,
    })),
  };
}

const vectors = await buildVectors();
writeFileSync(OUT, JSON.stringify(vectors, null, 2) + "\n");
console.log(`wrote ${vectors.envelopes.length} envelopes and ${vectors.refusals.length} refusals to ${OUT.pathname}`);
