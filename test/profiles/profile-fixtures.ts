// Shared set-up for the profile tests: where the shipped profiles are, a valid profile to break,
// and a helper that expects a ProfileError naming a field.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ProfileError, validateProfile } from "../../src/profiles/validate-profile.ts";

/** The shipped profiles folder. */
export const PROFILES_DIR = fileURLToPath(new URL("../../profiles", import.meta.url));

/** The profiles the project ships. */
export const SHIPPED = ["gpu", "jetson-nano", "jetson-orin", "low-power", "pi3", "pi4", "pi5", "x86"];

/** A valid profile, battery limits included, as plain JSON to modify. */
export function goodProfile(): Record<string, any> {
  return {
    name: "test-board",
    description: "A board for tests.",
    concurrency: 2,
    memoryLimitMb: 512,
    inference: { executionProviders: ["cuda", "cpu"], intraOpThreads: 2, interOpThreads: 1 },
    heartbeatMs: 2000,
    power: { idleWatts: 3, busyWatts: 7.5 },
    thermal: { maxC: 80, resumeC: 70 },
    battery: { minPercent: 20, resumePercent: 40 },
    roles: ["processing", "vector"],
    brokerRank: 10,
  };
}

/** `goodProfile()` changed by `edit`. */
export function changed(edit: (p: Record<string, any>) => void): Record<string, any> {
  const p = goodProfile();
  edit(p);
  return p;
}

/** Asserts that validating `value` throws a `ProfileError` for `field` whose reason matches `reason`. */
export function refused(value: unknown, field: string, reason?: RegExp): ProfileError {
  let caught: unknown;
  try {
    validateProfile(value, "test.json");
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ProfileError, `expected a ProfileError for ${field}, got ${String(caught)}`);
  assert.equal(caught.code, "bad_profile");
  assert.equal(caught.field, field, caught.message);
  if (reason) assert.match(caught.reason, reason);
  assert.ok(caught.message.startsWith(`profile test.json: ${field === "" ? "" : `${field}: `}`), caught.message);
  return caught;
}
