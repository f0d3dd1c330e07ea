// Placement: every candidate scored on the same parts, exclusions with a reason each, k distinct
// peers chosen best first, and a reason for every loser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { place, WEIGHTS, type Candidate } from "../../../src/tasks/placer.ts";

const NOW = 1_700_000_000_000;
const TASK = { kind: "sha256", private: false };

function cand(id: string, over: Partial<Candidate> = {}): Candidate {
  return {
    id,
    alive: true,
    kinds: ["echo", "sha256"],
    e2e: true,
    accepting: true,
    queue: 0,
    capacity: 4,
    concurrency: 1,
    temp: null,
    maxTemp: null,
    battery: null,
    power: null,
    speedMs: null,
    reputation: 0.5,
    eligible: true,
    busyUntil: 0,
    ...over,
  };
}

test("placer: the weights sum to 1 and a neutral newcomer scores their weighted neutral parts", () => {
  assert.ok(Math.abs(Object.values(WEIGHTS).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  const p = place([cand("a")], TASK, 1, new Set(), NOW);
  const r = p.ranking[0]!;
  assert.deepEqual(r.parts, { queue: 1, speed: 0.5, thermal: 0.7, battery: 1, energy: 0.5, reputation: 0.5 });
  const expected = 0.25 * 1 + 0.2 * 0.5 + 0.1 * 0.7 + 0.1 * 1 + 0.1 * 0.5 + 0.25 * 0.5;
  assert.equal(r.score, Math.round(expected * 1000) / 1000);
  assert.deepEqual(p.chosen, ["a"]);
  assert.equal(r.excluded, null);
  assert.equal(r.lost, null);
});

test("placer: each part moves the score the right way", () => {
  const score = (c: Candidate, others: Candidate[] = []) => place([c, ...others], TASK, 1, new Set(), NOW).ranking.find((r) => r.id === c.id)!;
  // queue: free capacity is better
  assert.ok(score(cand("a", { queue: 3 })).parts.queue < score(cand("a")).parts.queue);
  // speed: relative to the fastest known
  const slow = score(cand("slow", { speedMs: 200 }), [cand("fast", { speedMs: 100 })]);
  assert.equal(slow.parts.speed, 0.5);
  // thermal: headroom over 20 °C is full, at the limit none
  assert.equal(score(cand("a", { temp: 50, maxTemp: 80 })).parts.thermal, 1);
  assert.equal(score(cand("a", { temp: 80, maxTemp: 80 })).parts.thermal, 0);
  // battery: discharging counts 0.7
  assert.equal(score(cand("a", { battery: { percent: 100, charging: false } })).parts.battery, 0.7);
  // energy: watts × learned duration, relative to the cheapest
  const hungry = score(cand("hungry", { speedMs: 100, power: { idleWatts: 10, busyWatts: 100 } }), [cand("frugal", { speedMs: 100, power: { idleWatts: 1, busyWatts: 5 } })]);
  assert.ok(Math.abs(hungry.parts.energy - 0.05) < 1e-12, `energy part ${hungry.parts.energy}`);
  // reputation as is
  assert.equal(score(cand("a", { reputation: 0.9 })).parts.reputation, 0.9);
});

test("placer: exclusions each carry their reason and are never chosen", () => {
  const candidates = [
    cand("tried"),
    cand("dead", { alive: false }),
    cand("nokind", { kinds: ["echo"] }),
    cand("noe2e", { e2e: false }),
    cand("liar", { reputation: 0.1, eligible: false }),
    cand("hot", { accepting: false }),
    cand("busy", { busyUntil: NOW + 400 }),
    cand("full", { queue: 5, capacity: 4, concurrency: 1 }),
    cand("ok"),
  ];
  const p = place(candidates, { kind: "sha256", private: true }, 3, new Set(["tried"]), NOW);
  assert.deepEqual(p.chosen, ["ok"]);
  const why = Object.fromEntries(p.ranking.map((r) => [r.id, r.excluded]));
  assert.equal(why.tried, "already tried or running this task");
  assert.equal(why.dead, "not alive");
  assert.equal(why.nokind, "does not run kind sha256");
  assert.equal(why.noe2e, "cannot decrypt private tasks");
  assert.equal(why.liar, "reputation 0.10 below the floor");
  assert.equal(why.hot, "not accepting work (thermal or battery limit)");
  assert.match(why.busy!, /^said busy/);
  assert.equal(why.full, "queue full (5)");
  assert.equal(why.ok, null);
  for (const r of p.ranking) if (r.id !== "ok") assert.equal(r.lost, `excluded: ${r.excluded}`);
  // A public task does not need e2e; a busy mark in the past no longer excludes.
  const q = place([cand("noe2e", { e2e: false }), cand("was-busy", { busyUntil: NOW - 1 })], TASK, 2, new Set(), NOW);
  assert.deepEqual(q.chosen.sort(), ["noe2e", "was-busy"]);
});

test("placer: picks the best k distinct peers, ties broken by ID, and says why each loser lost", () => {
  const candidates = [cand("d", { queue: 4 }), cand("b"), cand("c", { reputation: 0.9 }), cand("a"), cand("e", { queue: 2 })];
  const p = place(candidates, TASK, 3, new Set(), NOW);
  assert.deepEqual(p.chosen, ["c", "a", "b"]);
  assert.equal(new Set(p.chosen).size, 3);
  const scores = p.ranking.map((r) => r.score);
  assert.deepEqual(scores, [...scores].sort((x, y) => y - x), "the ranking is sorted by score");
  for (const id of ["d", "e"]) {
    const r = p.ranking.find((x) => x.id === id)!;
    assert.equal(r.excluded, null);
    assert.match(r.lost!, new RegExp(`^score ${r.score} below b's \\d\\.\\d+ \\(mostly queue: `));
  }
  assert.equal(p.at, NOW);
});

test("placer: asking for more peers than are eligible returns the eligible ones; none eligible returns none", () => {
  const p = place([cand("a"), cand("b", { alive: false })], TASK, 3, new Set(), NOW);
  assert.deepEqual(p.chosen, ["a"]);
  const none = place([cand("a", { kinds: ["echo"] })], TASK, 1, new Set(), NOW);
  assert.deepEqual(none.chosen, []);
  assert.equal(none.ranking[0]!.lost, "excluded: does not run kind sha256");
  assert.deepEqual(place([], TASK, 1, new Set(), NOW).chosen, []);
});
