// Per-key token buckets (src/mesh/rate-limiter.ts) on a fake clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RateLimiter } from "../../../src/mesh/rate-limiter.ts";

function clock(t = 0) {
  return { t, now() { return this.t; } };
}

/** How many of `n` takes for `key` pass. */
function takes(limiter: RateLimiter, key: string, n: number): number {
  let passed = 0;
  for (let i = 0; i < n; i++) if (limiter.take(key)) passed++;
  return passed;
}

test("a burst passes, then the rate: tokens refill continuously up to the burst", () => {
  const c = clock();
  const limiter = new RateLimiter({ rate: 10, burst: 5, clock: c });
  assert.equal(takes(limiter, "k", 8), 5);
  c.t += 100; // one token
  assert.equal(takes(limiter, "k", 3), 1);
  c.t += 50; // half a token
  assert.equal(limiter.take("k"), false);
  c.t += 50; // the other half
  assert.equal(limiter.take("k"), true);
  c.t += 60_000; // a long pause refills only up to the burst
  assert.equal(takes(limiter, "k", 10), 5);
});

test("keys are independent: one flooding key does not slow another", () => {
  const c = clock();
  const limiter = new RateLimiter({ rate: 1, burst: 2, clock: c });
  assert.equal(takes(limiter, "flood", 1_000), 2);
  assert.equal(takes(limiter, "quiet", 2), 2);
  c.t += 1_000;
  assert.equal(takes(limiter, "flood", 5), 1);
  assert.equal(takes(limiter, "quiet", 5), 1);
});

test("at most maxKeys buckets: the least recently used goes first, and comes back full", () => {
  const c = clock();
  const limiter = new RateLimiter({ rate: 1, burst: 1, clock: c, maxKeys: 2 });
  assert.equal(limiter.take("a"), true);
  assert.equal(limiter.take("b"), true);
  assert.equal(limiter.take("a"), false); // a is now the most recently used
  assert.equal(limiter.take("c"), true); // evicts b
  assert.equal(limiter.take("a"), false, "a was kept, still empty");
  assert.equal(limiter.take("b"), true, "b was forgotten: a fresh, full bucket");
});

test("a wall clock that steps backwards neither adds tokens nor takes any away", () => {
  const c = clock(10_000);
  const limiter = new RateLimiter({ rate: 10, burst: 1, clock: c });
  assert.equal(limiter.take("k"), true);
  c.t -= 5_000;
  assert.equal(limiter.take("k"), false);
  c.t += 100; // one token's worth of time after the step
  assert.equal(limiter.take("k"), true, "the step back must not leave the bucket in debt");
});

test("bad options are refused with RangeError naming the option", () => {
  const c = clock();
  assert.throws(() => new RateLimiter({ rate: 0, burst: 1, clock: c }), (e: unknown) => e instanceof RangeError && /"rate"/.test(e.message));
  assert.throws(() => new RateLimiter({ rate: Number.NaN, burst: 1, clock: c }), RangeError);
  assert.throws(() => new RateLimiter({ rate: 1, burst: 0.5, clock: c }), (e: unknown) => e instanceof RangeError && /"burst"/.test(e.message));
});
