import { performance } from "node:perf_hooks";
import { Worker, parentPort } from "node:worker_threads";
import { prepareInference } from "../../src/adapters/node/infer-kind.ts";
import { loadOnnxRuntime, type OrtModule } from "../../src/adapters/node/onnx-runtime.ts";
import { idsTensor, VECTORIZE_MAX_TOKENS } from "../../src/adapters/node/vectorize-kind.ts";
import { BUILTIN_MODELS, mulberry32 } from "../../src/inference/builtin-models.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { InferenceSettings } from "../../src/profiles/profile.ts";
import { invite, makeOutsider, runtime, Scope } from "../support/mesh-fixtures.ts";
import { startTaskAgent } from "../support/task-agent.ts";
import { formatRate, formatRatio } from "./report.ts";
import type { Aim, Bench, BenchSuite, Results } from "./runner.ts";

const AIM_RATIO = 0.85;
/** Texts per onnxruntime run, in both the raw loop and each `vectorize` task. */
const BATCH = 64;
/** onnxruntime intra-op threads per session, raw and in the agents alike. */
const THREADS = 1;
const SETTINGS: InferenceSettings = { executionProviders: ["cpu"], intraOpThreads: THREADS, interOpThreads: 1 };
/** Batches per timed round, and rounds. */
const WORK = { full: { batches: 48, rounds: 5 }, quick: { batches: 6, rounds: 1 } };

const ROW_RAW_1 = "raw onnxruntime, 1 thread";
const ROW_RAW_2 = "raw onnxruntime, 2 threads";
const ROW_AGENTS = "vectorize tasks, 2 agents";

/** `count` texts of about 1000 characters (a default `chunk`), sentences of pseudo-random words. */
export function benchTexts(count: number, seed = 7): string[] {
  const next = mulberry32(seed);
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const words = Array.from({ length: 3000 }, () => Array.from({ length: 3 + Math.floor(next() * 8) }, () => letters[Math.floor(next() * 26)]).join(""));
  return Array.from({ length: count }, () => {
    let text = "";
    while (text.length < 900) {
      const sentence = Array.from({ length: 6 + Math.floor(next() * 10) }, () => words[Math.floor(next() * words.length)]).join(" ");
      text += `${sentence[0]!.toUpperCase()}${sentence.slice(1)}. `;
    }
    return text.slice(0, 1000);
  });
}

/** Embeds `batches` one after another with `session`, tokenizing included; returns the embeddings made. */
async function embedRaw(ort: OrtModule, session: Awaited<ReturnType<OrtModule["InferenceSession"]["create"]>>, batches: readonly string[][]): Promise<number> {
  let made = 0;
  for (const texts of batches) {
    const ids = idsTensor(texts, VECTORIZE_MAX_TOKENS);
    const out = await session.run({ ids: new ort.Tensor("int64", ids.data, ids.dims) });
    const embedding = out["embedding"]!;
    made += embedding.dims[0]!;
    embedding.dispose();
  }
  return made;
}

async function rawSession(ort: OrtModule) {
  return ort.InferenceSession.create(BUILTIN_MODELS["text-embed"]!.make(), { executionProviders: ["cpu"], intraOpNumThreads: THREADS, interOpNumThreads: 1, logSeverityLevel: 4 });
}

/**
 * The body of a raw thread (started by `rawThreads` with this module's URL): one session, then
 * for every message `{batches}` embeds them and answers `{made}`.
 */
export async function rawEmbedThread(): Promise<void> {
  const ort = await loadOnnxRuntime();
  const session = await rawSession(ort);
  parentPort!.on("message", async (m: { batches: string[][] } | "close") => {
    if (m === "close") {
      await session.release();
      parentPort!.close();
      return;
    }
    parentPort!.postMessage({ made: await embedRaw(ort, session, m.batches) });
  });
  parentPort!.postMessage({ ready: true });
}

