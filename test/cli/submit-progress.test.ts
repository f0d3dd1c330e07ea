// `agent submit --wait` progress, end to end against a running agent: piped output stays clean
// (no status line, no control bytes), and on a terminal (a pty from util-linux `script`) the
// status line appears and is erased. Node only (spawns the Node bin).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ERASE_LINE } from "../../src/cli/progress.ts";

const AGENT = join(import.meta.dirname, "../../scripts/agent.mjs");
const nodeOnly = "Deno" in globalThis ? "spawns the Node CLI" : false;
const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
/** A task that runs until its timeout: long enough for several 500 ms refreshes. */
const SLOW = ["submit", "fault.loop", "--timeout", "2", "--wait"];

let dir = "";
let child: ChildProcess | undefined;

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  for (const name of ["NODE_OPTIONS", "P2P_AGENT_DATA_DIR", "XDG_STATE_HOME", "NO_COLOR"]) delete e[name];
  return e;
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [AGENT, ...args, "--data-dir", dir], { encoding: "utf8", env: env(), timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Control bytes a status line would leave: carriage return, escape. */
const CONTROL = /[\r\u001b]/;

before(async () => {
  if (nodeOnly) return;
  dir = await mkdtemp(join(tmpdir(), "p2p-progress-"));
  // The fault kinds (test-only) give a task that runs until its timeout.
  child = spawn(process.execPath, [AGENT, "run", "--data-dir", dir, "--no-mdns", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"], env: { ...env(), P2P_AGENT_TEST_FAULTS: "1" } });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("agent.ready not logged within 20 s")), 20_000);
    createInterface({ input: child!.stderr! }).on("line", (line) => {
      if (line.includes('"event":"agent.ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child!.once("exit", (code) => reject(new Error(`agent exited early with ${code}`)));
  });
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

test("piped: submit --wait prints the outcome only, no status line bytes on stderr", { skip: nodeOnly, timeout: 60_000 }, () => {
  const quick = cli("submit", "echo", "--input-text", "hi", "--wait");
  assert.equal(quick.code, 0, quick.stderr);
  assert.equal(quick.stdout, "hi\n");
  assert.match(quick.stderr, /^task \S+ done by \S+ in [\d.]+s\n$/);

  const slow = cli(...SLOW);
  assert.equal(slow.code, 1, slow.stderr);
  assert.equal(slow.stdout, "");
  assert.match(slow.stderr, /^agent: task \S+ failed \(\w+\): .*timeout.*\n$/, "one line: the failure");
  assert.doesNotMatch(slow.stderr, CONTROL);
  assert.doesNotMatch(slow.stderr, /running/);
});

test("on a terminal: submit --wait shows the state and time on one line, erased before the outcome", { skip: nodeOnly || (hasScript ? false : "util-linux script is not installed"), timeout: 60_000 }, () => {
  // `script -qec CMD /dev/null` runs CMD on a new pty (stdout and stderr both terminals).
  const run = (args: string[]) => {
    const command = [process.execPath, AGENT, ...args, "--data-dir", dir].map((w) => `'${w}'`).join(" ");
    const r = spawnSync("script", ["-qec", command, "/dev/null"], { encoding: "utf8", env: env(), timeout: 30_000 });
    return { code: r.status, output: r.stdout };
  };
  const shown = run(SLOW);
  assert.equal(shown.code, 1, shown.output);
  assert.ok(shown.output.includes(`${ERASE_LINE}task `), JSON.stringify(shown.output));
  assert.match(shown.output, /task \S+: (placed|running), \d\.\ds/);
  assert.ok(shown.output.includes(`${ERASE_LINE}agent: task `), "the line is erased before the failure is printed");

  const json = run([...SLOW, "--json"]);
  assert.equal(json.code, 1, json.output);
  assert.ok(!json.output.includes(ERASE_LINE), `--json shows no progress: ${JSON.stringify(json.output)}`);
  assert.match(json.output, /"state":"failed"/);
});
