import type { Logger } from "../log/logger.ts";
import type { Executor } from "./executor.ts";
import { LocalQueue } from "./local-queue.ts";

/** A `task.run` request as a worker receives it. */
export interface RunRequest {
  attempt: string;
  taskId: string;
  kind: string;
  input: unknown;
  params: Record<string, unknown>;
  priority: number;
  timeoutMs: number;
}

/** What a worker answers: `task.busy` or `task.result`. */
export type RunReply =
  | { type: "task.busy"; body: { attempt: string; queue: number } }
  | { type: "task.result"; body: { attempt: string; ok: true; output: unknown; durationMs: number } | { attempt: string; ok: false; code: string; error: string; durationMs: number } };

/** Test-only misbehaviour, set at the composition root from the environment, never from the network. */
export interface WorkerFaults {
  /** Answer every successful task with a wrong output (for quorum tests). */
  lie?: boolean;
}

/**
 * The worker side of tasks: a bounded priority queue in front of the isolated executor. A full
 * queue (or thermal/battery limits) answers `task.busy` at once instead of queueing without bound.
 */
export class WorkerService {
  readonly queue: LocalQueue;
  readonly counters = { accepted: 0, busy: 0, succeeded: 0, failed: 0 };
  readonly #executor: Executor;
  readonly #log: Logger;
  readonly #faults: WorkerFaults;
  readonly concurrency: number;
  readonly capacity: number;
  #stopping = false;

  constructor(options: { executor: Executor; concurrency: number; capacity: number; log: Logger; accepting?: () => boolean; faults?: WorkerFaults }) {
    this.#executor = options.executor;
    this.#log = options.log;
    this.#faults = options.faults ?? {};
    this.concurrency = options.concurrency;
    this.capacity = options.capacity;
    this.queue = new LocalQueue({ concurrency: options.concurrency, capacity: options.capacity, ...(options.accepting ? { accepting: options.accepting } : {}) });
  }

  /** Task kinds this worker runs. */
  get kinds(): readonly string[] {
    return this.#executor.kinds;
  }

  /**
   * Stops taking work before the executor closes: new requests, and jobs the closing executor
   * ends as `crashed`, are answered busy, so their coordinator places them elsewhere instead of
   * failing a task that did nothing wrong.
   */
  stop(): void {
    this.#stopping = true;
  }

  /** Takes a run request; `reply` is called once with busy, or later with the result. */
  accept(request: RunRequest, reply: (answer: RunReply) => void): void {
    const busy = () => {
      this.counters.busy++;
      reply({ type: "task.busy", body: { attempt: request.attempt, queue: this.queue.length } });
    };
    if (this.#stopping) return busy();
    const queued = this.queue.offer({
      priority: request.priority,
      run: async () => {
        const result = await this.#executor.run({ kind: request.kind, input: request.input, params: request.params, timeoutMs: request.timeoutMs });
        if (!result.ok && result.code === "crashed" && this.#stopping) return busy();
        if (result.ok) {
          this.counters.succeeded++;
          const output = this.#faults.lie ? { wrong: true, was: typeof result.output } : result.output;
          reply({ type: "task.result", body: { attempt: request.attempt, ok: true, output, durationMs: result.durationMs } });
        } else {
          this.counters.failed++;
          this.#log.info("task.failed_here", { task: request.taskId, kind: request.kind, code: result.code });
          reply({ type: "task.result", body: { attempt: request.attempt, ok: false, code: result.code, error: result.error, durationMs: result.durationMs } });
        }
      },
    });
    if (queued) this.counters.accepted++;
    else busy();
  }
}
