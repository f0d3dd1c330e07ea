// The task journal on real files in a temporary directory: write/read round trip, load resumes
// what has no outcome, delivered entries past keepMs are collected, unreadable files are removed.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFiles } from "../../../src/adapters/node/files-node.ts";
import { TaskJournal, type JournalEntry } from "../../../src/tasks/journal.ts";
import type { TaskOutcome } from "../../../src/tasks/task.ts";

const NOW = 1_700_000_000_000;
const HOUR = 3600_000;

function entry(id: string, over: Partial<JournalEntry> = {}): JournalEntry {
  return {
    spec: { id, kind: "sha256", priority: 5, input: new Uint8Array([1, 2, 3]), params: { timeoutMs: 1000 }, deadline: NOW + 300_000, quorum: 1, private: false },
    origin: "local",
    submittedAt: NOW,
    outcome: null,
    delivered: false,
    ...over,
  };
}

const done = (id: string): TaskOutcome => ({ id, state: "done", output: "ab12", worker: "w1", workers: ["w1"], durationMs: 12 });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "p2p-journal-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("journal: write then read gives the same entry (bytes, numbers past 2^32 and all)", () =>
  withDir(async (dir) => {
    const j = new TaskJournal(nodeFiles, dir);
    const e = entry("t1");
    await j.write(e);
    assert.deepEqual(await j.read("t1"), e);
    assert.equal(await j.read("missing"), null);
    const finished = { ...e, outcome: done("t1"), delivered: true };
    await j.write(finished);
    assert.deepEqual(await j.read("t1"), finished, "a later write replaces the entry");
    assert.deepEqual(await readdir(join(dir, "tasks")), ["t1.task"], "one file per task, no temporary files left");
  }));

test("journal: load returns pending and undelivered entries, so a new coordinator resumes them", () =>
  withDir(async (dir) => {
    const j = new TaskJournal(nodeFiles, dir);
    await j.write(entry("pending"));
    await j.write(entry("finished-undelivered", { outcome: done("finished-undelivered"), origin: "peer-abc" }));
    await j.write(entry("delivered-recent", { outcome: done("delivered-recent"), delivered: true }));
    const fresh = new TaskJournal(nodeFiles, dir); // as after a restart
    const loaded = await fresh.load(NOW + HOUR);
    assert.deepEqual(loaded.map((e) => e.spec.id).sort(), ["delivered-recent", "finished-undelivered", "pending"]);
    assert.equal(loaded.find((e) => e.spec.id === "pending")!.outcome, null);
  }));

test("journal: load removes delivered entries older than keepMs and keeps the rest", () =>
  withDir(async (dir) => {
    const j = new TaskJournal(nodeFiles, dir, 2 * HOUR);
    await j.write(entry("old-delivered", { outcome: done("old-delivered"), delivered: true }));
    await j.write(entry("old-pending"));
    await j.write(entry("old-undelivered", { outcome: done("old-undelivered") }));
    await j.write(entry("new-delivered", { outcome: done("new-delivered"), delivered: true, submittedAt: NOW + 2 * HOUR }));
    const loaded = await j.load(NOW + 3 * HOUR);
    assert.deepEqual(loaded.map((e) => e.spec.id).sort(), ["new-delivered", "old-pending", "old-undelivered"]);
    assert.deepEqual((await readdir(join(dir, "tasks"))).sort(), ["new-delivered.task", "old-pending.task", "old-undelivered.task"]);
    assert.equal(await j.read("old-delivered"), null);
  }));

test("journal: a corrupt file is removed on load and the others still load", () =>
  withDir(async (dir) => {
    const j = new TaskJournal(nodeFiles, dir);
    await j.write(entry("good"));
    await writeFile(join(dir, "tasks", "bad.task"), new Uint8Array([0xff, 0x00, 0x13, 0x37]));
    await writeFile(join(dir, "tasks", "notes.txt"), "not a task file");
    assert.equal(await j.read("bad"), null, "read treats it as absent");
    const loaded = await j.load(NOW);
    assert.deepEqual(loaded.map((e) => e.spec.id), ["good"]);
    assert.deepEqual((await readdir(join(dir, "tasks"))).sort(), ["good.task", "notes.txt"], "the corrupt file is gone; other files are left alone");
  }));

test("journal: load on a data dir without a tasks folder is empty", () =>
  withDir(async (dir) => {
    assert.deepEqual(await new TaskJournal(nodeFiles, dir).load(NOW), []);
  }));
