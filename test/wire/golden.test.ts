// Golden envelopes (test/vectors/envelopes.json, made by scripts/golden-envelopes.ts): each one is
// rebuilt from its recorded inputs and must match byte for byte, then opened and checked field by
// field; each golden refusal must be refused with its code. A failure here means the wire format
// changed: every other implementation would stop interoperating.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { decodeCbor } from "../../src/wire/cbor.ts";
import { concatBytes, fromHex, toHex, utf8 } from "../../src/core/bytes.ts";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { agentIdFromKey, keyFromAgentId } from "../../src/identity/agent-id.ts";
import { parseSign1 } from "../../src/wire/cose-sign1.ts";
import { sealEnvelope } from "../../src/wire/envelope.ts";
import { EnvelopeReceiver } from "../../src/wire/receiver.ts";
import { EnvelopeSender } from "../../src/wire/sender.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { fromJson, toJson, type Json } from "./vector-json.ts";

interface GoldenEnvelope {
  name: string;
  signer_seed: string;
  public_key: string;
  agent_id: string;
  ts: number;
  nonce: string;
  inputs: { type: string; task_id: string; payload: Json; to: string | null; private: boolean };
  recipient_seed?: string;
  random?: { label: string; draws: string[] };
  e2e?: Record<"info" | "recipient_x25519" | "ephemeral_secret" | "ephemeral_public" | "shared_secret" | "key" | "xnonce" | "aad" | "plaintext" | "box", string>;
  envelope: string;
  parts: { protected: string; payload: string; signature: string };
  expected: {
    type: string;
    task_id: string;
    ts: number;
    nonce: string;
    to: string | null;
    sender_id: string;
    encrypted: boolean;
    payload: Json;
  };
}

interface GoldenRefusal {
  name: string;
  envelope: string;
  now: number;
  receiver_seed: string | null;
  code: string;
}

const vectors = JSON.parse(readFileSync(new URL("../vectors/envelopes.json", import.meta.url), "utf8")) as {
  envelopes: GoldenEnvelope[];
  refusals: GoldenRefusal[];
};

/** The vectors' random rule, written out again here: SHA-256 in counter mode over the label. */
function sha256Stream(label: string, length: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) {
    blocks.push(sha256(concatBytes(utf8(label), Uint8Array.of(i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff))));
  }
  return concatBytes(...blocks).slice(0, length);
}

/** A `random(n)` that hands out the recorded draws in order and checks each one's length. */
function replayDraws(draws: string[]): (length: number) => Uint8Array {
  const queue = draws.map(fromHex);
  return (length) => {
    const next = queue.shift();
    assert.ok(next, "the sender drew more random values than were recorded");
    assert.equal(length, next.length, "the sender drew a random value of another length than recorded");
    return next;
  };
}

async function rebuild(g: GoldenEnvelope): Promise<Uint8Array> {
  const seed = fromHex(g.signer_seed);
  const signer = { seed, publicKey: await nobleEd25519.publicKey(seed) };
  const message = {
    type: g.inputs.type,
    taskId: g.inputs.task_id,
    payload: fromJson(g.inputs.payload),
    ...(g.inputs.to !== null ? { to: fromHex(g.inputs.to) } : {}),
  };
  if (!g.inputs.private) return sealEnvelope(nobleEd25519, signer, message, { ts: g.ts, nonce: fromHex(g.nonce) });
  const sender = new EnvelopeSender({ ed25519: nobleEd25519, clock: { now: () => g.ts }, random: replayDraws(g.random!.draws) }, signer);
  return sender.seal(message, { private: true });
}

test("golden vectors: the file holds the expected cases", () => {
  assert.deepEqual(
    vectors.envelopes.map((g) => g.name),
    ["plain-map", "to-recipient", "empty-task-null-payload", "private"],
  );
  assert.deepEqual(
    vectors.refusals.map((r) => r.code),
    ["bad_alg", "malformed", "bad_structure", "bad_signature", "stale", "future", "wrong_recipient", "decrypt_failed"],
  );
});

