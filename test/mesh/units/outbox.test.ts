// The sender's outbox of unacknowledged direct messages and the receiver's set of seen message IDs
// (src/mesh/outbox.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DeliveryError, Outbox, SeenSet, type Pending } from "../../../src/mesh/outbox.ts";

const T0 = 1_700_000_000_000;

/** A pending message whose promise settles into `settled`. */
function pending(mid: string, settled: string[], fields: Partial<Pending> = {}): Pending {
  return {
    mid,
    to: "b".repeat(52),
    type: "job",
    taskId: "",
    body: null,
    private: false,
    deadline: T0 + 10_000,
    sentAt: 0,
    attempts: 0,
    resolve: () => settled.push(`${mid} ok`),
    reject: (e: Error) => settled.push(`${mid} ${(e as DeliveryError).code}: ${e.message}`),
    ...fields,
  };
}

test("an ack settles the message once; unknown and repeated acks are refused", () => {
  const settled: string[] = [];
  const outbox = new Outbox();
  outbox.add(pending("m1", settled));
  outbox.add(pending("m2", settled));
  assert.equal(outbox.size, 2);
  assert.equal(outbox.ack("m1"), true);
  assert.equal(outbox.ack("m1"), false, "a duplicate ack (the receiver acks every copy)");
  assert.equal(outbox.ack("nope"), false);
  assert.deepEqual(settled, ["m1 ok"]);
  assert.deepEqual(outbox.all().map((p) => p.mid), ["m2"]);
});

test("due(): never sent, or sent at least resendMs ago", () => {
  const settled: string[] = [];
  const outbox = new Outbox();
  outbox.add(pending("new", settled));
  outbox.add(pending("recent", settled, { sentAt: T0 - 1_999, attempts: 1 }));
  outbox.add(pending("old", settled, { sentAt: T0 - 2_000, attempts: 1 }));
  assert.deepEqual(outbox.due(T0, 2_000).map((p) => p.mid), ["new", "old"]);
  assert.deepEqual(outbox.due(T0 + 1, 2_000).map((p) => p.mid), ["new", "recent", "old"]);
  assert.deepEqual(settled, []);
});

test("expire() fails messages past their deadline with a timeout naming the attempts", () => {
  const settled: string[] = [];
  const outbox = new Outbox();
  outbox.add(pending("a", settled, { deadline: T0, attempts: 3 }));
  outbox.add(pending("b", settled, { deadline: T0 + 1 }));
  outbox.expire(T0); // the deadline itself is still in time
  assert.deepEqual(settled, []);
  outbox.expire(T0 + 1);
  assert.equal(settled.length, 1);
  assert.match(settled[0]!, /^a timeout: no acknowledgement from bbbbbbbb for job after 3 attempts$/);
  assert.equal(outbox.size, 1);
  assert.equal(outbox.ack("a"), false, "an ack after the timeout is too late");
});

test("clear() fails everything as stopped", () => {
  const settled: string[] = [];
  const outbox = new Outbox();
  outbox.add(pending("a", settled));
  outbox.add(pending("b", settled));
  outbox.clear();
  assert.equal(outbox.size, 0);
  assert.deepEqual(settled.map((s) => s.split(":")[0]), ["a stopped", "b stopped"]);
  const error = new DeliveryError("stopped", "x");
  assert.equal(error.name, "DeliveryError");
  assert.ok(error instanceof Error);
});

test("SeenSet: duplicates are refused; beyond capacity the oldest is forgotten first", () => {
  const seen = new SeenSet(3);
  assert.equal(seen.add("a"), true);
  assert.equal(seen.add("a"), false);
  seen.add("b");
  seen.add("c");
  assert.equal(seen.add("d"), true); // forgets a
  assert.equal(seen.add("b"), false);
  assert.equal(seen.add("a"), true, "a was forgotten");
  assert.equal(seen.capacity, 3);
  assert.equal(new SeenSet().capacity, 100_000);
});
