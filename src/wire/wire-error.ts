/**
 * Why a received message was refused. The codes are stable: they name metrics, log fields and the
 * refusal counters, and tests match on them. Listed in the order the receive path checks them.
 */
export const REFUSAL_CODES = [
  "too_large", // over the size limit, not even parsed
  "malformed", // not well-formed CBOR (outer structure, protected header or payload)
  "bad_structure", // well-formed, but not a COSE_Sign1 envelope of ours
  "bad_alg", // a COSE algorithm other than EdDSA (-8)
  "stale", // timestamp older than the freshness window
  "future", // timestamp further ahead than the allowed clock skew
  "bad_signature", // the Ed25519 signature does not verify under the kid
  "replay", // a nonce already seen from this sender inside the window, or older than the cache reaches
  "wrong_recipient", // addressed to another agent
  "decrypt_failed", // an end-to-end encrypted payload that does not open (tampered or not for us)
  "not_member", // a valid message from a key that holds no member certificate of this mesh
  "throttled", // dropped by per-peer flood control before any checking
] as const;

/** One of {@link REFUSAL_CODES}. */
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** A received message was refused; `code` says why, `message` says it for people. */
export class WireError extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = "WireError";
  }
}

/** Counts refusals by code; every code is present from the start, at zero. */
export class RefusalCounter {
  readonly #counts = new Map<RefusalCode, number>(REFUSAL_CODES.map((c) => [c, 0]));

  /** Adds one refusal of `code`. */
  count(code: RefusalCode): void {
    this.#counts.set(code, this.#counts.get(code)! + 1);
  }

  /** The count for `code`. */
  get(code: RefusalCode): number {
    return this.#counts.get(code)!;
  }

  /** All counts, keyed by code, as a plain object (stable key order). */
  snapshot(): Record<RefusalCode, number> {
    return Object.fromEntries(this.#counts) as Record<RefusalCode, number>;
  }

  /** Sum over every code. */
  total(): number {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }
}
