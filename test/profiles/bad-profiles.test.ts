// One test per kind of mistake in a profile: each is refused with the field named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateProfile } from "../../src/profiles/validate-profile.ts";
import { changed, goodProfile, refused } from "./profile-fixtures.ts";

test("the base profile used below is valid, and comes back frozen", () => {
  const p = validateProfile(goodProfile());
  assert.equal(p.name, "test-board");
  assert.ok(Object.isFrozen(p) && Object.isFrozen(p.inference) && Object.isFrozen(p.roles) && Object.isFrozen(p.battery));
});

test("not an object at all", () => {
  for (const v of [null, [], "pi4", 42]) refused(v, "", /expected an object/);
});

test("a missing field", () => {
  refused(changed((p) => delete p.concurrency), "concurrency", /required field is missing/);
  refused(changed((p) => delete p.thermal.resumeC), "thermal.resumeC", /required field is missing/);
});

test("an unknown field, at the top or nested (a typo)", () => {
  refused(changed((p) => (p.concurency = 2)), "concurency", /unknown field/);
  refused(changed((p) => (p.thermal.maxF = 176)), "thermal.maxF", /unknown field/);
});

test("a nested object that is not an object", () => {
  refused(changed((p) => (p.thermal = 80)), "thermal", /expected an object, got 80/);
  refused(changed((p) => (p.battery = false)), "battery", /expected an object, got false/);
});

test("a name with capitals or spaces, too long, or the reserved auto", () => {
  refused(changed((p) => (p.name = "Pi 4")), "name", /lower-case letters, digits and dashes, got "Pi 4"/);
  refused(changed((p) => (p.name = "a".repeat(33))), "name");
  refused(changed((p) => (p.name = "auto")), "name", /reserved for detection/);
});

test("an empty description", () => {
  refused(changed((p) => (p.description = "  ")), "description", /non-empty/);
});

test("a number given as a string", () => {
  refused(changed((p) => (p.heartbeatMs = "2000")), "heartbeatMs", /expected an integer from 100 to 600000, got "2000"/);
  refused(changed((p) => (p.power.idleWatts = "3")), "power.idleWatts", /got "3"/);
});

test("a fraction where a whole number is needed", () => {
  refused(changed((p) => (p.concurrency = 1.5)), "concurrency", /expected an integer from 1 to 256, got 1.5/);
});

test("a number out of range", () => {
  refused(changed((p) => (p.concurrency = 0)), "concurrency", /got 0/);
  refused(changed((p) => (p.brokerRank = 101)), "brokerRank", /from 0 to 100, got 101/);
  refused(changed((p) => (p.power.idleWatts = 0)), "power.idleWatts", /above 0/);
  refused(changed((p) => (p.battery.minPercent = -5)), "battery.minPercent", /at least 0/);
  refused(changed((p) => (p.thermal.maxC = 200)), "thermal.maxC", /at most 125, got 200/);
});

test("resume temperature not below the maximum", () => {
  const e = refused(changed((p) => (p.thermal.resumeC = 80)), "thermal.resumeC");
  assert.equal(e.reason, "must be below thermal.maxC (80), got 80");
  assert.equal(e.message, "profile test.json: thermal.resumeC: must be below thermal.maxC (80), got 80");
});

test("busy power below idle power", () => {
  refused(changed((p) => (p.power.busyWatts = 2)), "power.busyWatts", /must be at least power\.idleWatts \(3\), got 2/);
});

test("battery resume level not above the stop level", () => {
  refused(changed((p) => (p.battery.resumePercent = 20)), "battery.resumePercent", /must be above battery\.minPercent \(20\), got 20/);
});

test("an unknown execution provider", () => {
  refused(changed((p) => (p.inference.executionProviders = ["rocm", "cpu"])), "inference.executionProviders[0]", /unknown execution provider "rocm"; expected one of tensorrt, cuda, cpu/);
});

test("an execution provider listed twice", () => {
  refused(changed((p) => (p.inference.executionProviders = ["cuda", "cuda", "cpu"])), "inference.executionProviders[1]", /"cuda" is listed twice/);
});

test("execution providers empty, not a list, or without cpu last", () => {
  refused(changed((p) => (p.inference.executionProviders = [])), "inference.executionProviders", /non-empty list/);
  refused(changed((p) => (p.inference.executionProviders = "cpu")), "inference.executionProviders", /non-empty list/);
  refused(changed((p) => (p.inference.executionProviders = ["cpu", "cuda"])), "inference.executionProviders", /must end with "cpu"/);
});

test("an unknown role, a role twice, or no roles", () => {
  refused(changed((p) => (p.roles = ["processing", "broker"])), "roles[1]", /unknown role "broker"/);
  refused(changed((p) => (p.roles = ["vector", "vector"])), "roles[1]", /listed twice/);
  refused(changed((p) => (p.roles = [])), "roles", /non-empty list/);
});

test("a $schema that is not a string", () => {
  refused(changed((p) => (p.$schema = 1)), "$schema", /expected a string/);
  assert.equal(validateProfile(changed((p) => (p.$schema = "./schema.json"))).name, "test-board");
});

test("the first bad field is the one named, in document order", () => {
  refused(changed((p) => ((p.concurrency = 0), (p.brokerRank = -1))), "concurrency");
});

test("without a source the message is just the field and the reason", () => {
  assert.throws(() => validateProfile(changed((p) => (p.thermal.resumeC = 90))), { name: "ProfileError", message: "thermal.resumeC: must be below thermal.maxC (80), got 90" });
});
