// The shipped profiles, and loading by name and by path through the real Files adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { listProfiles, loadProfile } from "../../src/profiles/load-profile.ts";
import { ProfileError } from "../../src/profiles/validate-profile.ts";
import { PROFILES_DIR, SHIPPED, goodProfile } from "./profile-fixtures.ts";

const { files } = await selectRuntime();

/** Runs `fn` with a temporary folder holding `entries` (file name → contents). */
async function withDir<T>(entries: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "p2p-profiles-"));
  try {
    for (const [name, text] of Object.entries(entries)) await writeFile(join(dir, name), text);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The ProfileError `promise` rejects with. */
async function profileError(promise: Promise<unknown>): Promise<ProfileError> {
  const error = await promise.then(
    () => assert.fail("resolved"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProfileError, String(error));
  return error;
}

test("the profiles folder lists exactly the shipped profiles (not the schema)", async () => {
  assert.deepEqual(await listProfiles(files, PROFILES_DIR), SHIPPED);
});

test("every shipped profile loads by name and validates", async () => {
  for (const name of SHIPPED) {
    const p = await loadProfile(files, name, PROFILES_DIR);
    assert.equal(p.name, name);
    assert.equal(p.inference.executionProviders.at(-1), "cpu");
  }
});

test("shipped broker ranks follow the design: never on pi3 and low-power, highest on gpu", async () => {
  const ranks: Record<string, number> = {};
  for (const name of SHIPPED) ranks[name] = (await loadProfile(files, name, PROFILES_DIR)).brokerRank;
  assert.deepEqual(ranks, { gpu: 80, "jetson-nano": 30, "jetson-orin": 60, "low-power": 0, pi3: 0, pi4: 20, pi5: 40, x86: 70 });
});

test("shipped profiles do not oversubscribe the smallest board they are for", async () => {
  // The smallest memory each profile is chosen for (hardware/boards.json floors), MiB, and cores.
  const smallest: Record<string, { memMb: number; cores: number }> = {
    pi3: { memMb: 900, cores: 4 }, pi4: { memMb: 1800, cores: 4 }, pi5: { memMb: 3900, cores: 4 },
    "jetson-nano": { memMb: 3900, cores: 4 }, "jetson-orin": { memMb: 7400, cores: 6 },
    gpu: { memMb: 31000, cores: 8 }, x86: { memMb: 7600, cores: 4 }, "low-power": { memMb: 400, cores: 1 },
  };
  for (const name of SHIPPED) {
    const p = await loadProfile(files, name, PROFILES_DIR);
    const board = smallest[name]!;
    assert.ok(p.concurrency * p.memoryLimitMb <= board.memMb * 0.8, `${name}: ${p.concurrency} × ${p.memoryLimitMb} MiB leaves too little of ${board.memMb} MiB`);
    assert.ok(p.concurrency * Math.max(1, p.inference.intraOpThreads) <= Math.max(board.cores, 1) * 2, `${name}: too many inference threads`);
  }
});

test("a profile loads from a path ending in .json, whatever its name", async () => {
  await withDir({ "mine.json": JSON.stringify({ ...goodProfile(), name: "garden-pi" }) }, async (dir) => {
    const p = await loadProfile(files, join(dir, "mine.json"), PROFILES_DIR);
    assert.equal(p.name, "garden-pi");
    assert.equal(p.thermal.resumeC, 70);
  });
});

test("a missing .json path is profile_not_found and names the path", async () => {
  const e = await profileError(loadProfile(files, "/no/such/board.json", PROFILES_DIR));
  assert.equal(e.code, "profile_not_found");
  assert.equal(e.message, "profile /no/such/board.json: no such file");
});

test("an unknown name is profile_not_found and lists the profiles available", async () => {
  for (const name of ["jetson", "schema", "Bad Name"]) {
    const e = await profileError(loadProfile(files, name, PROFILES_DIR));
    assert.equal(e.code, "profile_not_found");
    assert.equal(e.message, `unknown profile ${JSON.stringify(name)}; available: ${SHIPPED.join(", ")}, or give a path ending in .json`);
  }
  await withDir({}, async (dir) => {
    const e = await profileError(loadProfile(files, "pi4", dir));
    assert.match(e.message, /there are no profiles in /);
  });
});

test("a profile in the folder must be named after its file", async () => {
  await withDir({ "pi9.json": JSON.stringify({ ...goodProfile(), name: "pi8" }) }, async (dir) => {
    assert.deepEqual(await listProfiles(files, dir), ["pi9"]);
    const e = await profileError(loadProfile(files, "pi9", dir));
    assert.equal(e.code, "bad_profile");
    assert.equal(e.field, "name");
    assert.match(e.message, /pi9\.json: name: must match the file name "pi9", got "pi8"$/);
  });
});

test("a file that is not JSON is bad_profile and names the file", async () => {
  await withDir({ "broken.json": '{ "name": "broken", ' }, async (dir) => {
    const e = await profileError(loadProfile(files, "broken", dir));
    assert.equal(e.code, "bad_profile");
    assert.equal(e.field, "");
    assert.match(e.message, /broken\.json: is not valid JSON/);
  });
});

test("a bad field in a file names the file and the field", async () => {
  const bad = { ...goodProfile(), thermal: { maxC: 80, resumeC: 85 } };
  await withDir({ "hot.json": JSON.stringify(bad) }, async (dir) => {
    const e = await profileError(loadProfile(files, join(dir, "hot.json"), PROFILES_DIR));
    assert.equal(e.message, `profile ${join(dir, "hot.json")}: thermal.resumeC: must be below thermal.maxC (80), got 85`);
  });
});

test("listProfiles of a missing folder is empty; a bad ref is a TypeError", async () => {
  assert.deepEqual(await listProfiles(files, `${PROFILES_DIR}/nope`), []);
  await assert.rejects(loadProfile(files, "", PROFILES_DIR), TypeError);
});
