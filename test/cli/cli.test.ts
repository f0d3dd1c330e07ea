// The `agent` command end to end: spawns the real bin (`node scripts/agent.mjs`) and checks exit
// codes and output. Node only: under Deno these tests are skipped (they spawn `node`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { withTempDir } from "../runtime/helpers.ts";

const BIN = fileURLToPath(new URL("../../scripts/agent.mjs", import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL("../../package.json", import.meta.url));
const nodeOnly = { skip: "Deno" in globalThis ? "spawns the Node bin" : false };

/** Runs the agent bin with `args` and `env` added to a clean environment. */
function agent(args: string[], env: Record<string, string> = {}) {
  const base = { ...process.env };
  for (const name of ["P2P_AGENT_DATA_DIR", "XDG_STATE_HOME", "NODE_OPTIONS"]) delete base[name];
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...base, ...env }, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The lines of `text` without the final newline. */
const linesOf = (text: string) => (text === "" ? [] : text.replace(/\n$/, "").split("\n"));

/** Asserts a failure: exit `code`, nothing on stdout, one `agent: ...` line on stderr, no stack. */
function assertOneLineError(run: ReturnType<typeof agent>, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`);
  assert.equal(run.stdout, "");
  const lines = linesOf(run.stderr);
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^agent: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
}

test("agent id creates an identity once and prints the same 52-character ID each time", nodeOnly, async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/data`;
    const first = agent(["id", "--data-dir", dataDir]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, "");
    assert.match(first.stdout, /^[a-z2-7]{52}\n$/);
    const second = agent(["id", `--data-dir=${dataDir}`]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
    const key = JSON.parse(await readFile(`${dataDir}/identity.json`, "utf8"));
    assert.equal(`${key.id}\n`, first.stdout);
    // The environment variable names the same data dir when no flag is given.
    const viaEnv = agent(["id"], { P2P_AGENT_DATA_DIR: dataDir });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(viaEnv.stdout, first.stdout);
  });
});

test("agent --version prints the package.json version", nodeOnly, async () => {
  const { version } = JSON.parse(await readFile(PACKAGE_JSON, "utf8"));
  const run = agent(["--version"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${version}\n`);
  assert.equal(run.stderr, "");
});

test("agent --help, agent help, agent id --help and agent help id exit 0 with usage text", nodeOnly, () => {
  for (const args of [["--help"], ["help"]]) {
    const run = agent(args);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: agent /m);
    assert.equal(run.stderr, "");
  }
  // The overview lists the commands.
  assert.match(agent(["help"]).stdout, /^\s+id\s/m);
  for (const args of [["id", "--help"], ["help", "id"]]) {
    const run = agent(args);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: agent id/);
  }
});

test("usage mistakes exit 2 with one line on stderr and no stack trace", nodeOnly, () => {
  assertOneLineError(agent(["--no-such-option"]), 2, /--no-such-option/);
  assertOneLineError(agent(["id", "--bogus"]), 2, /--bogus/);
  assertOneLineError(agent(["id", "-x"]), 2, /-x/);
  assertOneLineError(agent(["id", "--data-dir"]), 2, /--data-dir needs a value/);
  assertOneLineError(agent(["id", "extra"]), 2, /extra/);
  assertOneLineError(agent(["frobnicate"]), 2, /frobnicate/);
  assertOneLineError(agent(["help", "frobnicate"]), 2, /frobnicate/);
});

test("an exposed key file makes agent id exit 1 with one line", nodeOnly, async () => {
  await withTempDir(async (dir) => {
    assert.equal(agent(["id", "--data-dir", dir]).code, 0);
    await chmod(`${dir}/identity.json`, 0o644);
    assertOneLineError(agent(["id", "--data-dir", dir]), 1, /identity\.json.*0644/);
  });
});

test("a corrupt key file makes agent id exit 1 with one line", nodeOnly, async () => {
  await withTempDir(async (dir) => {
    await writeFile(`${dir}/identity.json`, "{ not json", { mode: 0o600 });
    assertOneLineError(agent(["id", "--data-dir", dir]), 1, /not valid JSON/);
  });
});
