import { toHex } from "../core/bytes.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock, Timers } from "../runtime/runtime.ts";
import type { TaskJournal, JournalEntry } from "./journal.ts";
import { place, type Candidate, type Placement } from "./placer.ts";
import { majority } from "./quorum.ts";
import type { Reputation } from "./reputation.ts";
import { normalizeSpec, type FailureReason, type TaskOutcome, type TaskSpec, type TaskState } from "./task.ts";
import type { RunReply, RunRequest } from "./worker-service.ts";
import { RetentionClock, withoutInput, withoutOutput, type Payload } from "./retention.ts";
import { failureLog, PEER_LACKS, type Attempt, type CoordinatorOptions, type Live } from "./coordinator-types.ts";

export { PEER_LACKS, type CoordinatorOptions, type Dispatch } from "./coordinator-types.ts";

/**
 * The coordinator side of tasks: takes submissions, journals them, places attempts on peers
 * (k distinct ones for a quorum), re-places attempts whose peer died, timed out or was busy (with
 * backoff and a retry limit), ignores late results, decides quorums, keeps reputation and the
 * learned speed per peer and kind, and hands each outcome to whoever asked exactly once.
 */
export class Coordinator {
  readonly #o: Required<Omit<CoordinatorOptions, "onReputation" | "retention">> & Pick<CoordinatorOptions, "onReputation" | "retention">;
  readonly #tasks = new Map<string, Live>();
  readonly #speed = new Map<string, number>(); // `${peer}/${kind}` -> EWMA ms
  readonly #attempts = new Map<string, Live>(); // attempt ID -> its task
  readonly #inflight = new Map<string, number>(); // peer -> attempts outstanding there
  readonly #finished: string[] = []; // finished task IDs, oldest first, to bound memory
  readonly #active = new Set<Live>(); // unfinished tasks
  readonly #ready: Live[][] = Array.from({ length: 10 }, () => []); // by priority: tasks wanting attempts, FIFO
  readonly counters = { submitted: 0, done: 0, failed: 0, retried: 0, late: 0, busy: 0 };
  readonly #submitting = new Map<string, Promise<string>>(); // IDs between the known-check and the journal write
  #timer: unknown = null;
  #startedAt = 0;
  /** Resumed outcomes still owed to a remote requester: sent on the first tick, once the mesh node runs. */
  #undelivered: Live[] = [];
  /** When task payloads are dropped (data minimization). */
  readonly retention: RetentionClock;

