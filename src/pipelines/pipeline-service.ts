import { BUILTIN_MODELS } from "../inference/builtin-models.ts";
import { isModelHash, ModelStore, modelsDirIn } from "../inference/model-store.ts";
import type { InboundMessage } from "../mesh/transport.ts";
import type { AgentService, ServiceContext, ServiceFactory } from "../services/service.ts";
import { ownerOf, type PipelineCandidate } from "./assignment.ts";
import type { PipelineSpec } from "./pipeline-config.ts";
import { PipelineRunner, type PipelineCounters, type ScoreWindows } from "./pipeline-runner.ts";

/** What a peer advertises under `caps.pipelines`: the pipelines it can run. */
export interface PipelineCaps {
  names: string[];
}

/** One pipeline as `agent status` shows it. */
export interface PipelineStatus {
  name: string;
  input: string;
  /** Whether this agent can run it (the model is here and `infer` works). */
  runnable: boolean;
  /** The agent running it, as far as this agent can tell; null when no peer can. */
  owner: string | null;
  running: boolean;
  /** Source topics with a window open here (0 when not running here). */
  sources: number;
  backlog: number;
  /** Counters of its runs on this agent, summed over every time it ran here. */
  counters: PipelineCounters | null;
}

/** How long one scoring run may take before the batch is dropped, ms. */
const INFER_TIMEOUT_MS = 30_000;

interface Running {
  runner: PipelineRunner;
  handler: (message: InboundMessage) => void;
}

/**
 * The `pipelines` service: sensor pipelines (docs/pipelines.md). At start it makes sure each
 * configured pipeline's model is in the model store (writing the builtin ones), runs it once on a
 * window of zeros through the `infer` kind, and advertises the pipelines that passed in presence
 * (`caps.pipelines.names`). Then, every heartbeat, it works out which live peer runs each pipeline
 * (rendezvous hashing over the peers that advertise it, `ownerOf`) and starts here the pipelines
 * it owns and stops those it no longer owns; so when the owner leaves the mesh, its pipelines
 * start on the next peer within a few heartbeats (window contents are not carried over).
 */
