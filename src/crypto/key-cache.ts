/**
 * A small bounded map for imported keys: when full, the oldest entry goes. Native crypto APIs make
 * callers import a raw key into an object before use; importing costs more than verifying, so
 * hot senders' keys are kept.
 */
export class KeyCache<V> {
  readonly #map = new Map<string, V>();
  readonly #limit: number;

  /** `limit` is the most entries kept (default 4096). */
  constructor(limit = 4096) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`"limit" expected a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** The cached value for `key`, or `make()`'s result, stored. */
  get(key: string, make: () => V): V {
    let value = this.#map.get(key);
    if (value === undefined) {
      value = make();
      if (this.#map.size >= this.#limit) this.#map.delete(this.#map.keys().next().value!);
      this.#map.set(key, value);
    }
    return value;
  }
}
