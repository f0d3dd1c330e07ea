// The vector service's message checks, the merge of peers' top-k lists (property: merging each
// shard's top-k gives the global top-k), and the fan-out's correlation and timeout on fake time.
// Node and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { FanOut } from "../../../src/vectors/fan-out.ts";
import { checkDelete, checkDeleted, checkHits, checkQuery, mergeHits } from "../../../src/vectors/search-messages.ts";
import { VectorIndex } from "../../../src/vectors/vector-index.ts";
import { FakeTime } from "../../support/fake-time.ts";

const QID = "00112233445566ff";

test("message checks accept the documented bodies and name a reason for anything else", () => {
  assert.deepEqual(checkQuery({ qid: QID, vector: [1, 2], k: 3 }), { ok: true, body: { qid: QID, vector: [1, 2], k: 3 } });
  const refused: [unknown, string][] = [
    [null, "bad_body"],
    [[QID], "bad_body"],
    [{ qid: "XYZ", vector: [1], k: 1 }, "bad_body"],
    [{ qid: QID, vector: [], k: 1 }, "bad_vector"],
    [{ qid: QID, vector: [1, Infinity], k: 1 }, "bad_vector"],
    [{ qid: QID, vector: new Uint8Array(4), k: 1 }, "bad_vector"],
    [{ qid: QID, vector: [1], k: 1.5 }, "bad_k"],
    [{ qid: QID, vector: [1], k: 101 }, "bad_k"],
  ];
  for (const [body, reason] of refused) assert.deepEqual(checkQuery(body), { ok: false, reason }, JSON.stringify(body));

  const hits = { qid: QID, hits: [{ id: "b", score: 0.5 }, { id: "a", score: 0.9, meta: { x: 1 } }], size: 7, dim: 2 };
  assert.deepEqual(checkHits(hits, 2), { ok: true, body: { qid: QID, hits: [{ id: "a", score: 0.9, meta: { x: 1 } }, { id: "b", score: 0.5 }], size: 7, dim: 2 } });
  assert.equal(checkHits(hits, 1).ok, false, "more hits than asked for");
  assert.deepEqual(checkHits({ ...hits, hits: [{ id: "a", score: 2 }] }, 2), { ok: false, reason: "bad_hits" });
  assert.deepEqual(checkHits({ ...hits, hits: [{ id: "", score: 0 }] }, 2), { ok: false, reason: "bad_hits" });
  assert.deepEqual(checkHits({ ...hits, hits: [{ id: "a", score: 0, meta: [1] }] }, 2), { ok: false, reason: "bad_hits" });
  assert.deepEqual(checkHits({ ...hits, size: -1 }, 2), { ok: false, reason: "bad_body" });
  assert.equal(checkHits({ ...hits, dim: null }, 2).ok, true);

  assert.deepEqual(checkDelete({ qid: QID, ids: ["a", "b"] }), { ok: true, body: { qid: QID, ids: ["a", "b"] } });
  assert.deepEqual(checkDelete({ qid: QID, ids: ["a", 3] }), { ok: false, reason: "bad_ids" });
  assert.deepEqual(checkDelete({ qid: QID, ids: Array(1_001).fill("a") }), { ok: false, reason: "bad_ids" });
  assert.deepEqual(checkDeleted({ qid: QID, deleted: 2 }), { ok: true, body: { qid: QID, deleted: 2 } });
  assert.deepEqual(checkDeleted({ qid: QID, deleted: -1 }), { ok: false, reason: "bad_body" });
});

test("property: merging every shard's local top-k gives the top-k of one index holding everything", () => {
  const vec = fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 3, maxLength: 3 }).filter((v) => v.some((x) => x !== 0));
  const shard = fc.uniqueArray(fc.record({ id: fc.stringMatching(/^[a-h]{1,2}$/), vector: vec }), { selector: (x) => x.id, maxLength: 25 });
  fc.assert(
    fc.property(fc.array(shard, { minLength: 1, maxLength: 4 }), vec, fc.integer({ min: 1, max: 12 }), (shards, q, k) => {
      // Ids unique across shards (an id lives on one agent), as adds keep them.
      const seen = new Set<string>();
      const owned = shards.map((s) => s.filter((it) => !seen.has(it.id) && seen.add(it.id)));
      const all = new VectorIndex();
      all.add(owned.flat());
      const lists = owned.map((s) => {
        const index = new VectorIndex();
        index.add(s);
        return index.query(q, k);
      });
      assert.deepEqual(mergeHits(lists, k), all.size === 0 ? [] : all.query(q, k));
    }),
    { numRuns: 300 },
  );
});

test("mergeHits keeps one hit per id, at its best score", () => {
  assert.deepEqual(mergeHits([[{ id: "x", score: 0.2 }, { id: "y", score: 0.1 }], [{ id: "x", score: 0.7 }]], 5), [{ id: "x", score: 0.7 }, { id: "y", score: 0.1 }]);
});

test("fan-out: replies correlate by qid and sender, unreachable peers are missing at once, the rest at the timeout", async () => {
  const time = new FakeTime();
  const sent: { to: string; type: string; body: unknown; timeoutMs: number | undefined }[] = [];
  const fan = new FanOut(
    async (to, type, body, o) => {
      sent.push({ to, type, body, timeoutMs: o.timeoutMs });
      if (to === "unreachable") throw new Error("not delivered");
    },
    time,
    (n) => new Uint8Array(n).fill(0xab),
  );
  const qid = fan.qid();
  assert.equal(qid, "abababababababab");
  let result: { replies: Map<string, unknown>; missing: string[] } | null = null;
  void fan.ask(qid, ["p1", "p2", "unreachable", "silent"], "vector.query", { qid }, 1_000).then((r) => (result = r));
  await time.advance(0);
  assert.deepEqual(sent.map((s) => [s.to, s.type, s.timeoutMs]), ["p1", "p2", "unreachable", "silent"].map((p) => [p, "vector.query", 1_000]));
  assert.equal(fan.reply(qid, "p1", "one"), true);
  assert.equal(fan.reply(qid, "p1", "again"), false, "one reply per peer");
  assert.equal(fan.reply(qid, "stranger", "x"), false, "only peers asked");
  assert.equal(fan.reply("ffffffffffffffff", "p2", "x"), false, "only open queries");
  assert.equal(fan.reply(qid, "unreachable", "late"), false, "an undelivered peer is already given up");
  assert.equal(fan.reply(qid, "p2", "two"), true);
  await time.advance(999);
  assert.equal(result, null, "still waiting for silent");
  await time.advance(1);
  assert.deepEqual(result, { replies: new Map([["p1", "one"], ["p2", "two"]]), missing: ["unreachable", "silent"] });
  assert.equal(fan.reply(qid, "silent", "too late"), false);
  assert.equal(time.pending, 0);

  // Everyone answers: done before the timeout, no timer left.
  let quick: unknown = null;
  void fan.ask("0000000000000001", ["p1"], "vector.delete", {}, 5_000).then((r) => (quick = r));
  fan.reply("0000000000000001", "p1", 3);
  await time.advance(0);
  assert.deepEqual(quick, { replies: new Map([["p1", 3]]), missing: [] });
  assert.equal(time.pending, 0);
  assert.deepEqual(await fan.ask("0000000000000002", [], "vector.query", {}, 5_000), { replies: new Map(), missing: [] });
});
