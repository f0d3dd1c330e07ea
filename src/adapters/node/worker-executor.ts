import { Worker } from "node:worker_threads";
import { BUILTIN_KINDS, FAULT_KINDS } from "../../tasks/kinds.ts";
import type { Executor, Job, JobResult } from "../../tasks/executor.ts";
import { INFER_KIND_NAMES, type InferWorkerOptions } from "./infer-kind.ts";

/** Settings for the worker-thread executor. */
export interface WorkerExecutorOptions {
  /** Jobs run at once (one worker thread each). */
  concurrency: number;
  /** Old-generation heap limit per worker, MB: a job past it fails with `out_of_memory`. */
  memoryMb: number;
  /** Include the test-only fault kinds. */
  faults?: boolean;
  /**
   * Run `infer` too: the models dir and inference settings, as `prepareInference` returns them
   * when onnxruntime loads here (null or absent: no inference kinds).
   */
  inference?: InferWorkerOptions | null;
  /** The worker's script; defaults to `task-worker-boot.mjs` beside this file (source) or the bundle itself. */
  script?: { url: URL; execArgv: string[] };
}

interface Slot {
  worker: Worker | null;
  busy: boolean;
}

function defaultScript(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  // From source, the worker loads TypeScript through tsx; from the bundle, it loads the bundle
  // itself, whose entry starts a task worker when `workerData.role` says so.
  return here.endsWith(".ts") ? { url: new URL("./task-worker-boot.mjs", here), execArgv: [] } : { url: new URL(here), execArgv: [] };
}

/**
 * `Executor` on `node:worker_threads`: a pool of `concurrency` long-lived workers, each with a
 * heap limit (`resourceLimits`). A job past its timeout or out of memory has its worker terminated
 * and replaced; a job that throws just reports the error. Queued jobs wait in FIFO order.
 */
export function createWorkerExecutor(options: WorkerExecutorOptions): Executor {
  const script = options.script ?? defaultScript();
  const slots: Slot[] = Array.from({ length: options.concurrency }, () => ({ worker: null, busy: false }));
  const waiting: Array<() => void> = [];
  let nextId = 1;
  let closed = false;
  const spawn = () =>
    new Worker(script.url, {
      execArgv: script.execArgv,
      workerData: { role: "task-worker", faults: options.faults ?? false, inference: options.inference ?? null },
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, options.memoryMb / 8)) },
    });
  const acquire = async (): Promise<Slot> => {
    for (;;) {
      if (closed) throw new Error("executor closed");
      const free = slots.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        free.worker ??= spawn();
        return free;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const release = (slot: Slot) => {
    slot.busy = false;
    waiting.shift()?.();
  };
  const runOn = (slot: Slot, job: Job): Promise<JobResult> =>
    new Promise((resolve) => {
      const worker = slot.worker!;
      const id = nextId++;
      const started = performance.now();
      const took = () => Math.round(performance.now() - started);
      const finish = (result: JobResult, kill: boolean) => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        if (kill) {
          slot.worker = null;
          void worker.terminate();
        }
        resolve(result);
      };
      const onMessage = (m: { id: number; ok: boolean; output?: unknown; code?: string; error?: string }) => {
        if (m.id !== id) return;
        finish(m.ok ? { ok: true, output: m.output, durationMs: took() } : { ok: false, code: (m.code ?? "task_error") as Extract<JobResult, { ok: false }>["code"], error: m.error ?? "failed", durationMs: took() }, false);
      };
      const onError = (error: Error & { code?: string }) => {
        const oom = error.code === "ERR_WORKER_OUT_OF_MEMORY";
        finish({ ok: false, code: oom ? "out_of_memory" : "crashed", error: oom ? `task exceeded its ${options.memoryMb} MB memory limit` : error.message, durationMs: took() }, true);
      };
      const onExit = (code: number) => finish({ ok: false, code: "crashed", error: `task worker exited with code ${code}`, durationMs: took() }, true);
      const timer = setTimeout(() => finish({ ok: false, code: "timeout", error: `task ran past its ${job.timeoutMs} ms timeout`, durationMs: took() }, true), job.timeoutMs);
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      try {
        worker.postMessage({ id, kind: job.kind, input: job.input, params: job.params });
      } catch (error) {
        finish({ ok: false, code: "task_error", error: `task input cannot be passed to a worker: ${(error as Error).message}`, durationMs: 0 }, false);
      }
    });
  return {
    kinds: [...Object.keys({ ...BUILTIN_KINDS, ...(options.faults ? FAULT_KINDS : {}) }), ...(options.inference ? INFER_KIND_NAMES : [])],
    async run(job) {
      let slot: Slot;
      try {
        slot = await acquire();
      } catch (error) {
        // Closed while the job waited for a slot: a result like any failure, never a rejection.
        return { ok: false, code: "crashed", error: (error as Error).message, durationMs: 0 };
      }
      try {
        return await runOn(slot, job);
      } finally {
        release(slot);
      }
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w();
      await Promise.all(slots.map((s) => s.worker?.terminate()));
      for (const s of slots) s.worker = null;
    },
  };
}
