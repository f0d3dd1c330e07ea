import type { ServiceKind } from "../services/service.ts";
import { kindErrorCode, type Executor, type Job, type JobResult } from "./executor.ts";

/**
 * One executor over two: `local` kinds (services' kinds, run on the main thread, where their state
 * lives) and every other kind on `base` (the isolated worker threads), or `unknown_kind` when
 * there is no base. A local kind past its job's timeout fails with `timeout` (its promise is left
 * to settle on its own); its errors become codes as a worker's do (`kindErrorCode`).
 */
export function routedExecutor(base: Executor | null, local: Readonly<Record<string, ServiceKind>>, timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void }, now: () => number): Executor {
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
      if (base) return base.run(job);
      return Promise.resolve({ ok: false, code: "unknown_kind", error: `this agent has no task kind ${JSON.stringify(job.kind)}`, durationMs: 0 });
    },
    close: async () => {
      await base?.close();
    },
  };
}
