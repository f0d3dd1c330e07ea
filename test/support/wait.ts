// Waiting helpers for tests that cross a real socket: poll a condition with a deadline instead of
// sleeping a fixed time, so a passing test is as fast as the system allows and a failing one fails
// within a bound, naming what it waited for.
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves with the first truthy value `cond` returns, polling every `stepMs`; rejects after
 * `ms` naming `what` (and the last value seen) when it never comes.
 */
export async function waitFor<T>(cond: () => T | Promise<T>, ms = 5_000, what = "condition", stepMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await cond();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (last value: ${String(last)})`);
    await sleep(stepMs);
  }
}

/**
 * Lets `ms` pass while checking that `cond` stays false throughout; for "this must not happen"
 * assertions, which can only ever be checked for a bounded time.
 */
export async function staysFalse(cond: () => boolean, ms: number, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) throw new Error(`${what} became true`);
    await sleep(10);
  }
}

/** Resolves after `ms`; only where a test must let time pass for a reason it states. */
export const pause = (ms: number): Promise<void> => sleep(ms).then(() => undefined);
