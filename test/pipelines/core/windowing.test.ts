// The pieces of a pipeline below the model: reading payloads (JSON, CBOR, bare numbers, and the
// reasons bad ones are skipped), sliding windows per source topic, and rendezvous assignment.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCbor } from "../../../src/wire/cbor.ts";
import { MAX_READING_BYTES, parseReading } from "../../../src/pipelines/reading.ts";
import { BYTES_PER_READING, DEFAULT_MAX_READINGS, SlidingWindows, type EvictReason } from "../../../src/pipelines/windows.ts";
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
    if (w) got.push([...w.values, w.start, w.end]);
  }
  assert.deepEqual(got, [[1, 2, 3, 10, 30], [4, 5, 6, 40, 60]]);

  const sliding = new SlidingWindows({ size: 3, step: 1 });
  const values: number[][] = [];
  for (let i = 1; i <= 5; i++) {
    for (const topic of ["a", "b"]) {
      const w = sliding.push(topic, topic === "a" ? i : -i, i);
      if (w) values.push([...w.values]);
    }
  }
  assert.deepEqual(values, [[1, 2, 3], [-1, -2, -3], [2, 3, 4], [-2, -3, -4], [3, 4, 5], [-3, -4, -5]]);

  const step2 = new SlidingWindows({ size: 4, step: 2 });
  const cuts: number[] = [];
  for (let i = 1; i <= 10; i++) if (step2.push("a", i, i)) cuts.push(i);
  assert.deepEqual(cuts, [4, 6, 8, 10]);

  assert.throws(() => new SlidingWindows({ size: 3, step: 4 }), RangeError);
});

test("windows: the ring gives the same windows as keeping every reading, for any size, step and readings", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: -1e6, max: 1e6 })), { maxLength: 80 }), (size, stepRaw, readings) => {
      const step = Math.min(size, stepRaw);
      const windows = new SlidingWindows({ size, step });
      const all = new Map<string, number[]>();
      readings.forEach(([topic, value], at) => {
        const seen = all.get(topic) ?? [];
        all.set(topic, seen);
        seen.push(at);
        const w = windows.push(topic, value / 8, at);
        const due = seen.length >= size && (seen.length - size) % step === 0;
        assert.equal(w !== null, due);
        if (!w) return;
        const last = seen.slice(-size);
        assert.deepEqual([w.topic, w.start, w.end], [topic, last[0], last[size - 1]]);
        assert.deepEqual([...w.values], last.map((i) => readings[i]![1] / 8));
      });
    }),
  );
});

test("windows: a new topic when all sources are taken evicts the least recently seen one, and a flood of topics never locks a sensor out", () => {
  const evicted: [string, EvictReason][] = [];
  const lru = new SlidingWindows({ size: 2, step: 2, maxSources: 2, onEvict: (topic, reason) => evicted.push([topic, reason]) });
  assert.equal(lru.push("a", 1, 0), null);
  assert.equal(lru.push("b", 1, 1), null);
  assert.equal(lru.push("a", 2, 2)?.values.length, 2, "a is now the most recently seen");
  assert.equal(lru.push("c", 1, 3), null, "a new topic is taken, not refused");
  assert.deepEqual(evicted, [["b", "full"]]);
  assert.equal(lru.push("a", 3, 4), null);
  assert.deepEqual([...lru.push("a", 4, 5)!.values], [3, 4], "a kept its readings");
  assert.equal(lru.sources, 2);

  // One token publishing to 30,000 random topics, then the kitchen sensor: it still gets its windows.
  const flood = new SlidingWindows({ size: 4, step: 4 });
  let full = 0;
  const counted = new SlidingWindows({ size: 4, step: 4, onEvict: () => full++ });
  for (const w of [flood, counted]) for (let i = 0; i < 30_000; i++) w.push(`sensors/${i.toString(36)}/temperature`, i, i);
  assert.equal(flood.sources, 10_000);
  assert.equal(full, 20_000, "every eviction counted");
  const cut = [1, 2, 3, 4].map((v) => flood.push("sensors/kitchen/temperature", v, 40_000 + v));
  assert.deepEqual([...cut[3]!.values], [1, 2, 3, 4]);
});

test("windows: sources idle for idleMs are evicted; memory is budgeted in buffered readings", () => {
  const evicted: [string, EvictReason][] = [];
  const idle = new SlidingWindows({ size: 3, step: 3, idleMs: 1_000, onEvict: (topic, reason) => evicted.push([topic, reason]) });
  idle.push("a", 1, 0);
  idle.push("b", 1, 500);
  idle.push("c", 1, 900);
  idle.push("b", 2, 1_200);
  assert.deepEqual(evicted, [["a", "idle"]]);
  idle.push("d", 1, 2_150);
  assert.deepEqual(evicted, [["a", "idle"], ["c", "idle"]], "b was seen at 1200, within 1000 ms");
  assert.equal(idle.sources, 2);

  // The largest windows: the budget, not the source count, bounds memory.
  const big = new SlidingWindows({ size: 4_096, step: 4_096 });
  assert.equal(big.capacity, DEFAULT_MAX_READINGS / 4_096);
  for (let i = 0; i < 2_000; i++) big.push(`sensors/${i}/t`, i, i);
  assert.equal(big.sources, 512);
  assert.equal(big.bytes, 512 * 4_096 * BYTES_PER_READING);
  assert.ok(big.bytes <= 24 * 2 ** 20, `${big.bytes} bytes of readings at most`);
  assert.equal(new SlidingWindows({ size: 16, step: 16 }).capacity, 10_000, "small windows: the source count bounds");
  assert.equal(new SlidingWindows({ size: 16, step: 16, maxReadings: 160 }).capacity, 10);
  assert.throws(() => new SlidingWindows({ size: 16, step: 16, maxReadings: 8 }), RangeError);
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