/** `n` worker threads, each with its own session, splitting the batches between them. */
async function rawThreads(n: number): Promise<{ run(batches: string[][]): Promise<number>; close(): Promise<void> }> {
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `(async () => { const { register } = await import(${JSON.stringify(tsx)}); register(); const m = await import(${JSON.stringify(import.meta.url)}); await m.rawEmbedThread(); })().catch((e) => { throw e; });`;
  const workers = Array.from({ length: n }, () => new Worker(code, { eval: true }));
  const next = (w: Worker) =>
    new Promise<{ made?: number }>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
  await Promise.all(workers.map(next));
  return {
    async run(batches) {
      const parts = workers.map((w, i) => {
        const reply = next(w);
        w.postMessage({ batches: batches.filter((_, b) => b % n === i) });
        return reply;
      });
      return (await Promise.all(parts)).reduce((sum, r) => sum + (r.made ?? 0), 0);
    },
    async close() {
      await Promise.all(workers.map((w) => new Promise((resolve) => (w.once("exit", resolve), w.postMessage("close")))));
    },
  };
}


/** Bench agents: the test settings with slower heartbeats and one task at a time each. */
const CONFIG = { heartbeatMs: 500, concurrency: 1 };

/** A coordinator agent hosting the broker (running no tasks) and two worker agents with onnxruntime. */
async function mesh(scope: Scope): Promise<{ run(batches: string[][], round: string): Promise<number> }> {
  const owner = await makeOutsider(scope, "bench");
  const coordinator = await startTaskAgent(scope, owner.dataDir, { ...CONFIG, broker: "embedded", roles: "coordinator" }, "coordinator");
  for (let i = 0; i < 2; i++) {
    const kit = await invite(scope, owner);
    const inference = await prepareInference({ dataDir: kit.dataDir, settings: SETTINGS, log: silentLogger });
    if (!inference) throw new Error("onnxruntime does not load here");
    await startTaskAgent(scope, kit.dataDir, { ...CONFIG, broker: coordinator.hostedBroker!.url, roles: "processing" }, `worker-${i}`, { inference });
  }
  const deadline = Date.now() + 15_000;
  while (coordinator.node.peers.live().filter((p) => p.presence.roles.includes("processing")).length < 2) {
    if (Date.now() > deadline) throw new Error("workers did not join");
    await new Promise((r) => setTimeout(r, 50));
  }
  const c = coordinator.tasks.coordinator;
  return {
    async run(batches, round) {
      const ids = await Promise.all(batches.map((texts, i) => c.submit({ kind: "vectorize", input: texts, params: { batch: BATCH }, id: `${round}-${i}` })));
      let made = 0;
      for (const o of await Promise.all(ids.map((id) => c.wait(id)))) {
        if (o.state !== "done") throw new Error(`vectorize task ${o.id} failed: ${o.reason}: ${o.detail}`);
        made += (o.output as { vectors: number[][] }).vectors.length;
      }
      return made;
    },
  };
}

