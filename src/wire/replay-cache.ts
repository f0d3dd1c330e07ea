/**
 * Remembers which (sender, nonce) pairs arrived inside the freshness window, within a fixed
 * number of entries. When full, the oldest entries go and the cache's *floor* rises to their
 * timestamp: from then on any message at or below the floor is refused as a possible replay, so a
 * bounded cache never lets a replay through; under a flood the effective window just shrinks.
 */
export class ReplayCache {
  /** key -> timestamp (ms) */
  readonly #seen = new Map<string, number>();
  readonly #capacity: number;
  #floor = -Infinity;

  /** `capacity`: the most entries kept (default 200,000, about 20 MB). */
  constructor(capacity = 200_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`"capacity" expected a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** Messages stamped at or before this time (ms) are refused: their nonces may have been forgotten. */
  get floor(): number {
    return this.#floor;
  }

  /** Number of remembered nonces. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records `key` stamped `ts` and returns true, or returns false when it is a replay: already
   * seen, or at or below the floor. `oldest` is the start of the freshness window now: entries
   * older than it are dropped first, as no fresh message can carry them.
   */
  admit(key: string, ts: number, oldest: number): boolean {
    if (ts <= this.#floor || this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#capacity) this.#evict(oldest);
    this.#seen.set(key, ts);
    return true;
  }

  #evict(oldest: number): void {
    // Insertion order is close to timestamp order, so a sweep from the front finds expired entries
    // quickly. Drop expired ones; if that frees nothing, drop the oldest tenth and raise the floor.
    for (const [key, ts] of this.#seen) {
      if (ts >= oldest) break;
      this.#seen.delete(key);
      // Forgotten nonces raise the floor too: if the clock later steps back, a message at or
      // below it is still refused rather than admitted as new.
      if (ts > this.#floor) this.#floor = ts;
    }
    if (this.#seen.size < this.#capacity) return;
    let toDrop = Math.max(1, Math.floor(this.#capacity / 10));
    for (const [key, ts] of this.#seen) {
      if (toDrop-- <= 0) break;
      this.#seen.delete(key);
      if (ts > this.#floor) this.#floor = ts;
    }
  }
}
