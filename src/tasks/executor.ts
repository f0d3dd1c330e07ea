/** One job for an executor. */
export interface Job {
  kind: string;
  input: unknown;
  params: Record<string, unknown>;
  /** The job is stopped and fails with `timeout` after this long, ms. */
  timeoutMs: number;
}

/** How a job ended. Failures never throw: they are results with a stable code. */
export type JobResult =
  | { ok: true; output: unknown; durationMs: number }
  | { ok: false; code: "task_error" | "timeout" | "out_of_memory" | "crashed" | "unknown_kind"; error: string; durationMs: number };

/**
 * Runs task code in isolation, at most `concurrency` jobs at a time; jobs beyond that wait inside
 * the executor. A job that throws, hangs or exhausts its memory fails alone; the agent stays up.
 * Filled by `src/adapters/node/worker-executor.ts` (worker threads).
 */
export interface Executor {
  /** Kinds this executor can run. */
  readonly kinds: readonly string[];
  run(job: Job): Promise<JobResult>;
  /** Stops every worker; running jobs fail with `crashed`. */
  close(): Promise<void>;
}
