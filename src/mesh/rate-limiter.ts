import type { Clock } from "../runtime/runtime.ts";

/**
 * Per-key token buckets: each key may pass `rate` events per second on average, in bursts of up
 * to `burst`. Used at each receiver per sending peer, so one flooding peer is throttled while the
 * rest of the mesh is unaffected. Keeps at most `maxKeys` buckets (least recently used go first).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: Clock;
  readonly #maxKeys: number;

  constructor(options: { rate: number; burst: number; clock: Clock; maxKeys?: number }) {
    if (!(options.rate > 0)) throw new RangeError(`"rate" expected a positive number, got ${options.rate}`);
    if (!(options.burst >= 1)) throw new RangeError(`"burst" expected at least 1, got ${options.burst}`);
    this.#rate = options.rate;
    this.#burst = options.burst;
    this.#clock = options.clock;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Takes one token for `key`; false means the event must be dropped. */
  take(key: string): boolean {
    const now = this.#clock.now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
      bucket = { tokens: this.#burst, at: now };
    } else {
      this.#buckets.delete(key); // re-insert below: keeps the map in least-recently-used order
      // Math.max: a wall clock stepped backwards must not put the bucket in debt.
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
