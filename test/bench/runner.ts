import { measure, type Measurement, type Operation, type Timing } from "./harness.ts";
import type { Commit, Machine } from "./machine.ts";
import { formatRate } from "./report.ts";

/**
 * The benchmark runner. A benchmark module exports a {@link BenchSuite}; `run.ts` lists the suites
 * and hands them to {@link runSuites}, which runs them one after another and collects their rows
 * and aims into a {@link RunReport} that `report.ts` turns into markdown. Adding a benchmark
 * (MQTT against raw aedes, ONNX against raw onnxruntime, task throughput) means writing one more
 * suite module and adding it to the list; nothing here changes.
 */

/** What a row's figure counts: operations per second (the default), milliseconds or megabytes. */
export type Unit = "/s" | "ms" | "MB";

/** One line of a results table. */
export interface Row {
  /** Unique within its suite, e.g. `verify (node)`. */
  name: string;
  /** Median operations per second; for a row with another `unit`, its median figure in that unit. */
  opsPerSec: number;
  /** What `opsPerSec`, `min` and `max` hold; default `/s`. A ratio divides figures of one unit. */
  unit?: Unit;
  /** Median operations per second of CPU time used by the process, when the run measures it. */
  opsPerCpuSec?: number;
  /** Slowest and fastest round (or run), in the row's unit, when measured more than once. */
  min?: number;
  max?: number;
  /** The row in the same suite this one is compared with, e.g. `verify (noble)`. */
  baseline?: string;
  /** `opsPerSec / baseline's opsPerSec`; filled in by the runner when a baseline is named. */
  ratio?: number;
  /** A short remark shown beside the figures. */
  note?: string;
}

/** What a suite gets while it runs. */
export interface Bench {
  /** Warm-up and round lengths for this run. */
  readonly timing: Readonly<Timing>;
  /** True for `--quick` runs: suites should also shrink their fixtures (pre-built messages...). */
  readonly quick: boolean;
  readonly signal?: AbortSignal;
  /** Measures `op` with this run's timing and records the row; see `measure` in `harness.ts`. */
  measure(name: string, op: Operation, options?: { baseline?: string; note?: string }): Promise<Row>;
  /** Records a row measured some other way (e.g. messages counted at a broker). */
  record(row: Row): void;
  /** Adds a remark printed under the suite's table (e.g. why a row is missing). */
  note(text: string): void;
  /** Progress line for the console. */
  log(line: string): void;
}

/** The rows of a whole run, for aims to look up. */
export interface Results {
  /** The row `name` of suite `suiteId`, or undefined when it was not measured. */
  row(suiteId: string, name: string): Row | undefined;
}

/** A target the project has set, checked against this run's figures. */
export interface Aim {
  /** The aim as the issue states it. */
  statement: string;
  /** The figure that decides it, as text (e.g. `7,812 /s`), and whether the aim is met. */
  evaluate(results: Results): { measured: string; met: boolean };
}

/** One group of benchmarks with its own table in the report. */
export interface BenchSuite {
  /** Stable identifier, used by aims to find rows, e.g. `envelope`. */
  readonly id: string;
  /** Heading in the report. */
  readonly title: string;
  /** One paragraph under the heading: what is measured and how. */
  readonly about: string;
  /** Aims decided by this suite's rows. */
  readonly aims?: readonly Aim[];
  /** Sets up, measures (through `bench`), and tears down everything it set up. */
  run(bench: Bench): Promise<void>;
}

/** One suite's outcome. */
export interface SuiteResult {
  id: string;
  title: string;
  about: string;
  rows: Row[];
  notes: string[];
  /** Set when the suite threw; the rows measured before that are kept. */
  error?: string;
}

/** Everything the report is made from. */
export interface RunReport {
  /** When the run started. */
  startedAt: Date;
  /** Wall-clock duration of the whole run, ms. */
  durationMs: number;
  machine: Machine;
  commit?: Commit;
  timing: Readonly<Timing>;
  quick: boolean;
  suites: SuiteResult[];
  aims: { statement: string; measured: string; met: boolean }[];
}

