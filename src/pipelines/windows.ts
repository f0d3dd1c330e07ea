/** One full window of readings from one source topic. */
export interface Window {
  /** The source topic the readings came on. */
  topic: string;
  values: Float32Array;
  /** When the first and the last reading arrived, ms since the epoch. */
  start: number;
  end: number;
}

/** Why a source's readings were forgotten: room was needed for another source, or it sent nothing for `idleMs`. */
export type EvictReason = "full" | "idle";

/** Bytes one buffered reading takes: a float32 value and a float64 arrival time. */
export const BYTES_PER_READING = 12;
/** Default most source topics per pipeline. */
export const DEFAULT_MAX_SOURCES = 10_000;
/** Default most buffered readings per pipeline, over all its sources (2 Mi readings = 24 MiB). */
export const DEFAULT_MAX_READINGS = 2 ** 21;
/** Default time a source may send nothing before its readings are forgotten (one day). */
export const DEFAULT_IDLE_MS = 24 * 60 * 60 * 1_000;

/** One source's last `size` readings in a ring: `next` is where the next one goes (and, once full, the oldest). */
interface Source {
  readonly values: Float32Array;
  readonly times: Float64Array;
  next: number;
  count: number;
  /** Readings since the last window was cut. */
  sinceCut: number;
  lastSeen: number;
}

export interface SlidingWindowsOptions {
  size: number;
  step: number;
  /** Most source topics tracked (default 10,000). */
  maxSources?: number;
  /** Most readings buffered over all sources (default 2^21); caps the sources at `maxReadings / size`. */
  maxReadings?: number;
  /** A source that sent nothing for this long is forgotten (default one day). */
  idleMs?: number;
  /** Called for each source forgotten, with why. */
  onEvict?: (topic: string, reason: EvictReason) => void;
}

/**
 * Count-based sliding windows, one per source topic: every `step` readings once `size` have
 * arrived, the last `size` readings form a window (`step` = `size`: back to back; `step` = 1: a
 * window per reading). Each source keeps a fixed ring of `size` float32 values and float64 times
 * (12 bytes a reading). Memory is bounded: at most `capacity` sources (the smaller of `maxSources`
 * and `maxReadings / size`) are tracked; a reading from a new topic when all are taken evicts the
 * source seen least recently, and a source idle for `idleMs` is evicted at the next reading of any
 * source. A reading is never refused, so a flood of new topics cannot lock real sensors out; it
 * only costs the windows of the sources it evicts.
 */
export class SlidingWindows {
  readonly size: number;
  readonly step: number;
  /** Most sources tracked at once. */
  readonly capacity: number;
  readonly idleMs: number;
  /** Sources by topic, least recently seen first (each reading moves its source to the end). */
  readonly #sources = new Map<string, Source>();
  readonly #onEvict: ((topic: string, reason: EvictReason) => void) | undefined;

  constructor(options: SlidingWindowsOptions) {
    const { size, step, maxSources = DEFAULT_MAX_SOURCES, maxReadings = DEFAULT_MAX_READINGS, idleMs = DEFAULT_IDLE_MS } = options;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`"size" expected a positive integer, got ${size}`);
    if (!Number.isInteger(step) || step < 1 || step > size) throw new RangeError(`"step" expected an integer from 1 to size (${size}), got ${step}`);
    if (!Number.isInteger(maxSources) || maxSources < 1) throw new RangeError(`"maxSources" expected a positive integer, got ${maxSources}`);
    if (!Number.isInteger(maxReadings) || maxReadings < size) throw new RangeError(`"maxReadings" expected an integer of at least size (${size}), got ${maxReadings}`);
    if (!(idleMs > 0)) throw new RangeError(`"idleMs" expected a positive number, got ${idleMs}`);
    this.size = size;
    this.step = step;
    this.capacity = Math.min(maxSources, Math.floor(maxReadings / size));
    this.idleMs = idleMs;
    this.#onEvict = options.onEvict;
  }

  /** Source topics tracked now. */
  get sources(): number {
    return this.#sources.size;
  }

  /** Bytes of reading buffers held now. */
  get bytes(): number {
    return this.#sources.size * this.size * BYTES_PER_READING;
  }

  /** Adds `value` from `topic` at time `at` (ms); returns the window it completes, or null. */
  push(topic: string, value: number, at: number): Window | null {
    this.#evictIdle(at);
    let source = this.#sources.get(topic);
    if (source) {
      this.#sources.delete(topic); // re-inserted below: the map stays least recently seen first
    } else {
      if (this.#sources.size >= this.capacity) this.#evict(this.#sources.keys().next().value!, "full");
      source = { values: new Float32Array(this.size), times: new Float64Array(this.size), next: 0, count: 0, sinceCut: 0, lastSeen: at };
    }
    this.#sources.set(topic, source);
    source.lastSeen = at;
    source.values[source.next] = value;
    source.times[source.next] = at;
    source.next = source.next + 1 === this.size ? 0 : source.next + 1;
    if (source.count < this.size) source.count++;
    source.sinceCut++;
    if (source.count < this.size || source.sinceCut < this.step) return null;
    source.sinceCut = 0;
    // Full ring: the oldest reading is at `next`.
    const values = new Float32Array(this.size);
    values.set(source.values.subarray(source.next));
    values.set(source.values.subarray(0, source.next), this.size - source.next);
    const last = source.next === 0 ? this.size - 1 : source.next - 1;
    return { topic, values, start: source.times[source.next]!, end: source.times[last]! };
  }

  /** Forgets every source (when the pipeline stops here). */
  clear(): void {
    this.#sources.clear();
  }

  /** Evicts the sources, oldest first, that sent nothing for `idleMs` before `now`. */
  #evictIdle(now: number): void {
    for (const [topic, source] of this.#sources) {
      if (now - source.lastSeen < this.idleMs) return;
      this.#evict(topic, "idle");
    }
  }

  #evict(topic: string, reason: EvictReason): void {
    this.#sources.delete(topic);
    this.#onEvict?.(topic, reason);
  }
}