for (const g of vectors.envelopes) {
  test(`golden envelope ${g.name}: keys and agent ID follow from the seed`, async () => {
    const publicKey = await nobleEd25519.publicKey(fromHex(g.signer_seed));
    assert.equal(toHex(publicKey), g.public_key);
    assert.equal(agentIdFromKey(publicKey), g.agent_id);
    assert.equal(g.agent_id.length, 52);
    assert.equal(toHex(keyFromAgentId(g.agent_id)), g.public_key);
  });

  test(`golden envelope ${g.name}: rebuilt from its inputs byte for byte`, async () => {
    if (g.random) {
      const stream = sha256Stream(g.random.label, g.random.draws.reduce((n, d) => n + d.length / 2, 0));
      assert.equal(g.random.draws.join(""), toHex(stream), "recorded draws follow the stated random rule");
      assert.equal(g.random.draws[0], g.nonce, "the first draw is the envelope nonce");
    }
    const bytes = await rebuild(g);
    assert.equal(toHex(bytes), g.envelope);
    const parts = parseSign1(bytes);
    assert.equal(toHex(parts.protectedBytes), g.parts.protected);
    assert.equal(g.parts.protected, `a20127045820${g.public_key}`);
    assert.equal(toHex(parts.payload), g.parts.payload);
    assert.equal(toHex(parts.signature), g.parts.signature);
  });

  test(`golden envelope ${g.name}: opens to the expected fields`, async () => {
    const self = g.recipient_seed ? fromHex(g.recipient_seed) : undefined;
    const receiver = new EnvelopeReceiver({
      ed25519: nobleEd25519,
      clock: { now: () => g.ts },
      ...(self ? { self: { seed: self, publicKey: await nobleEd25519.publicKey(self) } } : {}),
    });
    const got = await receiver.open(fromHex(g.envelope));
    assert.deepEqual(
      {
        type: got.type,
        task_id: got.taskId,
        ts: got.ts,
        nonce: toHex(got.nonce),
        to: got.to ? toHex(got.to) : null,
        sender_id: got.senderId,
        encrypted: got.encrypted,
        payload: toJson(got.payload),
      },
      g.expected,
    );
    assert.equal(toHex(got.sender), g.public_key);
    assert.deepEqual(toJson(got.payload), g.inputs.payload, "the payload comes back as it was sent");
    assert.equal(receiver.refusals.total(), 0);
  });
}

test("golden envelope private: a receiver without the recipient's keys cannot open it", async () => {
  const g = vectors.envelopes.find((e) => e.name === "private")!;
  const receiver = new EnvelopeReceiver({ ed25519: nobleEd25519, clock: { now: () => g.ts } });
  await assert.rejects(receiver.open(fromHex(g.envelope)), (e: unknown) => e instanceof WireError && e.code === "wrong_recipient");
  assert.ok(!g.envelope.includes(toHex(utf8("only the recipient reads this"))), "the plaintext is not in the envelope");
});

test("golden envelope private: the box follows the documented construction step by step", () => {
  const g = vectors.envelopes.find((e) => e.name === "private")!;
  const e = g.e2e!;
  const recipient = fromHex(g.inputs.to!);
  // Sender side: the recipient's X25519 key comes from its Ed25519 public key (its agent ID) alone.
  const recipientX = ed25519.utils.toMontgomery(recipient);
  assert.equal(toHex(recipientX), e.recipient_x25519);
  assert.deepEqual([e.ephemeral_secret, e.xnonce], [g.random!.draws[1], g.random!.draws[2]]);
  const ephemeralPublic = x25519.getPublicKey(fromHex(e.ephemeral_secret));
  assert.equal(toHex(ephemeralPublic), e.ephemeral_public);
  assert.equal(toHex(x25519.getSharedSecret(fromHex(e.ephemeral_secret), recipientX)), e.shared_secret);
  // Recipient side: the X25519 secret from the Ed25519 seed gives the same public key and secret.
  const recipientSecret = ed25519.utils.toMontgomerySecret(fromHex(g.recipient_seed!));
  assert.equal(toHex(x25519.getPublicKey(recipientSecret)), e.recipient_x25519);
  assert.equal(toHex(x25519.getSharedSecret(recipientSecret, ephemeralPublic)), e.shared_secret);
  const key = hkdf(sha256, fromHex(e.shared_secret), concatBytes(ephemeralPublic, recipientX), utf8(e.info), 32);
  assert.equal(toHex(key), e.key);
  const context = utf8(`${g.inputs.type}\u0000${g.inputs.task_id}`);
  assert.equal(toHex(concatBytes(utf8(e.info), fromHex(g.public_key), recipient, context)), e.aad);
  const sealed = xchacha20poly1305(key, fromHex(e.xnonce), fromHex(e.aad)).encrypt(fromHex(e.plaintext));
  assert.equal(toHex(concatBytes(ephemeralPublic, fromHex(e.xnonce), sealed)), e.box);
  const map = decodeCbor(fromHex(g.parts.payload)) as { box: Uint8Array };
  assert.equal(toHex(map.box), e.box, "the envelope carries this box");
  assert.deepEqual(toJson(decodeCbor(fromHex(e.plaintext))), g.inputs.payload);
});

for (const r of vectors.refusals) {
  test(`golden refusal ${r.name}: refused as ${r.code}`, async () => {
    const self = r.receiver_seed ? fromHex(r.receiver_seed) : undefined;
    const receiver = new EnvelopeReceiver({
      ed25519: nobleEd25519,
      clock: { now: () => r.now },
      ...(self ? { self: { seed: self, publicKey: await nobleEd25519.publicKey(self) } } : {}),
    });
    await assert.rejects(receiver.open(fromHex(r.envelope)), (e: unknown) => {
      assert.ok(e instanceof WireError, `expected a WireError, got ${String(e)}`);
      assert.equal(e.code, r.code);
      return true;
    });
    assert.equal(receiver.refusals.get(r.code as WireError["code"]), 1);
    assert.equal(receiver.refusals.total(), 1);
  });
}