/** What {@link runSuites} takes. */
export interface RunOptions {
  timing: Readonly<Timing>;
  quick?: boolean;
  machine: Machine;
  commit?: Commit;
  signal?: AbortSignal;
  /** Progress output; default: none. */
  log?: (line: string) => void;
  /** CPU time used by this process, ms; when given, rows also get `opsPerCpuSec`. */
  cpuNow?: () => number;
  /** Wall clock for the report's date and duration; default `Date.now`. */
  now?: () => number;
}

function fillRatios(rows: Row[]): void {
  for (const row of rows) {
    if (row.baseline === undefined || row.ratio !== undefined) continue;
    const base = rows.find((r) => r.name === row.baseline);
    const sameUnit = (base?.unit ?? "/s") === (row.unit ?? "/s");
    if (base !== undefined && sameUnit && base.opsPerSec > 0) row.ratio = row.opsPerSec / base.opsPerSec;
  }
}

function evaluate(aim: Aim, results: Results): { measured: string; met: boolean } {
  try {
    return aim.evaluate(results);
  } catch (error) {
    return { measured: `could not be evaluated: ${error instanceof Error ? error.message : String(error)}`, met: false };
  }
}

function rowFrom(name: string, m: Measurement, options: { baseline?: string; note?: string }): Row {
  const cpu = m.cpuMedian !== undefined ? { opsPerCpuSec: m.cpuMedian } : {};
  return { name, opsPerSec: m.median, ...cpu, min: m.min, max: m.max, ...options };
}

/**
 * Runs `suites` one after another on the calling thread, never two at once, and returns the
 * report: every suite's rows with ratios to their baselines filled in, and every aim evaluated
 * against the rows of the whole run. A suite that throws is recorded with its error and the run
 * goes on with the next one; an abort through `options.signal` ends the run with the signal's
 * reason.
 */
export async function runSuites(suites: readonly BenchSuite[], options: RunOptions): Promise<RunReport> {
  const ids = new Set<string>();
  for (const suite of suites) {
    if (ids.has(suite.id)) throw new RangeError(`suite id ${JSON.stringify(suite.id)} is used twice`);
    ids.add(suite.id);
  }
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const started = now();
  const results: SuiteResult[] = [];
  for (const suite of suites) {
    options.signal?.throwIfAborted();
    const result: SuiteResult = { id: suite.id, title: suite.title, about: suite.about, rows: [], notes: [] };
    results.push(result);
    const record = (row: Row) => {
      if (result.rows.some((r) => r.name === row.name)) throw new RangeError(`row ${JSON.stringify(row.name)} recorded twice in ${suite.id}`);
      result.rows.push(row);
      const cpu = row.opsPerCpuSec !== undefined ? `, ${Math.round(row.opsPerCpuSec).toLocaleString("en-US")} per CPU-s` : "";
      const figure = (row.unit ?? "/s") === "/s" ? Math.round(row.opsPerSec).toLocaleString("en-US") : formatRate(row.opsPerSec);
      log(`  ${row.name}: ${figure} ${row.unit ?? "/s"}${cpu}`);
    };
    const bench: Bench = {
      timing: options.timing,
      quick: options.quick ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      async measure(name, op, rowOptions = {}) {
        const m = await measure(op, {
          ...options.timing,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.cpuNow ? { cpuNow: options.cpuNow } : {}),
        });
        const row = rowFrom(name, m, rowOptions);
        record(row);
        return row;
      },
      record,
      note: (text) => void result.notes.push(text),
      log,
    };
    log(`${suite.title}`);
    try {
      await suite.run(bench);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      result.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      log(`  suite ${suite.id} failed: ${result.error}`);
    }
    fillRatios(result.rows);
  }
  const lookup: Results = { row: (id, name) => results.find((s) => s.id === id)?.rows.find((r) => r.name === name) };
  const aims = suites.flatMap((s) => s.aims ?? []).map((aim) => ({ statement: aim.statement, ...evaluate(aim, lookup) }));
  return {
    startedAt: new Date(started),
    durationMs: now() - started,
    machine: options.machine,
    ...(options.commit ? { commit: options.commit } : {}),
    timing: options.timing,
    quick: options.quick ?? false,
    suites: results,
    aims,
  };
}