  constructor(options: CoordinatorOptions) {
    this.#o = { maxRetries: 5, defaultTimeoutMs: 30_000, ...options };
    this.retention = new RetentionClock(options.retention, (id, what) => this.#scrubLater(id, what));
  }

  /** Resumes journaled tasks without an outcome and starts the timer. */
  async start(): Promise<void> {
    if (this.#timer !== null) return;
    this.#startedAt = this.#o.clock.now();
    for (const entry of await this.#o.journal.load(this.#o.clock.now())) {
      const live = this.#live(entry);
      this.#tasks.set(entry.spec.id, live);
      if (!entry.outcome) this.#o.log.info("task.resumed", { task: entry.spec.id, kind: entry.spec.kind });
      else if (!entry.delivered && entry.origin !== "local") this.#undelivered.push(live);
      // Retention counts from when the task finished or was delivered, not from this start.
      const now = this.#o.clock.now();
      if (entry.outcome && withoutInput(entry.spec) !== entry.spec) this.#minimize(live, "input", entry.finishedAt ?? now, true);
      if (entry.outcome && entry.delivered && withoutOutput(entry.outcome) !== entry.outcome) this.#minimize(live, "output", entry.deliveredAt ?? now, true);
    }
    this.#timer = this.#o.timers.setInterval(() => this.#tick(), 100);
  }

  /** Stops the timer; pending tasks stay in the journal for the next start. */
  stop(): void {
    if (this.#timer !== null) this.#o.timers.clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Submits a task and returns its (possibly assigned) ID. A known ID is not run again. */
  async submit(raw: Partial<TaskSpec> & { kind: string }, origin = "local"): Promise<string> {
    const now = this.#o.clock.now();
    const spec = normalizeSpec(raw, now, () => toHex(this.#o.random(8)));
    if (this.#tasks.has(spec.id)) return spec.id;
    // A second submission of an ID still being journaled waits for the first instead of running it again.
    const inFlight = this.#submitting.get(spec.id);
    if (inFlight) return inFlight;
    const submitting = (async () => {
      if (await this.#o.journal.read(spec.id)) return spec.id;
      const entry: JournalEntry = { spec, origin, submittedAt: now, outcome: null, delivered: false };
      await this.#o.journal.write(entry);
      this.#tasks.set(spec.id, this.#live(entry));
      this.counters.submitted++;
      this.#o.log.info("task.submitted", { task: spec.id, kind: spec.kind, quorum: spec.quorum, priority: spec.priority });
      this.#pump();
      return spec.id;
    })();
    this.#submitting.set(spec.id, submitting);
    try {
      return await submitting;
    } finally {
      this.#submitting.delete(spec.id);
    }
  }

  /** The outcome of task `id` once finished; marks it delivered. Rejects for an unknown ID. */
  async wait(id: string): Promise<TaskOutcome> {
    let live = this.#tasks.get(id);
    if (!live) {
      const entry = await this.#o.journal.read(id);
      if (!entry) throw new TypeError(`no task ${id}`);
      live = this.#live(entry);
      this.#tasks.set(id, live);
    }
    const outcome = live.outcome ?? (await new Promise<TaskOutcome>((resolve) => live!.waiters.push(resolve)));
    if (!live.delivered && live.origin === "local") {
      live.delivered = true;
      live.deliveredAt = this.#o.clock.now();
      this.#minimize(live, "output", live.deliveredAt, false);
      // Only bookkeeping for the journal's clean-up: the outcome itself is already on disk, and a
      // second wait() returns the same outcome whether or not this write landed.
      void this.#o.journal.write(this.#entry(live)).catch(() => {});
    }
    return outcome;
  }

  /** A task's state for `agent tasks`, or undefined. */
  view(id: string) {
    const t = this.#tasks.get(id);
    if (!t) return undefined;
    return {
      id,
      kind: t.spec.kind,
      state: t.state,
      priority: t.spec.priority,
      quorum: t.spec.quorum,
      origin: t.origin,
      submittedAt: t.submittedAt,
      workers: [...t.attempts.values()].map((a) => a.peer),
      retries: t.retries,
      outcome: t.outcome ? (t.outcome.state === "done" ? { state: "done", worker: t.outcome.worker, workers: t.outcome.workers, durationMs: t.outcome.durationMs } : t.outcome) : null,
    };
  }

  /** Every task known (most recent first). */
  list() {
    return [...this.#tasks.keys()].reverse().map((id) => this.view(id)!);
  }

  /** Every placement decision made for task `id`, with each candidate's score and why it lost. */
  explain(id: string): Placement[] | undefined {
    return this.#tasks.get(id)?.placements;
  }

  /** Learned mean duration of `kind` on `peer`, ms, or null. */
  speed(peer: string, kind: string): number | null {
    return this.#speed.get(`${peer}/${kind}`) ?? null;
  }

  /** Counts by state, for status and metrics. */
  states(): Record<TaskState, number> {
    const out: Record<TaskState, number> = { submitted: 0, placed: 0, running: 0, done: 0, failed: 0 };
    for (const t of this.#tasks.values()) out[t.state]++;
    return out;
  }

  /** Handles a worker's `task.busy` or `task.result` from `peer`. */
  onReply(peer: string, reply: RunReply): void {
    const found = this.#byAttempt(reply.body.attempt);
    if (!found || found.attempt.peer !== peer) {
      this.counters.late++;
      return; // a late or unknown answer: that attempt was already given up
    }
    const { live, id } = found;
    this.#forget(live, id);
    const now = this.#o.clock.now();
    if (reply.type === "task.busy") {
      this.counters.busy++;
      live.tried.delete(peer); // may try again later
      live.busyBackoffMs = Math.min(2_000, Math.max(50, live.busyBackoffMs * 2));
      live.nextTryAt = now + live.busyBackoffMs;
      this.#busyUntil.set(peer, now + 500);
      this.#enqueue(live);
      this.#pump();
      return;
    }
    const r = reply.body;
    if (r.ok) {
      const key = `${peer}/${live.spec.kind}`;
      const prev = this.#speed.get(key);
      this.#speed.set(key, prev === undefined ? r.durationMs : 0.8 * prev + 0.2 * r.durationMs);
      live.votes.set(peer, r.output);
      this.#decide(live, peer);
      this.#pump();
      return;
    }
    if (r.code === "unknown_kind") {
      this.#reputation(peer, "failure");
      return this.#retry(live, `peer ${peer.slice(0, 8)} does not run ${live.spec.kind}`);
    }
    if ((PEER_LACKS as readonly string[]).includes(r.code)) {
      // Not the task's fault: that peer lacks the model or the runtime. Another peer may have them.
      // (The reason names the code only: it is logged, and a worker's message might quote input.)
      return this.#retry(live, `peer ${peer.slice(0, 8)}: ${r.code}`);
    }
    this.#reputation(peer, "success"); // the peer did its job; the task itself failed
    this.#finish(live, { id: live.spec.id, state: "failed", reason: "task_error", detail: `${r.code}: ${r.error}` });
    this.#pump();
  }

  readonly #busyUntil = new Map<string, number>();

  /** Placement sees busy peers through this. */
  busyUntil(peer: string): number {
    return this.#busyUntil.get(peer) ?? 0;
  }

  #decide(live: Live, lastPeer: string): void {
    const k = live.spec.quorum;
    if (k === 1) {
      this.#reputation(lastPeer, "success");
      return this.#finish(live, { id: live.spec.id, state: "done", output: live.votes.get(lastPeer), worker: lastPeer, workers: [lastPeer], durationMs: this.#o.clock.now() - live.submittedAt });
    }
    const vote = majority(live.votes, k);
    if (vote) {
      this.#o.reputation.quorum(vote.majority, vote.minority);
      this.#o.onReputation?.();
      if (vote.minority.length) this.#o.log.warn("task.quorum_disagreement", { task: live.spec.id, outvoted: vote.minority.map((p) => p.slice(0, 8)).join(",") });
      return this.#finish(live, { id: live.spec.id, state: "done", output: vote.output, worker: vote.majority[0]!, workers: vote.majority, durationMs: this.#o.clock.now() - live.submittedAt });
    }
    if (live.votes.size >= k) {
      // k answers and no majority: ask one more peer, within the retry limit.
      return this.#retry(live, "no majority yet");
    }
  }

  #retry(live: Live, why: string): void {
    // (the peer stays in live.tried, so the next attempt goes elsewhere)
    live.retries++;
    this.counters.retried++;
    if (live.retries > this.#o.maxRetries) {
      return this.#finish(live, { id: live.spec.id, state: "failed", reason: live.votes.size > 0 ? "no_majority" : "retries_exhausted", detail: `${live.retries - 1} retries; last: ${why}` });
    }
    live.nextTryAt = this.#o.clock.now() + Math.min(5_000, 100 * 2 ** (live.retries - 1));
    this.#enqueue(live);
    this.#o.log.info("task.retry", { task: live.spec.id, attempt: live.retries, reason: why });
  }

  #reputation(peer: string, outcome: "success" | "failure" | "timeout"): void {
    this.#o.reputation.record(peer, outcome);
    this.#o.onReputation?.();
  }

  #tick(): void {
    const now = this.#o.clock.now();
    this.retention.sweep(now);
    for (const live of this.#undelivered.splice(0)) void this.#deliver(live);
    for (const live of this.#active) {
      if (live.outcome) continue;
      if (now > live.spec.deadline) {
        this.#finish(live, { id: live.spec.id, state: "failed", reason: "deadline", detail: `not done by ${new Date(live.spec.deadline).toISOString()}` });
        continue;
      }
      for (const [id, a] of live.attempts) {
        const lost = this.#o.dispatch.gone(a.peer);
        if (!lost && now < a.timeoutAt) continue;
        this.#forget(live, id);
        this.#reputation(a.peer, lost ? "failure" : "timeout");
        this.#retry(live, lost ? `peer ${a.peer.slice(0, 8)} left the mesh` : `peer ${a.peer.slice(0, 8)} timed out`);
      }
    }
    this.#pump();
  }

  /** Places up to `wanted` attempts of `live`; returns how many it placed. */
  #dispatch(live: Live, wanted: number, now: number): number {
    const avoid = new Set([...live.tried, ...live.votes.keys(), ...[...live.attempts.values()].map((a) => a.peer)]);
    // A peer's queue as last reported, plus what this coordinator sent it since, so a burst of
    // placements spreads out instead of piling onto whoever looked idle in the last heartbeat.
    const candidates = this.#o.dispatch.candidates(live.spec.kind).map((c) => ({
      ...c,
      queue: Math.max(c.queue, this.#inflight.get(c.id) ?? 0),
      speedMs: this.speed(c.id, live.spec.kind),
      busyUntil: Math.max(c.busyUntil, this.busyUntil(c.id)),
    }));
    let placement = place(candidates, live.spec, wanted, avoid, now);
    if (placement.chosen.length === 0 && live.tried.size > 0) {
      // Every capable peer was tried: a retry may go back to one that failed before (never to
      // one that voted or runs this task now), rather than wait idle for the deadline.
      const again = place(candidates, live.spec, wanted, new Set([...live.votes.keys(), ...[...live.attempts.values()].map((a) => a.peer)]), now);
      if (again.chosen.length > 0) {
        live.tried.clear();
        placement = again;
      }
    }
    if (placement.chosen.length === 0) {
      if (!candidates.some((c) => c.kinds.includes(live.spec.kind))) {
        // 10 s of grace, counted from this start too: a resumed task waits for workers to reconnect.
        if (now - Math.max(live.submittedAt, this.#startedAt) > 10_000) this.#finish(live, { id: live.spec.id, state: "failed", reason: "no_capable_peer", detail: `no peer runs ${live.spec.kind}` });
      }
      return 0;
    }
    live.placements.push(placement);
    if (live.placements.length > 20) live.placements.shift();
    const timeoutMs = Number(live.spec.params.timeoutMs ?? this.#o.defaultTimeoutMs);
    for (const peer of placement.chosen) {
      const attempt = toHex(this.#o.random(8));
      live.attempts.set(attempt, { peer, timeoutAt: now + timeoutMs * 2 + 5_000 });
      this.#attempts.set(attempt, live);
      this.#inflight.set(peer, (this.#inflight.get(peer) ?? 0) + 1);
      live.tried.add(peer);
      live.state = "placed";
      const request: RunRequest = { attempt, taskId: live.spec.id, kind: live.spec.kind, input: live.spec.input, params: live.spec.params, priority: live.spec.priority, timeoutMs };
      this.#o.dispatch.run(peer, request, live.spec.private).then(
        () => {
          if (live.attempts.has(attempt) && live.state === "placed") live.state = "running";
        },
        (error: Error) => {
          if (!this.#forget(live, attempt)) return;
          this.#retry(live, `could not reach ${peer.slice(0, 8)}: ${error.message}`);
        },
      );
    }
    return placement.chosen.length;
  }

  #finish(live: Live, outcome: TaskOutcome): void {
    if (live.outcome) return;
    live.outcome = outcome;
    live.state = outcome.state;
    live.votes.clear(); // the other peers' outputs
    live.finishedAt = this.#o.clock.now();
    this.#minimize(live, "input", live.finishedAt, false);
    this.#active.delete(live);
    for (const id of [...live.attempts.keys()]) this.#forget(live, id);
    // Keep at most 10,000 finished tasks in memory; older ones are answered from the journal.
    this.#finished.push(live.spec.id);
    if (this.#finished.length > 10_000) {
      const old = this.#tasks.get(this.#finished[0]!);
      if (old && old.waiters.length === 0) this.#tasks.delete(this.#finished.shift()!);
    }
    if (outcome.state === "done") this.counters.done++;
    else this.counters.failed++;
    this.#o.log.info(outcome.state === "done" ? "task.done" : "task.failed", { task: live.spec.id, ...(outcome.state === "failed" ? { reason: outcome.reason, ...failureLog(outcome) } : { workers: outcome.workers.map((w) => w.slice(0, 8)).join(",") }) });
    void this.#o.journal.write(this.#entry(live)).then(() => {
      for (const w of live.waiters.splice(0)) w(outcome);
      if (live.origin !== "local") void this.#deliver(live);
    });
  }

  async #deliver(live: Live): Promise<void> {
    try {
      await this.#o.dispatch.deliver(live.origin, live.outcome!);
      live.delivered = true;
      live.deliveredAt = this.#o.clock.now();
      this.#minimize(live, "output", live.deliveredAt, false);
      await this.#o.journal.write(this.#entry(live));
    } catch (error) {
      this.#o.log.warn("task.delivery_failed", { task: live.spec.id, to: live.origin.slice(0, 8), reason: (error as Error).message });
    }
  }

  /** Drops attempt `id` of `live` from every index; false when it was not there. */
  #forget(live: Live, id: string): boolean {
    const a = live.attempts.get(id);
    this.#attempts.delete(id);
    if (!a) return false;
    live.attempts.delete(id);
    const n = (this.#inflight.get(a.peer) ?? 1) - 1;
    if (n > 0) this.#inflight.set(a.peer, n);
    else this.#inflight.delete(a.peer);
    return true;
  }

  #byAttempt(attempt: string): { live: Live; id: string; attempt: Attempt } | undefined {
    const live = this.#attempts.get(attempt);
    const a = live?.attempts.get(attempt);
    return live && a ? { live, id: attempt, attempt: a } : undefined;
  }

  #live(entry: JournalEntry): Live {
    const live: Live = {
      spec: entry.spec,
      origin: entry.origin,
      submittedAt: entry.submittedAt,
      state: entry.outcome ? entry.outcome.state : "submitted",
      attempts: new Map(),
      votes: new Map(),
      tried: new Set(),
      retries: 0,
      busyBackoffMs: 25,
      nextTryAt: 0,
      placements: [],
      outcome: entry.outcome,
      delivered: entry.delivered,
      finishedAt: entry.finishedAt ?? null,
      deliveredAt: entry.deliveredAt ?? null,
      waiters: [],
      queued: false,
    };
    if (!entry.outcome) {
      this.#active.add(live);
      this.#enqueue(live);
    }
    return live;
  }

  /** Puts `live` in the ready queue of its priority (once). */
  #enqueue(live: Live): void {
    if (live.queued || live.outcome) return;
    live.queued = true;
    this.#ready[Math.max(0, Math.min(9, live.spec.priority))]!.push(live);
  }

  /**
   * Places attempts for ready tasks, highest priority first and in submission order, until the
   * mesh has no room: runs on submission, whenever a worker answers (room may have freed), and on
   * the timer (for tasks waiting out a backoff).
   */
  #pump(): void {
    const now = this.#o.clock.now();
    let fruitless = 0;
    for (let p = 9; p >= 0; p--) {
      const bucket = this.#ready[p]!;
      let keep = 0;
      for (let i = 0; i < bucket.length; i++) {
        const live = bucket[i]!;
        const wanted = this.#wanted(live);
        if (live.outcome || wanted <= 0) {
          live.queued = false;
          continue;
        }
        if (fruitless < 8 && now >= live.nextTryAt) {
          if (this.#dispatch(live, wanted, now) > 0) fruitless = 0;
          else fruitless++;
          if (this.#wanted(live) <= 0 || live.outcome) {
            live.queued = false;
            continue;
          }
        }
        bucket[keep++] = live;
      }
      bucket.length = keep;
    }
  }

  /** Attempts `live` still needs placed: up to its quorum, or one more when k votes found no majority. */
  #wanted(live: Live): number {
    if (live.votes.size >= live.spec.quorum) return live.attempts.size === 0 ? 1 : 0;
    return live.spec.quorum - live.votes.size - live.attempts.size;
  }

