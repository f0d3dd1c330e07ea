/** One full window of readings from one source topic. */
export interface Window {
  /** The source topic the readings came on. */
  topic: string;
  values: Float32Array;
  /** When the first and the last reading arrived, ms since the epoch. */
  start: number;
  end: number;
}

interface Source {
  values: number[];
  times: number[];
  /** Readings since the last window was cut. */
  sinceCut: number;
}

/**
 * Count-based sliding windows, one per source topic: every `step` readings once `size` have
 * arrived, the last `size` readings form a window (`step` = `size`: back to back; `step` = 1: a
 * window per reading). At most `maxSources` topics are tracked; readings from further topics are
 * refused (`push` returns `"too_many_sources"`) rather than letting memory grow without bound.
 */
export class SlidingWindows {
  readonly size: number;
  readonly step: number;
  readonly maxSources: number;
  readonly #sources = new Map<string, Source>();

  constructor(options: { size: number; step: number; maxSources?: number }) {
    const { size, step, maxSources = 10_000 } = options;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`"size" expected a positive integer, got ${size}`);
    if (!Number.isInteger(step) || step < 1 || step > size) throw new RangeError(`"step" expected an integer from 1 to size (${size}), got ${step}`);
    this.size = size;
    this.step = step;
    this.maxSources = maxSources;
  }

  /** Source topics tracked now. */
  get sources(): number {
    return this.#sources.size;
  }

  /** Adds `value` from `topic` at time `at`; returns the window it completes, null, or why it was refused. */
  push(topic: string, value: number, at: number): Window | null | "too_many_sources" {
    let buffer = this.#sources.get(topic);
    if (!buffer) {
      if (this.#sources.size >= this.maxSources) return "too_many_sources";
      buffer = { values: [], times: [], sinceCut: 0 };
      this.#sources.set(topic, buffer);
    }
    buffer.values.push(value);
    buffer.times.push(at);
    if (buffer.values.length > this.size) {
      buffer.values.shift();
      buffer.times.shift();
    }
    buffer.sinceCut++;
    if (buffer.values.length < this.size || (buffer.sinceCut < this.step && buffer.sinceCut !== buffer.values.length)) return null;
    buffer.sinceCut = 0;
    return { topic, values: Float32Array.from(buffer.values), start: buffer.times[0]!, end: buffer.times[buffer.times.length - 1]! };
  }

  /** Forgets every source (when the pipeline stops here). */
  clear(): void {
    this.#sources.clear();
  }
}
