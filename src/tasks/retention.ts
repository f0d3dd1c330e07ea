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

/** Something to scrub later: `scrub()` runs at `dueAt` (ms since the epoch). */
interface Due {
  dueAt: number;
  scrub: () => void;
}

/**
 * The coordinator's payload clock. `finished` and `delivered` either scrub at once (a zero
 * policy) or queue the scrub; `sweep(now)` runs those due. The delays are constant per queue, so
 * each queue is in due order and a sweep only looks at its heads.
 */
export class RetentionClock {
  readonly policy: RetentionPolicy;
  readonly #inputs: Due[] = [];
  readonly #outputs: Due[] = [];
  /** Payloads dropped so far, for status. */
  readonly counters = { inputsDeleted: 0, outputsDeleted: 0 };

  constructor(policy: RetentionPolicy = DEFAULT_RETENTION) {
    if (!(policy.inputSeconds >= 0) || !(policy.outputSeconds >= 0)) throw new RangeError(`retention seconds must be 0 or more, got ${JSON.stringify(policy)}`);
    this.policy = policy;
  }

  /** A task finished at `now`; `scrub` drops its input. */
  finished(now: number, scrub: () => void): void {
    this.#schedule(this.#inputs, now + this.policy.inputSeconds * 1000, () => {
      scrub();
      this.counters.inputsDeleted++;
    });
  }

  /** A task's outcome was delivered at `now`; `scrub` drops its output. */
  delivered(now: number, scrub: () => void): void {
    this.#schedule(this.#outputs, now + this.policy.outputSeconds * 1000, () => {
      scrub();
      this.counters.outputsDeleted++;
    });
  }

  /** Runs every scrub due by `now`. */
  sweep(now: number): void {
    for (const queue of [this.#inputs, this.#outputs]) {
      let n = 0;
      while (n < queue.length && queue[n]!.dueAt <= now) queue[n++]!.scrub();
      if (n > 0) queue.splice(0, n);
    }
  }

  #schedule(queue: Due[], dueAt: number, scrub: () => void): void {
    const seconds = queue === this.#inputs ? this.policy.inputSeconds : this.policy.outputSeconds;
    if (seconds === 0) scrub();
    else queue.push({ dueAt, scrub });
  }
}