  /**
   * Drops `live`'s input (counted from its finish, `at`) or output (from its delivery) now when
   * the retention policy says it is due, else schedules it. A drop now is written by the caller's
   * own journal write unless `rewrite` (an entry found at start) asks for one here.
   */
  #minimize(live: Live, what: Payload, at: number, rewrite: boolean): void {
    const dueAt = this.retention.dueAt(what, at);
    if (dueAt > this.#o.clock.now()) return this.retention.schedule(live.spec.id, what, dueAt);
    scrub(live, what);
    this.retention.dropped(what);
    if (rewrite) void this.#o.journal.write(this.#entry(live)).catch(() => {});
  }

  /** A scheduled drop came due: on the task in memory, or else on its journal entry. */
  #scrubLater(id: string, what: Payload): void {
    const live = this.#tasks.get(id);
    if (live) {
      scrub(live, what);
      void this.#o.journal.write(this.#entry(live)).catch(() => {});
      return;
    }
    void this.#o.journal
      .read(id)
      .then((entry) => entry && this.#o.journal.write(what === "input" ? { ...entry, spec: withoutInput(entry.spec) } : { ...entry, outcome: entry.outcome && withoutOutput(entry.outcome) }))
      .catch(() => {});
  }

  #entry(live: Live): JournalEntry {
    return { spec: live.spec, origin: live.origin, submittedAt: live.submittedAt, outcome: live.outcome, delivered: live.delivered, finishedAt: live.finishedAt, deliveredAt: live.deliveredAt };
  }
}

/** Drops `what` from the task in memory. */
function scrub(live: Live, what: Payload): void {
  if (what === "input") live.spec = withoutInput(live.spec);
  else if (live.outcome) live.outcome = withoutOutput(live.outcome);
}
