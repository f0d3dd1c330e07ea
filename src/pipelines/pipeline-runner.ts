import type { Logger } from "../log/logger.ts";
import type { Clock } from "../runtime/runtime.ts";
import { outputTopic, sensorOf, type PipelineSpec } from "./pipeline-config.ts";
import { parseReading, type MalformedReason } from "./reading.ts";
import { DEFAULT_MAX_READINGS, SlidingWindows, type Window } from "./windows.ts";

/** Scores `count` windows of `width` readings each, laid out row by row in `windows`: one score per window. */
export type ScoreWindows = (windows: Float32Array, count: number, width: number) => Promise<ArrayLike<number>>;

/** What a runner needs: the pipeline, how to score, how to publish, a clock and a log. */
export interface PipelineRunnerOptions {
  spec: PipelineSpec;
  score: ScoreWindows;
  /** Publishes a plain payload (results at QoS 0, alerts at QoS 1). */
  publish: (topic: string, payload: Uint8Array, qos: 0 | 1) => Promise<void>;
  clock: Pick<Clock, "now">;
  log: Logger;
  /** Most windows scored in one model run (default 256). */
  maxBatch?: number;
  /** Most full windows waiting to be scored; older ones are dropped beyond it (default 10,000). */
  maxPending?: number;
  /** Most readings in the windows waiting to be scored (default 2^21, 8 MiB of float32); caps `maxPending` at this / size. */
  maxPendingReadings?: number;
  /** Most source topics with a window open (default 10,000); beyond it the least recently seen is evicted. */
  maxSources?: number;
  /** Most readings buffered over all sources (default 2^21, 24 MiB); caps the sources at this / size. */
  maxReadings?: number;
  /** A source that sent nothing for this long is evicted (default one day). */
  idleMs?: number;
}

/** A runner's counters (status shows them). */
export interface PipelineCounters {
  readings: number;
  windows: number;
  results: number;
  alerts: number;
  /** Scoring runs (each scores up to `maxBatch` windows). */
  batches: number;
  /** Skipped readings by reason. */
  malformed: Record<MalformedReason, number>;
  /** Sources whose partial windows were forgotten: to make room for a new source, or idle too long. */
  evicted: { full: number; idle: number };
  /** Windows dropped: the backlog was full, or the model run or the publish failed. */
  dropped: { backlog: number; model: number; publish: number };
}

/** The JSON published for each scored window, on the results topic (and the alerts topic when `anomaly`). */
export interface WindowResult {
  pipeline: string;
  sensor: string;
  topic: string;
  /** The model's score; null when it was not a finite number (JSON has no NaN). */
  score: number | null;
  threshold: number;
  anomaly: boolean;
  window: { start: number; end: number; count: number };
  /** When the score was published, ms since the epoch. */
  at: number;
}

const encoder = new TextEncoder();

/**
 * One sensor pipeline running on this agent: parses each reading (counting and skipping bad ones
 * by reason), keeps a window per source topic, scores full windows in batches (everything that
 * filled while the previous batch ran goes into the next model run, so a busy pipeline runs the
 * model less often on more windows and an idle one scores each window at once), and publishes a
 * `WindowResult` per window, plus the same JSON as an alert when the score is above the threshold.
 * Reading payloads are never logged.
 */
export class PipelineRunner {
  readonly spec: PipelineSpec;
  readonly counters: PipelineCounters = {
    readings: 0,
    windows: 0,
    results: 0,
    alerts: 0,
    batches: 0,
    malformed: { too_large: 0, not_json_or_cbor: 0, no_field: 0, not_a_number: 0 },
    evicted: { full: 0, idle: 0 },
    dropped: { backlog: 0, model: 0, publish: 0 },
  };
  readonly #o: PipelineRunnerOptions;
  readonly #windows: SlidingWindows;
  #pending: Window[] = [];
  #running: Promise<void> | null = null;
  #stopped = false;
  #lastError = "";
  readonly #maxPending: number;

