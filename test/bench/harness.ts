/**
 * Timing for the benchmarks: run one operation over and over, one call at a time, and turn the
 * counts into operations per second. Only standard APIs (`performance.now`), so it runs under Node
 * and Deno alike; the clock is injectable so tests can drive it without waiting.
 */

/** How long to warm up and measure. Every field is in milliseconds except `rounds`. */
export interface Timing {
  /** Untimed running first, so the JIT has compiled the hot path and caches are filled. */
  warmupMs: number;
  /** Length of one timed round. */
  roundMs: number;
  /** Number of timed rounds; the median of their rates is reported. */
  rounds: number;
}

/** The full run: 0.3 s warm-up, then 5 rounds of 0.5 s. */
export const FULL_TIMING: Readonly<Timing> = Object.freeze({ warmupMs: 300, roundMs: 500, rounds: 5 });
/** The `--quick` run for smoke tests: 0.05 s warm-up, then 3 rounds of 0.1 s. Figures are rough. */
export const QUICK_TIMING: Readonly<Timing> = Object.freeze({ warmupMs: 50, roundMs: 100, rounds: 3 });

/** The rates of one measured operation. */
export interface Measurement {
  /** Median of the per-round rates, operations per second. */
  median: number;
  /** Slowest round's rate. */
  min: number;
  /** Fastest round's rate. */
  max: number;
  /** Every round's rate, in the order measured. */
  perRound: number[];
  /** Operations completed over all timed rounds. */
  ops: number;
  /**
   * Median of the per-round rates per second of this process's CPU time, when `cpuNow` was given.
   * Other jobs on a shared machine take wall-clock time from the benchmark but not CPU time, so
   * this figure moves less with them; it counts every thread of the process, helpers included.
   */
  cpuMedian?: number;
}

/** What {@link measure} takes besides the operation. */
export interface MeasureOptions extends Timing {
  /** Milliseconds from any fixed origin. Default `performance.now`. */
  now?: () => number;
  /** CPU time this process has used, milliseconds from any fixed origin. Default: not measured. */
  cpuNow?: () => number;
  /** Stops the measurement between batches; `measure` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** One call of the operation under test; a returned promise is awaited before the next call. */
export type Operation = () => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function checkTiming(timing: Timing): void {
  for (const field of ["warmupMs", "roundMs"] as const) {
    const value = timing[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`"${field}" expected a non-negative number of milliseconds, got ${value}`);
    }
  }
  if (timing.roundMs === 0) throw new RangeError(`"roundMs" must be above 0, got 0`);
  if (!Number.isInteger(timing.rounds) || timing.rounds < 1) {
    throw new RangeError(`"rounds" expected a positive integer, got ${timing.rounds}`);
  }
}

/**
 * Runs `op` in batches of `batch` calls until at least `ms` have passed, and returns how many
 * calls completed and the time they took. Calls are strictly sequential: each returned promise is
 * awaited before the next call starts, so at most one operation is ever in flight.
 */
async function runFor(op: Operation, ms: number, batch: number, now: () => number, cpuNow: () => number, signal?: AbortSignal) {
  const cpuStart = cpuNow();
  const start = now();
  let ops = 0;
  let elapsed = 0;
  do {
    signal?.throwIfAborted();
    for (let i = 0; i < batch; i++) {
      const result = op();
      if (isThenable(result)) await result;
    }
    ops += batch;
    elapsed = now() - start;
  } while (elapsed < ms);
  return { ops, elapsed, cpu: cpuNow() - cpuStart };
}

/** The median of `values` (the mean of the middle two when the count is even). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError(`"values" expected at least one number, got none`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Measures the throughput of `op` on the calling thread: a warm-up of `warmupMs` that also sizes
 * the batch between clock reads (about 1/50 of a round, so reading the clock costs nothing that
 * shows), then `rounds` timed rounds of at least `roundMs` each. Returns the median, slowest and
 * fastest round rates in operations per second, and with `cpuNow` the median rate per CPU-second. Any error thrown by `op` ends the measurement and
 * is passed on, so a benchmark whose operation starts failing cannot report a rate.
 */
export async function measure(op: Operation, options: MeasureOptions): Promise<Measurement> {
  if (typeof op !== "function") throw new TypeError(`"op" expected a function, got ${typeof op}`);
  checkTiming(options);
  const now = options.now ?? (() => performance.now());
  const cpuNow = options.cpuNow ?? (() => 0);
  const warm = await runFor(op, options.warmupMs, 1, now, cpuNow, options.signal);
  const perOpMs = warm.elapsed > 0 ? warm.elapsed / warm.ops : 0;
  const target = options.roundMs / 50;
  const batch = perOpMs > 0 ? Math.max(1, Math.min(1_000_000, Math.floor(target / perOpMs))) : 1;
  const perRound: number[] = [];
  const perCpu: number[] = [];
  let ops = 0;
  for (let round = 0; round < options.rounds; round++) {
    const timed = await runFor(op, options.roundMs, batch, now, cpuNow, options.signal);
    perRound.push((timed.ops * 1000) / timed.elapsed);
    if (timed.cpu > 0) perCpu.push((timed.ops * 1000) / timed.cpu);
    ops += timed.ops;
  }
  const m: Measurement = { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), perRound, ops };
  if (options.cpuNow !== undefined && perCpu.length === options.rounds) m.cpuMedian = median(perCpu);
  return m;
}
