// `agent bench` end to end: spawns the real bin (`node scripts/agent.mjs`) for a short self-test.
// Node only: under Deno these tests are skipped (they spawn `node`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";

const BIN = fileURLToPath(new URL("../../scripts/agent.mjs", import.meta.url));
const nodeOnly = { skip: "Deno" in globalThis ? "spawns the Node bin" : false };

function agent(args: string[]) {
  const env = { ...process.env };
  delete env["NODE_OPTIONS"];
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("agent bench --seconds 0.2 --json prints one JSON object with positive figures", nodeOnly, () => {
  const run = agent(["bench", "--seconds", "0.2", "--json"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got:\n${run.stdout}`);
  const figures = JSON.parse(lines[0]!);
  for (const name of ["signPerSec", "verifyPerSec", "envelopesPerSec", "echoJobsPerSec", "envelopeBytes", "workerThreads", "cores"]) {
    assert.ok(Number.isFinite(figures[name]) && figures[name] > 0, `${name}: ${figures[name]}`);
  }
  assert.equal(figures.seconds, 0.2);
  assert.equal(figures.runtime, "node");
  assert.equal(figures.ed25519, "node", "the native path on Node");
});

test("agent bench without --json prints one line per figure", nodeOnly, () => {
  const run = agent(["bench", "--seconds=0.1"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^agent bench: node /);
  for (const label of [/^Ed25519 sign \(node\) +[\d,]+ \/s$/m, /^Ed25519 verify \(node\) +[\d,]+ \/s$/m, /^envelopes sealed\+opened \(\d+ bytes\) +[\d,]+ \/s$/m, /^echo jobs, \d+ worker threads? +[\d,]+ \/s$/m]) {
    assert.match(run.stdout, label);
  }
});

test("agent bench with a bad --seconds exits 2 with one line on stderr", nodeOnly, () => {
  for (const bad of ["abc", "0", "-1", "61", ""]) {
    const run = agent(["bench", "--seconds", bad]);
    assert.equal(run.code, 2, `--seconds ${JSON.stringify(bad)}: ${run.stderr}`);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^agent: --seconds /);
  }
  assert.equal(agent(["bench", "extra"]).code, 2);
});