  constructor(options: PipelineRunnerOptions) {
    this.#o = options;
    this.spec = options.spec;
    const { size, step } = options.spec.window;
    this.#windows = new SlidingWindows({
      size,
      step,
      ...(options.maxSources ? { maxSources: options.maxSources } : {}),
      ...(options.maxReadings ? { maxReadings: options.maxReadings } : {}),
      ...(options.idleMs ? { idleMs: options.idleMs } : {}),
      onEvict: (_topic, reason) => void this.counters.evicted[reason]++,
    });
    this.#maxPending = Math.max(1, Math.min(options.maxPending ?? 10_000, Math.floor((options.maxPendingReadings ?? DEFAULT_MAX_READINGS) / size)));
  }

  /** Source topics with a window open. */
  get sources(): number {
    return this.#windows.sources;
  }

  /** Windows waiting to be scored. */
  get backlog(): number {
    return this.#pending.length;
  }

  /** Takes one reading that arrived on `topic`. Never throws. */
  accept(topic: string, payload: Uint8Array): void {
    if (this.#stopped) return;
    this.counters.readings++;
    const reading = parseReading(payload, this.spec.field);
    if (!reading.ok) {
      this.counters.malformed[reading.reason]++;
      return;
    }
    const window = this.#windows.push(topic, reading.value, this.#o.clock.now());
    if (window === null) return;
    this.counters.windows++;
    this.#pending.push(window);
    const max = this.#maxPending;
    if (this.#pending.length > max) this.counters.dropped.backlog += this.#pending.splice(0, this.#pending.length - max).length;
    this.#running ??= this.#drain();
  }

  /** Stops taking readings, waits for the batch being scored, and forgets every window. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = [];
    await this.#running;
    this.#windows.clear();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#stopped) {
        const batch = this.#pending.splice(0, this.#o.maxBatch ?? 256);
        await this.#scoreBatch(batch);
      }
    } finally {
      this.#running = null;
    }
  }

  async #scoreBatch(batch: Window[]): Promise<void> {
    const width = this.spec.window.size;
    const rows = new Float32Array(batch.length * width);
    batch.forEach((w, i) => rows.set(w.values, i * width));
    let scores: ArrayLike<number>;
    try {
      this.counters.batches++;
      scores = await this.#o.score(rows, batch.length, width);
      if (scores.length !== batch.length) throw new Error(`the model returned ${scores.length} scores for ${batch.length} windows`);
    } catch (error) {
      this.counters.dropped.model += batch.length;
      this.#warnOnce("pipeline.model_failed", (error as Error).message);
      return;
    }
    const sends: Promise<void>[] = [];
    for (let i = 0; i < batch.length; i++) sends.push(this.#publish(batch[i]!, Number(scores[i])));
    await Promise.all(sends);
  }

  async #publish(window: Window, score: number): Promise<void> {
    const { spec } = this;
    const anomaly = score > spec.threshold;
    const result: WindowResult = {
      pipeline: spec.name,
      sensor: sensorOf(spec.input, window.topic),
      topic: window.topic,
      score: Number.isFinite(score) ? score : null,
      threshold: spec.threshold,
      anomaly,
      window: { start: window.start, end: window.end, count: window.values.length },
      at: this.#o.clock.now(),
    };
    const payload = encoder.encode(JSON.stringify(result));
    try {
      const sends = [this.#o.publish(outputTopic(spec.output.results, spec, window.topic), payload, 0).then(() => void this.counters.results++)];
      if (anomaly) sends.push(this.#o.publish(outputTopic(spec.output.alerts, spec, window.topic), payload, 1).then(() => void this.counters.alerts++));
      await Promise.all(sends);
    } catch (error) {
      this.counters.dropped.publish++;
      this.#warnOnce("pipeline.publish_failed", (error as Error).message);
    }
  }

  /** Logs a failure when its reason changes, not once per window. */
  #warnOnce(event: string, reason: string): void {
    if (reason === this.#lastError) return;
    this.#lastError = reason;
    this.#o.log.warn(event, { pipeline: this.spec.name, reason });
  }
}
