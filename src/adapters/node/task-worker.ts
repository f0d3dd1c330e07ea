import { parentPort, workerData } from "node:worker_threads";
import { BUILTIN_KINDS, FAULT_KINDS, type KindFn } from "../../tasks/kinds.ts";
import { kindErrorCode } from "../../tasks/executor.ts";
import { createLogger } from "../../log/logger.ts";
import { inferKinds, type InferWorkerOptions } from "./infer-kind.ts";

/**
 * The body of one task worker thread: receives `{id, kind, input, params}`, runs the kind, and
 * answers `{id, ok, output}` or `{id, ok: false, code, error}`. Started by the worker executor;
 * `workerData.faults` adds the test-only fault kinds, `workerData.inference` (models dir and
 * inference settings) the onnxruntime kinds, which import onnxruntime on their first task.
 */
export function runTaskWorker(): void {
  const data = workerData as { faults?: boolean; inference?: InferWorkerOptions | null } | null;
  // Warnings from inside the thread (an execution provider falling back) go to stderr as JSON lines.
  const log = createLogger({ level: "warn", json: true, write: (line) => process.stderr.write(`${line}\n`) }, { thread: "task-worker" });
  const kinds: Record<string, KindFn> = { ...BUILTIN_KINDS, ...(data?.faults ? FAULT_KINDS : {}), ...(data?.inference ? inferKinds(data.inference, log) : {}) };
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
      parentPort!.postMessage({ id: job.id, ok: false, code: kindErrorCode(error), error: error instanceof Error ? error.message : String(error) });
    }
  });
}