async function timed(fn: () => Promise<number>): Promise<number> {
  const t0 = performance.now();
  const made = await fn();
  return made / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function ratioAim(results: Results) {
  const agents = results.row("vectorize", ROW_AGENTS);
  if (agents?.ratio === undefined) return { measured: "not measured", met: false };
  return { measured: `${formatRatio(agents.ratio)} of raw onnxruntime on the same 2 threads (${formatRate(agents.opsPerSec)} vs ${formatRate(agents.opsPerSec / agents.ratio)} embeddings/s)`, met: agents.ratio >= AIM_RATIO };
}

const aims: readonly Aim[] = [{ statement: `vectorize on 2 local agents at least ${AIM_RATIO}× raw onnxruntime (same model, batch and threads)`, evaluate: ratioAim }];

/**
 * Embeddings per second, `text-embed` on texts of about 1000 characters, batches of 64,
 * onnxruntime with 1 intra-op thread per session, tokenizing included everywhere: raw onnxruntime
 * in this process on 1 thread and on 2 worker threads (one session each), and `vectorize` tasks
 * (one batch each, all submitted at once) through a coordinator agent and 2 worker agents in this
 * process, each worker running its tasks in 1 worker thread. Rounds alternate between the three, so
 * they see the same machine state.
 */
export const vectorizeSuite: BenchSuite = {
  id: "vectorize",
  title: "Embeddings: vectorize vs raw onnxruntime",
  about:
    "text-embed on texts of about 1000 characters (what chunk makes by default), 64 texts per onnxruntime run, 1 intra-op thread per session, tokenizing included everywhere. Raw: onnxruntime-node called directly in this process, on the main thread (1 thread) and on 2 worker threads with a session each (2 threads). Agents: one process holding a coordinator agent (embedded broker, runs no tasks) and 2 worker agents (concurrency 1: one task worker thread each, so 2 onnxruntime threads in all), one vectorize task per batch, all submitted at once and timed to the last outcome; every task crosses the mesh as signed CBOR both ways. The aim compares the agents with raw on the same 2 threads. Rounds alternate between the three; figures are medians.",
  aims,
  async run(bench: Bench) {
    const work = bench.quick ? WORK.quick : WORK.full;
    const texts = benchTexts(work.batches * BATCH);
    const batches = Array.from({ length: work.batches }, (_, i) => texts.slice(i * BATCH, (i + 1) * BATCH));
    const scope = new Scope();
    try {
      const ort = await loadOnnxRuntime();
      const one = await rawSession(ort);
      scope.defer(() => one.release());
      const two = await rawThreads(2);
      scope.defer(() => two.close());
      const agents = await mesh(scope);
      // Warm-up: sessions made in every thread, the JIT warm, the coordinator's speed estimates in.
      await embedRaw(ort, one, batches.slice(0, 2));
      await two.run(batches.slice(0, 4));
      await agents.run(batches.slice(0, 8), "warm");
      const rates: Record<string, number[]> = { [ROW_RAW_1]: [], [ROW_RAW_2]: [], [ROW_AGENTS]: [] };
      let busy = 0; // main-thread time (event loop utilisation × wall time) in the agents' rounds, ms
      for (let r = 0; r < work.rounds; r++) {
        bench.signal?.throwIfAborted();
        rates[ROW_RAW_1]!.push(await timed(() => embedRaw(ort, one, batches)));
        rates[ROW_RAW_2]!.push(await timed(() => two.run(batches)));
        const before = performance.eventLoopUtilization();
        rates[ROW_AGENTS]!.push(await timed(() => agents.run(batches, `r${r}`)));
        busy += performance.eventLoopUtilization(before).active;
      }
      const note = `${work.batches} batches of ${BATCH} texts, ${work.rounds} round${work.rounds > 1 ? "s" : ""}`;
      const row = (name: string, baseline?: string) => {
        const xs = rates[name]!;
        bench.record({ name, opsPerSec: median(xs), min: Math.min(...xs), max: Math.max(...xs), note, ...(baseline ? { baseline } : {}) });
      };
      row(ROW_RAW_1);
      row(ROW_RAW_2);
      row(ROW_AGENTS, ROW_RAW_2);
      bench.note(`vectorize on 2 agents vs raw onnxruntime on 1 thread: ${formatRatio(median(rates[ROW_AGENTS]!) / median(rates[ROW_RAW_1]!))}.`);
      const perTask = busy / (work.rounds * work.batches);
      const rawPerBatch = (BATCH / median(rates[ROW_RAW_1]!)) * 1000;
      bench.note(
        `Where the time goes: during the agents' rounds the process's main thread (the three agents' mesh and task machinery: signing and verifying each task's messages with its ${BATCH} texts, CBOR, the coordinator's journal writes, copies to and from the task threads) was busy ${perTask.toFixed(1)} ms per task, against ${rawPerBatch.toFixed(1)} ms for raw onnxruntime to tokenize and embed one batch on one thread. text-embed is a table lookup (the tokenizer is most of its cost), so the machinery costs ${formatRatio(perTask / rawPerBatch)} the work itself, and on 2 cores it takes CPU from the task threads; a model that does real work per text (a trained encoder) moves the ratio toward 1.`,
      );
    } finally {
      await scope.close();
    }
  },
};
