import type { Logger } from "../log/logger.ts";
import type { MeshNode } from "../mesh/mesh-node.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { Coordinator } from "./coordinator.ts";
import type { Executor } from "./executor.ts";
import { TaskJournal } from "./journal.ts";
import type { Candidate } from "./placer.ts";
import { Reputation, type PeerRecord } from "./reputation.ts";
import type { TaskOutcome, TaskSpec } from "./task.ts";
import type { RetentionPolicy } from "./retention.ts";
import { WorkerService, type RunReply, type RunRequest, type WorkerFaults } from "./worker-service.ts";

/** What a peer advertises about tasks in its presence `caps`. */
export interface TaskCaps {
  kinds: string[];
  concurrency: number;
  capacity: number;
  e2e: boolean;
  accepting: boolean;
  power: { idleWatts: number; busyWatts: number } | null;
  /** Watts the board measures now (power rails), where it reports them; null otherwise. */
  measuredWatts: number | null;
  /** The device's battery, null on mains power. */
  battery: { percent: number; charging: boolean } | null;
  maxTemp: number | null;
}

/** Task settings for one agent. */
export interface TaskServiceOptions {
  runtime: Runtime;
  node: MeshNode;
  dataDir: string;
  log: Logger;
  /** The isolated executor; null when this agent runs no tasks (it still coordinates). */
  executor: Executor | null;
  concurrency: number;
  /** Tasks allowed to wait beyond the running ones (default 4 × concurrency). */
  capacity?: number;
  power?: { idleWatts: number; busyWatts: number } | null;
  /** Measured board power, watts, when the device reports it. */
  measuredWatts?: () => number | null;
  /** The device's battery now, null on mains power. */
  battery?: () => { percent: number; charging: boolean } | null;
  maxTemp?: number | null;
  accepting?: () => boolean;
  faults?: WorkerFaults;
  /** How long task inputs and outputs are kept after use (default: dropped at once). */
  retention?: RetentionPolicy;
}

const REPUTATION_FILE = "reputation.json";

/**
 * Tasks on one agent: the worker (queue + executor) and the coordinator, wired to the mesh. Message
 * types (direct, signed, encrypted for private tasks): `task.run` coordinator → worker;
 * `task.busy` and `task.result` worker → coordinator; `task.submit` any member → a coordinator,
 * answered by `task.done`. This agent is a placement candidate for itself without a round trip.
 */
export class TaskService {
  readonly coordinator: Coordinator;
  readonly worker: WorkerService | null;
  readonly reputation: Reputation;
  readonly #o: TaskServiceOptions;
  readonly #remote = new Map<string, (o: TaskOutcome) => void>();
  #saveTimer: unknown = null;

  private constructor(o: TaskServiceOptions, reputation: Reputation) {
    this.#o = o;
    this.reputation = reputation;
    const capacity = o.capacity ?? 4 * o.concurrency;
    this.worker = o.executor
      ? new WorkerService({ executor: o.executor, concurrency: o.concurrency, capacity, log: o.log, ...(o.accepting ? { accepting: o.accepting } : {}), ...(o.faults ? { faults: o.faults } : {}) })
      : null;
    const node = o.node;
    this.coordinator = new Coordinator({
      dispatch: {
        run: (peer, request, privateTask) => this.#run(peer, request, privateTask),
        candidates: () => this.#candidates(),
        gone: (peer) => peer !== node.id && (node.peers.get(peer)?.health ?? "gone") === "gone",
        deliver: (origin, outcome) => node.send(origin, "task.done", { outcome }, { taskId: outcome.id }),
      },
      journal: new TaskJournal(o.runtime.files, o.dataDir),
      reputation,
      clock: o.runtime.clock,
      timers: o.runtime.timers,
      random: o.runtime.random,
      log: o.log,
      onReputation: () => this.#saveReputationSoon(),
      ...(o.retention ? { retention: o.retention } : {}),
    });
    node.handle("task.run", (m) => {
      if (!this.worker) return;
      this.worker.accept(m.body as RunRequest, (reply) => void node.send(m.senderId, reply.type, reply.body, { taskId: m.taskId, private: m.encrypted }).catch(() => {}));
    });
    for (const type of ["task.busy", "task.result"] as const) node.handle(type, (m) => this.coordinator.onReply(m.senderId, { type, body: m.body } as RunReply));
    node.handle("task.submit", async (m) => {
      const spec = (m.body as { spec?: Partial<TaskSpec> & { kind: string } } | null)?.spec;
      if (!spec) return;
      try {
        const id = await this.coordinator.submit(spec, m.senderId);
        // A new task is answered when it finishes. A known ID is not run again, but whoever asks
        // gets its outcome (now, or when it comes) unless that is already bound for them.
        const view = this.coordinator.view(id);
        if (!view || view.origin !== m.senderId || view.outcome !== null) {
          void this.coordinator
            .wait(id)
            .then((outcome) => node.send(m.senderId, "task.done", { outcome }, { taskId: id }))
            .catch(() => {}); // the requester left: it asks again when it is back
        }
      } catch (error) {
        const id = typeof spec.id === "string" ? spec.id : "";
        await node.send(m.senderId, "task.done", { outcome: { id, state: "failed", reason: "cancelled", detail: (error as Error).message } });
      }
    });
    node.handle("task.done", (m) => {
      const outcome = (m.body as { outcome?: TaskOutcome } | null)?.outcome;
      if (outcome && typeof outcome.id === "string") this.#remote.get(outcome.id)?.(outcome);
    });
  }

