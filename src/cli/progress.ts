import type { Clock, Timers } from "../runtime/runtime.ts";
import { duration } from "./render-status.ts";

/**
 * Carriage return, then ECMA-48 "erase in line" (CSI K): puts the cursor at the start of the line
 * and clears it, so the next text replaces the status line instead of following it.
 */
export const ERASE_LINE = "\r\u001b[K";

/** How often the status line is refreshed (and the state asked for), ms. */
export const PROGRESS_INTERVAL_MS = 500;

/** What {@link withProgress} needs; every field but `intervalMs` is required. */
export interface ProgressOptions {
  /** Writes raw text to the terminal (stderr), adding no newline. */
  write(text: string): void;
  clock: Clock;
  timers: Timers;
  /** Shown first on the line, e.g. `task 1f0c...`. */
  label: string;
  /**
   * The work's current state (e.g. the task's `running`), asked once per refresh, never two at
   * once. Without it the line shows the elapsed time only. A rejection keeps the last state shown.
   */
  state?: () => Promise<string>;
  /** Refresh interval, ms; default {@link PROGRESS_INTERVAL_MS}. */
  intervalMs?: number;
}

/**
 * Waits for `work` while keeping one status line on a terminal up to date: every `intervalMs`
 * it asks `state()` and rewrites the line as `LABEL: STATE, ELAPSED`. The first line appears only
 * after one interval, so work that ends quickly prints nothing at all. When `work` settles the
 * line is erased (the terminal is left as it was) and `work`'s result or error is passed on, with
 * no timer left behind. The line has no colour, so `NO_COLOR` needs no handling here; callers
 * decide whether a terminal is there at all (only then should they call this).
 */
export async function withProgress<T>(work: Promise<T>, options: ProgressOptions): Promise<T> {
  const interval = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  if (!(interval > 0)) throw new RangeError(`"intervalMs" expected a positive number of milliseconds, got ${interval}`);
  const started = options.clock.now();
  let state: string | undefined;
  let settled = false;
  let shown = false;
  let timer: unknown;
  const refresh = async () => {
    if (options.state) {
      try {
        state = await options.state();
      } catch {
        // keep the last state: one missed answer is no reason to stop showing progress
      }
    }
    if (settled) return; // the work ended while the state was asked: the line is already gone
    const elapsed = duration(options.clock.now() - started);
    options.write(`${ERASE_LINE}${options.label}: ${state === undefined ? elapsed : `${state}, ${elapsed}`}`);
    shown = true;
    timer = options.timers.setTimeout(() => void refresh(), interval);
  };
  timer = options.timers.setTimeout(() => void refresh(), interval);
  try {
    return await work;
  } finally {
    settled = true;
    options.timers.clearTimeout(timer);
    if (shown) options.write(ERASE_LINE);
  }
}
