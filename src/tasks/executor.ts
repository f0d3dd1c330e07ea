/** One job for an executor. */
export interface Job {
  kind: string;
  input: unknown;
  params: Record<string, unknown>;
  /** The job is stopped and fails with `timeout` after this long, ms. */
  timeoutMs: number;
}

/**
 * Stable codes a task kind's own errors may carry: a kind that throws an Error whose `code` is one
 * of these fails with that code instead of `task_error` (the inference codes of
 * src/inference/inference-error.ts). Any other throw is `task_error`.
 */
export const KIND_ERROR_CODES = ["bad_input", "inference_unavailable", "model_not_found", "model_corrupt", "model_invalid", "inference_failed", "blob_not_found", "blob_corrupt", "blob_too_large", "storage_full"] as const;

/** One of `KIND_ERROR_CODES`. */
export type KindErrorCode = (typeof KIND_ERROR_CODES)[number];

/** The failure code for an error a kind threw: its `code` when that is a `KindErrorCode`, else `task_error`. */
export function kindErrorCode(error: unknown): KindErrorCode | "task_error" {
  const code = (error as { code?: unknown } | null)?.code;
  return (KIND_ERROR_CODES as readonly unknown[]).includes(code) ? (code as KindErrorCode) : "task_error";
}

/** How a job ended. Failures never throw: they are results with a stable code. */
export type JobResult =
  | { ok: true; output: unknown; durationMs: number }
  | { ok: false; code: "task_error" | "timeout" | "out_of_memory" | "crashed" | "unknown_kind" | KindErrorCode; error: string; durationMs: number };

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
