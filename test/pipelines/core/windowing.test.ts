// The pieces of a pipeline below the model: reading payloads (JSON, CBOR, bare numbers, and the
// reasons bad ones are skipped), sliding windows per source topic, and rendezvous assignment.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCbor } from "../../../src/wire/cbor.ts";
import { MAX_READING_BYTES, parseReading } from "../../../src/pipelines/reading.ts";
import { SlidingWindows } from "../../../src/pipelines/windows.ts";
import { hash53, ownerOf } from "../../../src/pipelines/assignment.ts";

const text = (s: string) => new TextEncoder().encode(s);

test("readings: JSON numbers and objects, CBOR, dotted fields; bad ones give a reason", () => {
  assert.deepEqual(parseReading(text("21.5"), "value"), { ok: true, value: 21.5 });
  assert.deepEqual(parseReading(text(' {"value": -3, "unit": "C"} '), "value"), { ok: true, value: -3 });
  assert.deepEqual(parseReading(text('{"data": {"temp": 7}}'), "data.temp"), { ok: true, value: 7 });
  assert.deepEqual(parseReading(encodeCbor({ value: 19.25 }), "value"), { ok: true, value: 19.25 });
  assert.deepEqual(parseReading(encodeCbor(-40), "value"), { ok: true, value: -40 });
  assert.deepEqual(parseReading(encodeCbor({ value: 2n ** 40n }), "value"), { ok: true, value: 2 ** 40 });
  const reason = (payload: Uint8Array, field = "value") => {
    const r = parseReading(payload, field);
    return r.ok ? "ok" : r.reason;
  };
  assert.equal(reason(text("hello")), "not_json_or_cbor");
  assert.equal(reason(new Uint8Array(0)), "not_json_or_cbor");
  assert.equal(reason(Uint8Array.of(0xa1, 0x61)), "not_json_or_cbor", "truncated CBOR");
  assert.equal(reason(text('{"temp": 3}')), "no_field");
  assert.equal(reason(text('{"value": {"x": 1}}'), "value.y"), "no_field");
  assert.equal(reason(text("[1, 2]")), "no_field");
  assert.equal(reason(text('"21.5"')), "no_field");
  assert.equal(reason(text('{"value": "21.5"}')), "not_a_number");
  assert.equal(reason(text('{"value": null}')), "not_a_number");
  assert.equal(reason(encodeCbor({ value: NaN })), "not_a_number");
  assert.equal(reason(text('{"__proto__": 1}'), "constructor"), "no_field", "only own members");
  assert.equal(reason(new Uint8Array(MAX_READING_BYTES + 1)), "too_large");
});

test("readings: any bytes give a value or a reason, never a throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = parseReading(bytes, "value");
      assert.ok(r.ok ? Number.isFinite(r.value) : typeof r.reason === "string");
    }),
  );
});

test("windows: back to back by default, sliding with a smaller step, one per source topic", () => {
  const tumbling = new SlidingWindows({ size: 3, step: 3 });
  const got: number[][] = [];
  for (let i = 1; i <= 7; i++) {
    const w = tumbling.push("a", i, i * 10);
    if (w && w !== "too_many_sources") got.push([...w.values, w.start, w.end]);
  }
  assert.deepEqual(got, [[1, 2, 3, 10, 30], [4, 5, 6, 40, 60]]);

  const sliding = new SlidingWindows({ size: 3, step: 1 });
  const values: number[][] = [];
  for (let i = 1; i <= 5; i++) {
    for (const topic of ["a", "b"]) {
      const w = sliding.push(topic, topic === "a" ? i : -i, i);
      if (w && w !== "too_many_sources") values.push([...w.values]);
    }
  }
  assert.deepEqual(values, [[1, 2, 3], [-1, -2, -3], [2, 3, 4], [-2, -3, -4], [3, 4, 5], [-3, -4, -5]]);

  const step2 = new SlidingWindows({ size: 4, step: 2 });
  const cuts: number[] = [];
  for (let i = 1; i <= 10; i++) if (step2.push("a", i, i)) cuts.push(i);
  assert.deepEqual(cuts, [4, 6, 8, 10]);

  const bounded = new SlidingWindows({ size: 2, step: 2, maxSources: 2 });
  assert.equal(bounded.push("a", 1, 0), null);
  assert.equal(bounded.push("b", 1, 0), null);
  assert.equal(bounded.push("c", 1, 0), "too_many_sources");
  assert.equal(bounded.sources, 2);
  assert.throws(() => new SlidingWindows({ size: 3, step: 4 }), RangeError);
});

test("assignment: every candidate list gives one owner that lists the pipeline; only the leaver's pipelines move", () => {
  const ids = ["alpha", "bravo", "charlie", "delta"];
  const all = ids.map((id) => ({ id, names: ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"] }));
  const owners = new Map(all[0]!.names.map((n) => [n, ownerOf(n, all)]));
  assert.equal(new Set(owners.values()).size > 1, true, "pipelines spread over several peers");
  const leaver = owners.get("p0")!;
  const rest = all.filter((c) => c.id !== leaver);
  for (const [name, owner] of owners) {
    const after = ownerOf(name, rest);
    if (owner === leaver) assert.notEqual(after, leaver);
    else assert.equal(after, owner, `${name} stays on ${owner}`);
    assert.equal(ownerOf(name, [...rest].reverse()), after, "order does not matter");
  }
  assert.equal(ownerOf("p0", [{ id: "x", names: ["other"] }]), null);
  assert.equal(ownerOf("p0", [{ id: "x", names: ["other"] }, { id: "y", names: ["p0"] }]), "y");
  assert.equal(hash53("pipeline\nagent"), hash53("pipeline\nagent"));
  assert.ok(Number.isSafeInteger(hash53("x")));
});
