// A fake clock with fake timers, for unit tests of components that take `Clock` and `Timers`
// (STYLE.md: "tests fake time instead of sleeping"). `advance(ms)` moves the clock and runs every
// timer that falls due, in time order, letting promise callbacks settle between them.
import type { Clock, Timers } from "../../src/runtime/runtime.ts";

interface FakeTimer {
  id: number;
  at: number;
  every: number | null;
  fn: () => void;
}

/** A clock and timers that move only when told to. */
export class FakeTime implements Clock, Timers {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    return this.#add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): unknown {
    return this.#add(fn, ms, Math.max(1, ms));
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  clearInterval(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Number of timers still scheduled (a stopped component should leave none). */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running due timers in order; settles promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      const next = [...this.#timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.#now = Math.max(this.#now, next.at);
      if (next.every === null) this.#timers.delete(next.id);
      else next.at += next.every;
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  #add(fn: () => void, ms: number, every: number | null): number {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), every, fn });
    return id;
  }
}

/** Lets pending promise callbacks (and one macrotask turn) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
