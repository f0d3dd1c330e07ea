// Reputation (PeerTrust-style): Beta(1,1) prior, failures push a peer below the floor, quorum
// feedback weighted by the credibility of the majority, decay lets a peer recover, and the
// snapshot restores the same scores.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Reputation } from "../../../src/tasks/reputation.ts";

test("reputation: a newcomer scores 0.5 and is eligible; the floor defaults to 0.2", () => {
  const r = new Reputation();
  assert.equal(r.score("new"), 0.5);
  assert.equal(r.eligible("new"), true);
  assert.equal(r.floor, 0.2);
  r.record("p", "success");
  assert.equal(r.score("p"), 2 / 3);
});

test("reputation: repeated failures and timeouts lower a peer below the floor; then it is not eligible", () => {
  const r = new Reputation();
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) {
    r.record("p", i % 2 ? "timeout" : "failure");
    seen.push(r.score("p"));
  }
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! < seen[i - 1]!, `falls with each failure: ${seen.join(", ")}`);
  assert.ok(r.score("p") < 0.2, `score ${r.score("p")}`);
  assert.equal(r.eligible("p"), false);
  // Exactly: after n failures with decay d, bad = sum d^i (i < n), good = 0.
  const bad = [0, 1, 2, 3, 4].reduce((s, i) => s + 0.98 ** i, 0);
  assert.ok(Math.abs(r.score("p") - 1 / (bad + 2)) < 1e-12);
});

test("reputation: a disagreement costs twice a failure", () => {
  const r = new Reputation({ decay: 1 });
  r.record("a", "failure");
  r.record("b", "disagreement");
  assert.equal(r.score("a"), 1 / 3);
  assert.equal(r.score("b"), 1 / 4);
});

test("reputation: quorum feedback rewards the majority and weights the minority's penalty by the majority's credibility", () => {
  const trusted = new Reputation({ decay: 1 });
  for (let i = 0; i < 8; i++) {
    trusted.record("m1", "success");
    trusted.record("m2", "success");
  }
  const credibility = (trusted.score("m1") + trusted.score("m2")) / 2; // 0.9
  trusted.quorum(["m1", "m2"], ["liar"]);
  assert.ok(Math.abs(trusted.score("liar") - 1 / (2 * credibility + 2)) < 1e-12);
  assert.equal(trusted.score("m1"), 10 / 11);

  // Newcomers in the majority (0.5 each) count at the 0.5 minimum: the penalty is smaller.
  const fresh = new Reputation({ decay: 1 });
  fresh.quorum(["n1", "n2"], ["liar"]);
  assert.equal(fresh.score("liar"), 1 / (2 * 0.5 + 2));
  assert.ok(trusted.score("liar") < fresh.score("liar"), "a credible majority's word weighs more");

  // A majority of low-trust peers still counts at least 0.5.
  const shady = new Reputation({ decay: 1 });
  for (let i = 0; i < 6; i++) shady.record("s", "failure");
  shady.quorum(["s"], ["x"]);
  assert.equal(shady.score("x"), 1 / (2 * 0.5 + 2));
});

test("reputation: a peer outvoted in every quorum falls below the floor within a few tasks", () => {
  const r = new Reputation();
  let tasks = 0;
  while (r.eligible("liar") && tasks < 100) {
    r.quorum(["a", "b"], ["liar"]);
    tasks++;
  }
  assert.ok(tasks <= 5, `took ${tasks} quorum tasks`);
  assert.ok(r.score("a") > 0.75, `the majority gains: ${r.score("a")}`);
});

test("reputation: decay lets a peer that fell below the floor recover with good work", () => {
  const r = new Reputation();
  for (let i = 0; i < 10; i++) r.record("p", "failure");
  assert.equal(r.eligible("p"), false);
  let successes = 0;
  while (!r.eligible("p")) {
    r.record("p", "success");
    successes++;
  }
  assert.ok(successes <= 3, `recovered after ${successes} successes`);
  for (let i = 0; i < 200; i++) r.record("p", "success");
  assert.ok(r.score("p") > 0.95, `score ${r.score("p")}`);
  // Without decay the old failures weigh forever: the same 200 successes leave it lower.
  const noDecay = new Reputation({ decay: 1 });
  for (let i = 0; i < 10; i++) noDecay.record("p", "failure");
  for (let i = 0; i < 203; i++) noDecay.record("p", "success");
  assert.ok(noDecay.score("p") < r.score("p"));
});

test("reputation: snapshot round trip gives the same scores, eligibility and counts", () => {
  const r = new Reputation({ floor: 0.3 });
  r.record("a", "success");
  r.record("b", "failure");
  r.record("b", "timeout");
  r.quorum(["a"], ["c"]);
  const snap = r.snapshot();
  assert.equal(snap.b!.observations, 2);
  assert.equal(snap.a!.score, r.score("a"));
  const json = JSON.parse(JSON.stringify(snap));
  const restored = new Reputation({ floor: 0.3, records: json });
  for (const id of ["a", "b", "c", "unknown"]) {
    assert.equal(restored.score(id), r.score(id), id);
    assert.equal(restored.eligible(id), r.eligible(id), id);
  }
  assert.deepEqual(restored.snapshot(), snap);
  // The restored records are copies: changing one does not change the other.
  restored.record("a", "failure");
  assert.notEqual(restored.score("a"), r.score("a"));
  assert.equal(json.a.observations, snap.a!.observations);
});
