import type { Logger } from "../log/logger.ts";
import type { Clock, Timers } from "../runtime/runtime.ts";
import type { TaskJournal } from "./journal.ts";
import type { Candidate, Placement } from "./placer.ts";
import type { Reputation } from "./reputation.ts";
import type { RetentionPolicy } from "./retention.ts";
import type { TaskOutcome, TaskSpec, TaskState } from "./task.ts";
import type { RunRequest } from "./worker-service.ts";

// The coordinator's types: what it is given, and what it keeps per task.

/**
 * Failure codes that say the worker lacks something (a model, onnxruntime) rather than that the
 * task is bad: the task is retried on another peer, and the peer's reputation is left alone.
 */
export const PEER_LACKS = ["model_not_found", "model_corrupt", "inference_unavailable"] as const;

/** How the coordinator reaches workers; the task service fills it with the mesh (and the local worker). */
export interface Dispatch {
  /** Sends a run request to `peer`; resolves when delivered (acknowledged), rejects when it cannot be. */
  run(peer: string, request: RunRequest, privateTask: boolean): Promise<void>;
  /** Who can run tasks now, as placement sees them (this agent included when it is a worker). */
  candidates(kind: string): Candidate[];
  /** True when `peer` is gone from the mesh. */
  gone(peer: string): boolean;
  /** Hands a finished task to an agent that submitted it over the mesh. */
  deliver(origin: string, outcome: TaskOutcome): Promise<void>;
}

export interface Attempt {
  peer: string;
  timeoutAt: number;
}

export interface Live {
  spec: TaskSpec;
  origin: string;
  submittedAt: number;
  state: TaskState;
  attempts: Map<string, Attempt>;
  votes: Map<string, unknown>;
  tried: Set<string>;
  retries: number;
  busyBackoffMs: number;
  nextTryAt: number;
  placements: Placement[];
  outcome: TaskOutcome | null;
  delivered: boolean;
  /** When it finished and when its outcome was delivered, ms since the epoch (retention counts from these). */
  finishedAt: number | null;
  deliveredAt: number | null;
  waiters: Array<(o: TaskOutcome) => void>;
  /** True while it sits in the ready queue. */
  queued: boolean;
}

/** Coordinator settings. */
export interface CoordinatorOptions {
  dispatch: Dispatch;
  journal: TaskJournal;
  reputation: Reputation;
  clock: Clock;
  timers: Timers;
  random: (n: number) => Uint8Array;
  log: Logger;
  /** Attempts per task lost to dead peers, timeouts or wrong answers before it fails (default 5). */
  maxRetries?: number;
  /** Per-task run timeout when the spec's params name none, ms (default 30,000). */
  defaultTimeoutMs?: number;
  /** Called after the reputation changes (to persist it). */
  onReputation?: () => void;
  /** How long task inputs and outputs are kept (default: dropped once used). */
  retention?: RetentionPolicy;
}

/**
 * What of a failure goes into the log: a task's own error (`task_error`) may quote its input, so
 * only its code is logged (the full detail goes to whoever asked); other reasons are the mesh's own.
 */
export function failureLog(outcome: Extract<TaskOutcome, { state: "failed" }>): { code: string } | { detail: string } {
  return outcome.reason === "task_error" ? { code: outcome.detail.split(":")[0]! } : { detail: outcome.detail };
}
