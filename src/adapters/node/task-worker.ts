import { parentPort, workerData } from "node:worker_threads";
import { BUILTIN_KINDS, FAULT_KINDS, type KindFn } from "../../tasks/kinds.ts";

/**
 * The body of one task worker thread: receives `{id, kind, input, params}`, runs the kind, and
 * answers `{id, ok, output}` or `{id, ok: false, code, error}`. Started by the worker executor;
 * `workerData.faults` adds the test-only fault kinds.
 */
export function runTaskWorker(): void {
  const kinds: Record<string, KindFn> = { ...BUILTIN_KINDS, ...((workerData as { faults?: boolean } | null)?.faults ? FAULT_KINDS : {}) };
  parentPort!.on("message", async (job: { id: number; kind: string; input: unknown; params: Record<string, unknown> }) => {
    const fn = kinds[job.kind];
    if (!fn) {
      parentPort!.postMessage({ id: job.id, ok: false, code: "unknown_kind", error: `this agent has no task kind ${JSON.stringify(job.kind)}` });
      return;
    }
    try {
      const output = await fn(job.input, job.params);
      parentPort!.postMessage({ id: job.id, ok: true, output });
    } catch (error) {
      parentPort!.postMessage({ id: job.id, ok: false, code: "task_error", error: error instanceof Error ? error.message : String(error) });
    }
  });
}