  /** Loads reputation from the data dir and resumes journaled tasks. */
  static async start(options: TaskServiceOptions): Promise<TaskService> {
    let records: Record<string, PeerRecord> = {};
    try {
      records = JSON.parse(new TextDecoder().decode(await options.runtime.files.readFile(`${options.dataDir}/${REPUTATION_FILE}`)));
    } catch {
      // first start, or an unreadable file: start from neutral
    }
    const service = new TaskService(options, new Reputation({ records }));
    await service.coordinator.start();
    return service;
  }

  /** What this agent advertises in presence. */
  caps(): TaskCaps {
    return {
      kinds: [...(this.worker?.kinds ?? [])],
      concurrency: this.worker?.concurrency ?? 0,
      capacity: this.worker?.capacity ?? 0,
      e2e: true,
      accepting: this.#o.accepting?.() ?? true,
      power: this.#o.power ?? null,
      measuredWatts: this.#o.measuredWatts?.() ?? null,
      battery: this.#o.battery?.() ?? null,
      maxTemp: this.#o.maxTemp ?? null,
    };
  }

  /**
   * Relative sizes for splitting a task of `kind`: one weight per live peer that runs it, its
   * concurrency scaled by its learned speed (faster peers get bigger parts).
   */
  splitWeights(kind: string): number[] {
    const capable = this.#candidates().filter((c) => c.alive && c.accepting && c.eligible && c.kinds.includes(kind));
    const speeds = capable.map((c) => this.coordinator.speed(c.id, kind));
    const known = speeds.filter((s): s is number => s !== null);
    const fastest = known.length ? Math.min(...known) : null;
    return capable.map((c, i) => c.concurrency * (speeds[i] == null || fastest === null ? 1 : fastest / Math.max(1, speeds[i]!)));
  }

  /** Tasks waiting in this agent's queue (for heartbeats). */
  queueLength(): number {
    return this.worker?.queue.length ?? 0;
  }

  /** Submits `spec` to the coordinator on agent `coordinator` over the mesh and waits for its outcome. */
  async submitRemote(coordinator: string, spec: Partial<TaskSpec> & { kind: string; id: string }): Promise<TaskOutcome> {
    const done = new Promise<TaskOutcome>((resolve) => this.#remote.set(spec.id, resolve));
    await this.#o.node.send(coordinator, "task.submit", { spec }, { taskId: spec.id });
    try {
      return await done;
    } finally {
      this.#remote.delete(spec.id);
    }
  }

  /** Stops coordinating and running; journaled tasks resume at the next start. */
  async stop(): Promise<void> {
    this.coordinator.stop();
    if (this.#saveTimer !== null) this.#o.runtime.timers.clearTimeout(this.#saveTimer);
    await this.#saveReputation();
    this.worker?.stop(); // work cut short by the close below is handed back as busy, not failed
    await this.#o.executor?.close();
  }

  #run(peer: string, request: RunRequest, privateTask: boolean): Promise<void> {
    const node = this.#o.node;
    if (peer === node.id) {
      if (!this.worker) return Promise.reject(new Error("this agent runs no tasks"));
      this.worker.accept(request, (reply) => this.coordinator.onReply(node.id, reply));
      return Promise.resolve();
    }
    return node.send(peer, "task.run", request, { taskId: request.taskId, private: privateTask, timeoutMs: request.timeoutMs + 10_000 });
  }

  #candidates(): Candidate[] {
    const node = this.#o.node;
    const out: Candidate[] = [];
    const base = (id: string, caps: Partial<TaskCaps> | undefined, alive: boolean, queue: number, temp: number | null): Candidate => ({
      id,
      alive,
      kinds: Array.isArray(caps?.kinds) ? caps!.kinds : [],
      e2e: caps?.e2e !== false,
      accepting: caps?.accepting !== false,
      queue,
      capacity: Number(caps?.capacity ?? 0),
      concurrency: Math.max(1, Number(caps?.concurrency ?? 1)),
      temp,
      maxTemp: caps?.maxTemp ?? null,
      battery: caps?.battery && typeof caps.battery.percent === "number" ? { percent: caps.battery.percent, charging: caps.battery.charging === true } : null,
      // Measured watts, where the board reports them, stand in for the profile's busy figure.
      power: typeof caps?.measuredWatts === "number" && caps.power ? { ...caps.power, busyWatts: Math.max(caps.measuredWatts, caps.power.idleWatts) } : caps?.power ?? null,
      speedMs: null,
      reputation: this.reputation.score(id),
      eligible: this.reputation.eligible(id),
      busyUntil: 0,
    });
    if (this.worker) out.push(base(node.id, this.caps(), true, this.worker.queue.length, null));
    for (const p of node.peers.live()) {
      out.push(base(p.id, p.presence.caps as Partial<TaskCaps>, p.health === "alive", p.resources?.queue ?? 0, p.resources?.temp ?? null));
    }
    return out;
  }

  #saveReputationSoon(): void {
    if (this.#saveTimer !== null) return;
    this.#saveTimer = this.#o.runtime.timers.setTimeout(() => {
      this.#saveTimer = null;
      void this.#saveReputation();
    }, 1_000);
  }

  async #saveReputation(): Promise<void> {
    const json = JSON.stringify(this.reputation.snapshot());
    await this.#o.runtime.files.writeFileAtomic(`${this.#o.dataDir}/${REPUTATION_FILE}`, new TextEncoder().encode(json), 0o600).catch((e: Error) => this.#o.log.warn("reputation.save_failed", { reason: e.message }));
  }
}
