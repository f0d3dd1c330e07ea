// The limits guard's hysteresis, fed sequences of readings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LimitsGuard, type GuardReadings, type GuardState } from "../../src/sensors/limits-guard.ts";

const thermal = { maxC: 80, resumeC: 70 };
const battery = { minPercent: 20, resumePercent: 40 };

/** A guard with the limits above, recording every `onChange`. */
function guard(limits: { battery?: typeof battery | null } = {}) {
  const changes: GuardState[] = [];
  const g = new LimitsGuard({ thermal, battery: limits.battery === undefined ? battery : limits.battery, onChange: (s) => changes.push(s) });
  /** Feeds `readings` in turn and returns whether work was accepted after each. */
  const run = (...readings: GuardReadings[]) => readings.map((r) => g.update(r).accepting);
  return { g, changes, run };
}
const temps = (...cs: (number | null)[]) => cs.map((temperatureC) => ({ temperatureC }));
const bat = (percent: number, discharging = true) => ({ battery: { percent, discharging } });

test("starts accepting, within limits, without calling onChange", () => {
  const { g, changes } = guard();
  assert.deepEqual(g.state, { accepting: true, reason: "within limits" });
  assert.deepEqual(g.update({}), { accepting: true, reason: "within limits" });
  assert.equal(changes.length, 0);
});

test("temperature: stops at maxC, stays stopped between resumeC and maxC, resumes below resumeC", () => {
  const { run, changes } = guard();
  assert.deepEqual(run(...temps(60, 79.9, 80, 85, 75, 70, 69.9, 75, 79)), [true, true, false, false, false, false, true, true, true]);
  assert.deepEqual(changes, [
    { accepting: false, reason: "temperature 80 °C reached 80 °C; resumes below 70 °C" },
    { accepting: true, reason: "temperature 69.9 °C is below 70 °C: accepting work again" },
  ]);
});

test("temperature hovering around maxC does not flap", () => {
  const { run, changes } = guard();
  run(...temps(79, 80, 79, 80.5, 79.5, 80, 78));
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.accepting, false);
});

test("a missing temperature reading (null) keeps the thermal state either way", () => {
  const { run } = guard();
  assert.deepEqual(run(...temps(null, 85, null, null, 60, null)), [true, false, false, false, true, true]);
  assert.deepEqual(run({ temperatureC: Number.NaN }), [true]);
});

test("battery: stops below minPercent while discharging, resumes above resumePercent", () => {
  const { run, changes } = guard();
  assert.deepEqual(run(bat(50), bat(20), bat(19.5), bat(30), bat(40), bat(41), bat(25)), [true, true, false, false, false, true, true]);
  assert.deepEqual(changes.map((c) => c.reason), [
    "battery 20% and discharging, below 20%; resumes above 40% or when charging",
    "battery 41% is above 40%: accepting work again",
  ]);
});

test("battery: charging resumes at once; low but charging never stops", () => {
  const { run, changes } = guard();
  assert.deepEqual(run(bat(10), bat(10, false), bat(5, false), bat(12), bat(12, false)), [false, true, true, false, true]);
  assert.equal(changes[1]!.reason, "battery 10% and charging: accepting work again");
});

test("battery: a battery that goes away (null) lifts the stop; no reading (undefined) does not", () => {
  const { run, changes } = guard();
  assert.deepEqual(run(bat(5), {}, { temperatureC: 50 }, { battery: null }), [false, false, false, true]);
  assert.equal(changes.at(-1)!.reason, "battery no longer present: accepting work again");
});

test("a mains-only profile (battery null) ignores battery readings", () => {
  const { run, changes } = guard({ battery: null });
  assert.deepEqual(run(bat(1), bat(0)), [true, true]);
  assert.equal(changes.length, 0);
});

test("both limits: work resumes only when both clear, and each change of cause is reported", () => {
  const { run, changes } = guard();
  const steps = [
    { temperatureC: 82 }, // hot
    { temperatureC: 82, ...bat(15) }, // hot and flat
    { temperatureC: 65 }, // cool, still flat
    bat(45), // both clear
  ];
  assert.deepEqual(run(...steps), [false, false, false, true]);
  assert.deepEqual(changes.map((c) => c.accepting), [false, false, false, true]);
  assert.equal(changes[1]!.reason, "temperature 82 °C reached 80 °C; resumes below 70 °C; battery 15% and discharging, below 20%; resumes above 40% or when charging");
  assert.equal(changes[2]!.reason, "battery 15% and discharging, below 20%; resumes above 40% or when charging");
  assert.equal(changes[3]!.reason, "battery 45% is above 40%: accepting work again");
});

test("update returns the same frozen state the getter gives", () => {
  const { g } = guard();
  const s = g.update({ temperatureC: 90 });
  assert.equal(s, g.state);
  assert.ok(Object.isFrozen(s));
});
