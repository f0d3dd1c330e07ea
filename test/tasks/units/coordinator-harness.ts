// A coordinator on fakes for unit tests: fake time (test/support/fake-time.ts), an in-memory
// journal folder, deterministic randomness, and a Dispatch that records every run request and
// lets the test answer for the workers.
import type { RetentionPolicy } from "../../../src/tasks/retention.ts";
import { FileNotFound, type Files } from "../../../src/runtime/runtime.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { Coordinator, type Dispatch } from "../../../src/tasks/coordinator.ts";
import { TaskJournal } from "../../../src/tasks/journal.ts";
import type { Candidate } from "../../../src/tasks/placer.ts";
import { Reputation } from "../../../src/tasks/reputation.ts";
import type { TaskOutcome } from "../../../src/tasks/task.ts";
import type { RunRequest } from "../../../src/tasks/worker-service.ts";
import { FakeTime, settle } from "../../support/fake-time.ts";

/** `Files` in memory (a map of path to bytes). */
export function memoryFiles(store = new Map<string, Uint8Array>()): Files & { store: Map<string, Uint8Array> } {
  return {
    store,
    async readFile(path) {
      const data = store.get(path);
      if (!data) throw new FileNotFound(path);
      return data.slice();
    },
    async writeFileAtomic(path, data) {
      store.set(path, data.slice());
    },
    async mkdirp() {},
    async mode(path) {
      return store.has(path) ? 0o600 : null;
    },
    async remove(path) {
      store.delete(path);
    },
    async list(dir) {
      return [...store.keys()].filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1)).sort();
    },
  };
}

/** A candidate peer as the fake dispatch offers it. */
export function peer(id: string, over: Partial<Candidate> = {}): Candidate {
  return { id, alive: true, kinds: ["echo", "sha256", "sum"], e2e: true, accepting: true, queue: 0, capacity: 4, concurrency: 1, temp: null, maxTemp: null, battery: null, power: null, speedMs: null, reputation: 0.5, eligible: true, busyUntil: 0, ...over };
}

/** One run request the coordinator sent, with where it went. */
export interface Sent {
  peer: string;
  request: RunRequest;
}

/** A coordinator wired to fakes, with helpers to answer as workers. */
export class Harness {
  readonly time: FakeTime;
  readonly files: ReturnType<typeof memoryFiles>;
  readonly reputation: Reputation;
  readonly coordinator: Coordinator;
  readonly sent: Sent[] = [];
  readonly delivered: TaskOutcome[] = [];
  /** Peers offered as candidates (the coordinator's reputation fills their score and eligibility). */
  peers: Candidate[];
  readonly gone = new Set<string>();
  /** When set, run() rejects for these peers (unreachable). */
  readonly unreachable = new Set<string>();
  /** False until start() returned: deliveries fail before, as the agent starts its node after its tasks. */
  online = false;

  constructor(options: { peers?: string[]; maxRetries?: number; time?: FakeTime; files?: ReturnType<typeof memoryFiles>; reputation?: Reputation; retention?: RetentionPolicy } = {}) {
    this.time = options.time ?? new FakeTime();
    this.files = options.files ?? memoryFiles();
    this.reputation = options.reputation ?? new Reputation();
    this.peers = (options.peers ?? ["A", "B", "C"]).map((id) => peer(id));
    let counter = 0;
    const dispatch: Dispatch = {
      run: async (to, request) => {
        this.sent.push({ peer: to, request });
        if (this.unreachable.has(to)) throw new Error("unreachable");
      },
      candidates: () => this.peers.map((c) => ({ ...c, reputation: this.reputation.score(c.id), eligible: this.reputation.eligible(c.id), alive: c.alive && !this.gone.has(c.id) })),
      gone: (id) => this.gone.has(id),
      deliver: async (_origin, outcome) => {
        // Like the mesh node, which refuses to send before it is started.
        if (!this.online) throw new Error("mesh node is not running");
        this.delivered.push(outcome);
      },
    };
    this.coordinator = new Coordinator({
      dispatch,
      journal: new TaskJournal(this.files, "/data"),
      reputation: this.reputation,
      clock: this.time,
      timers: this.time,
      random: (n) => {
        const out = new Uint8Array(n);
        new DataView(out.buffer).setUint32(n - 4, ++counter);
        return out;
      },
      log: silentLogger,
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(options.retention ? { retention: options.retention } : {}),
    });
  }

  /** Run requests for task `id`, in order. */
  runsOf(id: string): Sent[] {
    return this.sent.filter((s) => s.request.taskId === id);
  }

  /** The latest run request of task `id`. */
  last(id: string): Sent {
    const runs = this.runsOf(id);
    if (runs.length === 0) throw new Error(`task ${id} was never sent to a worker`);
    return runs[runs.length - 1]!;
  }

  /** Answers `sent` as its worker would: a result (default: the right sha256-ish output). */
  async result(sent: Sent, output: unknown = `out:${sent.request.taskId}`, from = sent.peer): Promise<void> {
    this.coordinator.onReply(from, { type: "task.result", body: { attempt: sent.request.attempt, ok: true, output, durationMs: 5 } });
    await settle();
  }

  /** Answers `sent` with `task.busy`. */
  async busy(sent: Sent): Promise<void> {
    this.coordinator.onReply(sent.peer, { type: "task.busy", body: { attempt: sent.request.attempt, queue: 5 } });
    await settle();
  }

  /** Answers `sent` with a failed result of `code`. */
  async failure(sent: Sent, code: string, error = "it failed"): Promise<void> {
    this.coordinator.onReply(sent.peer, { type: "task.result", body: { attempt: sent.request.attempt, ok: false, code, error, durationMs: 5 } });
    await settle();
  }

  /** Starts the coordinator (resuming its journal). */
  async start(): Promise<void> {
    await this.coordinator.start();
    this.online = true;
    await settle();
  }

  stop(): void {
    this.coordinator.stop();
  }
}