export class PipelineService implements AgentService {
  readonly name = "pipelines";
  readonly #c: ServiceContext;
  /** Runnable here: pipeline name → model hash. */
  readonly #ready = new Map<string, string>();
  readonly #running = new Map<string, Running>();
  readonly #owners = new Map<string, string | null>();
  readonly #counters = new Map<string, PipelineCounters>();
  #timer: unknown = null;
  #preparing: Promise<void> | null = null;
  #reconciling: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(context: ServiceContext) {
    this.#c = context;
  }

  /** Names of the pipelines running on this agent now. */
  get runningHere(): string[] {
    return [...this.#running.keys()];
  }

  caps(): PipelineCaps {
    return { names: [...this.#ready.keys()] };
  }

  status(): { pipelines: PipelineStatus[] } {
    return {
      pipelines: this.#c.config.pipelines.map((spec) => {
        const running = this.#running.get(spec.name);
        return {
          name: spec.name,
          input: spec.input,
          runnable: this.#ready.has(spec.name),
          owner: this.#owners.get(spec.name) ?? null,
          running: running !== undefined,
          sources: running?.runner.sources ?? 0,
          backlog: running?.runner.backlog ?? 0,
          counters: running?.runner.counters ?? this.#counters.get(spec.name) ?? null,
        };
      }),
    };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    // In the background: loading onnxruntime in a worker takes a moment, and the agent need not wait.
    this.#preparing = this.#prepare().catch((e: Error) => this.#c.log.warn("pipelines.prepare_failed", { reason: e.message }));
    this.#timer = this.#c.runtime.timers.setInterval(() => this.#reconcileSoon(), this.#c.config.heartbeatMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) this.#c.runtime.timers.clearInterval(this.#timer);
    this.#timer = null;
    await this.#preparing;
    await this.#reconciling;
    for (const name of [...this.#running.keys()]) await this.#stopPipeline(name, "agent stopping");
  }

  async #prepare(): Promise<void> {
    const store = new ModelStore(this.#c.runtime.files, modelsDirIn(this.#c.config.dataDir));
    for (const spec of this.#c.config.pipelines) {
      if (this.#stopped) return;
      try {
        const hash = await this.#model(store, spec);
        await this.#scorer(spec, hash)(new Float32Array(spec.window.size), 1, spec.window.size);
        this.#ready.set(spec.name, hash);
      } catch (error) {
        this.#c.log.warn("pipeline.unavailable", { pipeline: spec.name, model: spec.model, reason: (error as Error).message });
      }
    }
    if (this.#ready.size === 0) return;
    this.#c.log.info("pipelines.ready", { pipelines: [...this.#ready.keys()].join(",") });
    await this.#c.node.announce().catch(() => {});
    this.#reconcileSoon();
  }

  /** The pipeline's model hash; a builtin model is written to the store first. */
  async #model(store: ModelStore, spec: PipelineSpec): Promise<string> {
    if (isModelHash(spec.model)) {
      if (!(await store.has(spec.model))) throw new Error(`model ${spec.model} is not in this agent's model store`);
      return spec.model;
    }
    const builtin = BUILTIN_MODELS[spec.model];
    if (!builtin) throw new Error(`no builtin model is named ${spec.model} (builtins: ${Object.keys(BUILTIN_MODELS).join(", ")})`);
    return store.add(builtin.make());
  }

  /** Scores windows with one `infer` job on this agent; the model's first output holds one score per window. */
  #scorer(spec: PipelineSpec, hash: string): ScoreWindows {
    return async (windows, count, width) => {
      const input = { model: hash, inputs: { window: { type: "float32", dims: [count, width], data: windows } } };
      const result = await this.#c.runLocal({ kind: "infer", input, params: {}, timeoutMs: INFER_TIMEOUT_MS });
      if (!result.ok) throw new Error(`infer failed (${result.code}): ${result.error}`);
      const first = Object.values(result.output as Record<string, { data?: unknown }>)[0];
      if (!Array.isArray(first?.data)) throw new Error(`model ${spec.model} gave no output tensor`);
      return first.data as number[];
    };
  }

  #reconcileSoon(): void {
    this.#reconciling = this.#reconciling.then(() => this.#reconcile()).catch((e: Error) => this.#c.log.warn("pipelines.reconcile_failed", { reason: e.message }));
  }

  /** Starts the pipelines this agent owns now, stops the ones it no longer owns. */
  async #reconcile(): Promise<void> {
    const { node } = this.#c;
    if (this.#stopped || !node.connection.connected) return;
    const candidates: PipelineCandidate[] = [{ id: node.id, names: [...this.#ready.keys()] }];
    for (const peer of node.peers.live()) {
      const names = (peer.presence.caps["pipelines"] as Partial<PipelineCaps> | undefined)?.names;
      if (peer.id !== node.id && Array.isArray(names)) candidates.push({ id: peer.id, names: names.filter((n) => typeof n === "string") });
    }
    for (const spec of this.#c.config.pipelines) {
      const owner = ownerOf(spec.name, candidates);
      this.#owners.set(spec.name, owner);
      const mine = owner === node.id;
      if (mine && !this.#running.has(spec.name)) await this.#startPipeline(spec);
      if (!mine && this.#running.has(spec.name)) await this.#stopPipeline(spec.name, owner ? `now on ${owner.slice(0, 8)}` : "no capable peer");
    }
  }

  async #startPipeline(spec: PipelineSpec): Promise<void> {
    const hash = this.#ready.get(spec.name)!;
    const runner = new PipelineRunner({
      spec,
      score: this.#scorer(spec, hash),
      publish: (topic, payload, qos) => this.#c.node.publishRaw(topic, payload, qos),
      clock: this.#c.runtime.clock,
      log: this.#c.log,
    });
    const previous = this.#counters.get(spec.name);
    if (previous) Object.assign(runner.counters, structuredClone(previous)); // status counts every run here
    const handler = (m: InboundMessage) => runner.accept(m.topic, m.payload);
    this.#running.set(spec.name, { runner, handler });
    this.#c.log.info("pipeline.start", { pipeline: spec.name, input: spec.input, model: hash.slice(0, 12) });
    await this.#c.node.subscribeRaw(spec.input, handler).catch((e: Error) => this.#c.log.warn("pipeline.subscribe_failed", { pipeline: spec.name, reason: e.message }));
  }

  async #stopPipeline(name: string, reason: string): Promise<void> {
    const running = this.#running.get(name);
    if (!running) return;
    this.#running.delete(name);
    await this.#c.node.unsubscribeRaw(running.runner.spec.input, running.handler);
    await running.runner.stop();
    this.#counters.set(name, structuredClone(running.runner.counters));
    this.#c.log.info("pipeline.stop", { pipeline: name, reason });
  }
}

/**
 * The factory in `src/services/registry.ts`: pipelines run on agents that run tasks with
 * inference on (`processing` role, `inference: true`) and have pipelines configured.
 */
export const pipelineService: ServiceFactory = (context) => {
  const { config } = context;
  return config.pipelines.length > 0 && config.inference && config.roles.includes("processing") ? new PipelineService(context) : null;
};
