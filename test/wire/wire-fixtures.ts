// Shared fixtures for the wire tests: fixed keys, a fake clock, hand-built envelopes and a refusal
// assertion that also checks the refusal was counted exactly once, under its own code.
import assert from "node:assert/strict";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import type { Ed25519 } from "../../src/crypto/ed25519.ts";
import { agentIdFromKey } from "../../src/identity/agent-id.ts";
import { encodeCbor } from "../../src/wire/cbor.ts";
import { encodeSign1, protectedHeader, sigStructure } from "../../src/wire/cose-sign1.ts";
import type { Signer } from "../../src/wire/envelope.ts";
import { EnvelopeReceiver, type ReceiverOptions } from "../../src/wire/receiver.ts";
import { REFUSAL_CODES, WireError, type RefusalCode } from "../../src/wire/wire-error.ts";

/** The time every fixture is stamped with (2023-11-14T22:13:20Z), ms. */
export const NOW = 1_700_000_000_000;

/** A key pair with its agent ID. */
export interface Party extends Signer {
  id: string;
}

/** The party whose seed is 32 bytes of `fill` (the golden vectors use 0x01, 0x02, 0x03). */
export async function party(fill: number): Promise<Party> {
  const seed = new Uint8Array(32).fill(fill);
  const publicKey = await nobleEd25519.publicKey(seed);
  return { seed, publicKey, id: agentIdFromKey(publicKey) };
}

/** A clock the test moves by assigning `t`. */
export function fakeClock(t = NOW): { t: number; now(): number } {
  return { t, now() { return this.t; } };
}

/** A receiver on `clock` with the noble path, unless `options` says otherwise. */
export function receiverAt(clock: { now(): number }, options: Partial<ReceiverOptions> = {}): EnvelopeReceiver {
  return new EnvelopeReceiver({ ed25519: nobleEd25519, clock, ...options });
}

/** 16-byte nonces that never repeat within one test run: a counter in the last four bytes. */
let nonceCounter = 0;
export function freshNonce(): Uint8Array {
  const n = ++nonceCounter;
  return Uint8Array.of(0xaa, ...new Array(11).fill(0), n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/**
 * A payload map with good values for every required field, then `overrides` applied; an override
 * of `undefined` removes the field.
 */
export function payloadFields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const map: Record<string, unknown> = { v: 1, ts: BigInt(NOW), type: "ping", nonce: freshNonce(), payload: null, task_id: "" };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete map[key];
    else map[key] = value;
  }
  return map;
}

/**
 * A COSE_Sign1 over `payload` (a map, encoded here, or raw bytes) with a real signature by
 * `signer`, so a test can put any content behind a valid signature. `header` defaults to the
 * protected header of `signer`'s key.
 */
export async function signedEnvelope(
  signer: Signer,
  payload: Record<string, unknown> | Uint8Array,
  header: Uint8Array = protectedHeader(signer.publicKey),
  ed25519: Ed25519 = nobleEd25519,
): Promise<Uint8Array> {
  const payloadBytes = payload instanceof Uint8Array ? payload : encodeCbor(payload);
  return encodeSign1(header, payloadBytes, await ed25519.sign(signer.seed, sigStructure(header, payloadBytes)));
}

/** True when `error` is a `WireError` whose code is one of {@link REFUSAL_CODES}. */
export function isRefusal(error: unknown): error is WireError {
  return error instanceof WireError && (REFUSAL_CODES as readonly string[]).includes(error.code);
}

/**
 * Asserts that `receiver.open(bytes)` is refused with `code` and that the refusal counter moved by
 * exactly one, under `code` and nowhere else.
 */
export async function expectRefusal(receiver: EnvelopeReceiver, bytes: Uint8Array, code: RefusalCode, note = ""): Promise<void> {
  const before = receiver.refusals.snapshot();
  await assert.rejects(receiver.open(bytes), (error: unknown) => {
    assert.ok(error instanceof WireError, `${note} expected a WireError, got ${String(error)}`);
    assert.equal(error.code, code, `${note} ${error.message}`);
    return true;
  });
  const after = receiver.refusals.snapshot();
  for (const c of REFUSAL_CODES) assert.equal(after[c] - before[c], c === code ? 1 : 0, `${note} count of ${c}`);
}
