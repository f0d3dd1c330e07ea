import type { TaskOutcome, TaskSpec } from "./task.ts";

/**
 * How long a coordinator keeps task payloads (data minimization). A finished task's record (ID,
 * kind, state, workers, timings) stays, so a resubmitted ID is still answered without a second
 * run; what goes is what the user sent and got back.
 * - `inputSeconds`: how long after a task finishes its input is kept (default 0: dropped when it
 *   finishes, before the finished record is written to the journal).
 * - `outputSeconds`: how long after its outcome is delivered (to the local waiter, or acknowledged
 *   by the agent that submitted it over the mesh) its output is kept (default 0: dropped once
 *   delivered). An output nobody has collected yet is kept until it is: an accepted task's result
 *   is never lost.
 */
export interface RetentionPolicy {
  readonly inputSeconds: number;
  readonly outputSeconds: number;
}

/** Keep nothing past its use. */
export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({ inputSeconds: 0, outputSeconds: 0 });

/** The spec without its input and params (params may carry the user's data too). */
export function withoutInput(spec: TaskSpec): TaskSpec {
  return spec.input === null && Object.keys(spec.params).length === 0 ? spec : { ...spec, input: null, params: {} };
}

/**
 * The outcome without its output: `output` null and `outputDeleted` true. A task's own error
 * (`task_error`) may quote its input, so its detail is cut to the error's code; other failures are
 * the mesh's own words and stay. A new object: outcomes already handed out are not changed.
 */
export function withoutOutput(outcome: TaskOutcome): TaskOutcome {
  if (outcome.state === "failed") {
    const code = outcome.detail.split(":")[0]!;
    return outcome.reason !== "task_error" || outcome.detail === code ? outcome : { ...outcome, detail: code };
  }
  if (outcome.outputDeleted) return outcome;
  return { ...outcome, output: null, outputDeleted: true };
}

/** What a retention entry drops. */
export type Payload = "input" | "output";

/** A task's payload to drop at `dueAt` (ms since the epoch). */
interface Due {
  dueAt: number;
  id: string;
  what: Payload;
}

/**
 * The coordinator's payload clock: which task's input or output to drop when. It holds task IDs
 * and due times only (never the task itself, so a finished task leaves memory on its usual terms),
 * kept in due order; `sweep(now)` hands each due entry to `scrub`, which finds the task in memory
 * or in the journal.
 */
export class RetentionClock {
  readonly policy: RetentionPolicy;
  readonly #due: Due[] = [];
  readonly #scrub: (id: string, what: Payload) => void;
  /** Payloads dropped so far, for status. */
  readonly counters = { inputsDeleted: 0, outputsDeleted: 0 };

  constructor(policy: RetentionPolicy = DEFAULT_RETENTION, scrub: (id: string, what: Payload) => void = () => {}) {
    if (!(policy.inputSeconds >= 0) || !(policy.outputSeconds >= 0)) throw new RangeError(`retention seconds must be 0 or more, got ${JSON.stringify(policy)}`);
    this.policy = policy;
    this.#scrub = scrub;
  }

  /** Seconds `what` is kept after its event (finish for inputs, delivery for outputs). */
  keepSeconds(what: Payload): number {
    return what === "input" ? this.policy.inputSeconds : this.policy.outputSeconds;
  }

  /** When `what` of a task whose event happened at `at` is due to be dropped. */
  dueAt(what: Payload, at: number): number {
    return at + this.keepSeconds(what) * 1000;
  }

  /** Drops `what` of task `id` at `dueAt` (the next sweep from then). */
  schedule(id: string, what: Payload, dueAt: number): void {
    // Due times mostly arrive in order (a constant delay after now); binary search for the rest.
    let lo = this.#due.length;
    if (lo > 0 && this.#due[lo - 1]!.dueAt > dueAt) {
      let hi = lo;
      lo = 0;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#due[mid]!.dueAt <= dueAt) lo = mid + 1;
        else hi = mid;
      }
    }
    this.#due.splice(lo, 0, { dueAt, id, what });
  }

  /** Counts a drop done outside `sweep` (a zero policy drops at once). */
  dropped(what: Payload): void {
    if (what === "input") this.counters.inputsDeleted++;
    else this.counters.outputsDeleted++;
  }

  /** Hands every entry due by `now` to `scrub`. */
  sweep(now: number): void {
    let n = 0;
    while (n < this.#due.length && this.#due[n]!.dueAt <= now) {
      const { id, what } = this.#due[n++]!;
      this.#scrub(id, what);
      this.dropped(what);
    }
    if (n > 0) this.#due.splice(0, n);
  }

  /** Entries waiting. */
  get pending(): number {
    return this.#due.length;
  }
}
