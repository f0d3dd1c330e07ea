import type { ServiceKind } from "../services/service.ts";
import { kindErrorCode, type Executor, type Job, type JobResult } from "./executor.ts";

/** Options of `routedExecutor`. */
export interface RoutedExecutorOptions {
  /**
   * Called when a base (worker-thread) job fails with `model_not_found` or `model_corrupt` and
   * names its model by hash (`job.input.model` or `job.params.model`): should fetch that model
   * (from the storage peers) into the model store and resolve true, so the job runs again once;
   * false (or a throw) leaves the failure as it was.
   */
  missingModel?: (hash: string) => Promise<boolean>;
}

const MODEL_HASH = /^[0-9a-f]{64}$/;

/** The model hash a job names (`input.model`, else `params.model`), or null. */
export function jobModelHash(job: Job): string | null {
  const fromInput = (job.input as { model?: unknown } | null)?.model;
  for (const m of [fromInput, job.params.model]) if (typeof m === "string" && MODEL_HASH.test(m)) return m;
  return null;
}

/**
 * One executor over two: `local` kinds (services' kinds, run on the main thread, where their state
 * lives) and every other kind on `base` (the isolated worker threads), or `unknown_kind` when
 * there is no base. A local kind past its job's timeout fails with `timeout` (its promise is left
 * to settle on its own); its errors become codes as a worker's do (`kindErrorCode`). With
 * `options.missingModel`, a base job that failed for lack of an intact model is run again once
 * after the model was fetched.
 */
export function routedExecutor(base: Executor | null, local: Readonly<Record<string, ServiceKind>>, timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void }, now: () => number, options: RoutedExecutorOptions = {}): Executor {
  const runBase = async (b: Executor, job: Job): Promise<JobResult> => {
    const first = await b.run(job);
    if (first.ok || (first.code !== "model_not_found" && first.code !== "model_corrupt") || !options.missingModel) return first;
    const hash = jobModelHash(job);
    if (hash === null || !(await options.missingModel(hash).catch(() => false))) return first;
    const again = await b.run(job);
    return again.ok ? { ...again, durationMs: again.durationMs + first.durationMs } : again;
  };
  const runLocal = async (fn: ServiceKind, job: Job): Promise<JobResult> => {
    const started = now();
    let timer: unknown = null;
    const timeout = new Promise<JobResult>((resolve) => {
      timer = timers.setTimeout(() => resolve({ ok: false, code: "timeout", error: `task ran past its ${job.timeoutMs} ms timeout`, durationMs: now() - started }), job.timeoutMs);
    });
    const run = (async (): Promise<JobResult> => {
      try {
        const output = await fn(job.input, job.params);
        return { ok: true, output, durationMs: now() - started };
      } catch (error) {
        return { ok: false, code: kindErrorCode(error), error: error instanceof Error ? error.message : String(error), durationMs: now() - started };
      }
    })();
    try {
      return await Promise.race([run, timeout]);
    } finally {
      timers.clearTimeout(timer);
    }
  };
  return {
    kinds: [...new Set([...(base?.kinds ?? []), ...Object.keys(local)])],
    run(job) {
      const fn = local[job.kind];
      if (fn) return runLocal(fn, job);
      if (base) return runBase(base, job);
      return Promise.resolve({ ok: false, code: "unknown_kind", error: `this agent has no task kind ${JSON.stringify(job.kind)}`, durationMs: 0 });
    },
    close: async () => {
      await base?.close();
    },
  };
}
