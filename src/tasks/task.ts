/**
 * The task model. A task is handed to any agent (its *coordinator*), placed on one or more peers
 * (*workers*), run there, and its result returned to the coordinator, which gives it to the user
 * exactly once.
 */

/** What the user submits. `input` and `params` are any CBOR-encodable values. */
export interface TaskSpec {
  /** Unique ID; the coordinator assigns one when absent. Results are deduplicated by it. */
  id: string;
  /** Task kind, e.g. `echo`, `sha256`, `chunk`; workers advertise the kinds they run. */
  kind: string;
  /** 0 (lowest) to 9 (highest); default 5. */
  priority: number;
  input: unknown;
  params: Record<string, unknown>;
  /** ms since the epoch after which the task fails with reason `deadline`. */
  deadline: number;
  /** Run on this many distinct peers and accept the majority result (1 = no quorum). */
  quorum: number;
  /** Travel encrypted end to end; only peers that can decrypt (every member) may run it. */
  private: boolean;
}

/** Lifecycle states (`placed` covers sent-and-waiting; `running` once a worker said it started). */
export type TaskState = "submitted" | "placed" | "running" | "done" | "failed";

/** A finished task as the user gets it. */
export type TaskOutcome =
  | { id: string; state: "done"; output: unknown; worker: string; workers: string[]; durationMs: number; outputDeleted?: true }
  | { id: string; state: "failed"; reason: string; detail: string };

/** Why a task failed, stable codes. */
export const FAILURE_REASONS = [
  "deadline", // not done before its deadline
  "retries_exhausted", // every attempt failed (busy, lost peers, timeouts)
  "no_capable_peer", // nobody advertises the kind (or can decrypt it)
  "task_error", // the task itself threw, on every peer that ran it
  "no_majority", // quorum: no result reached a majority
  "cancelled",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Checks and completes a submitted spec; throws `TypeError` naming the field. */
export function normalizeSpec(raw: Partial<TaskSpec> & { kind: string }, now: number, newId: () => string): TaskSpec {
  if (typeof raw.kind !== "string" || !/^[a-z][a-z0-9._-]{0,63}$/.test(raw.kind)) throw new TypeError(`task kind expected lower-case letters, digits . _ -, got ${JSON.stringify(raw.kind)}`);
  const priority = raw.priority ?? 5;
  if (!Number.isInteger(priority) || priority < 0 || priority > 9) throw new TypeError(`task priority expected an integer 0-9, got ${raw.priority}`);
  const quorum = raw.quorum ?? 1;
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > 15) throw new TypeError(`task quorum expected an integer 1-15, got ${raw.quorum}`);
  const deadline = raw.deadline ?? now + 5 * 60_000;
  if (!Number.isFinite(deadline) || deadline <= now) throw new TypeError(`task deadline must be in the future, got ${raw.deadline}`);
  const id = raw.id ?? newId();
  if (typeof id !== "string" || !/^[A-Za-z0-9._-]{1,128}$/.test(id)) throw new TypeError(`task id expected 1-128 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(raw.id)}`);
  const params = raw.params ?? {};
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw new TypeError("task params must be an object");
  return { id, kind: raw.kind, priority, input: raw.input ?? null, params, deadline, quorum, private: raw.private ?? false };
}
