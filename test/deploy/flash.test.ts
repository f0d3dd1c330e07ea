// scripts/flash end to end: a real sshd on the "device" host of a two-namespace LAN
// (test/deploy/sshd-lab.ts), the flash script on the other host, and this machine's single
// executable built for the test. The device cannot run systemd, so the script's --prefix,
// --systemctl and --useradd hooks point at a temporary root and recording fakes. The copied
// executable then runs on the device side (--version). Also: refusals and --dry-run, which need
// no network. Traffic stays inside the test's namespaces.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, readdirSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "../../build/bundle.ts";
import { buildAll } from "../../build/build.ts";
import type { Arch } from "../../build/node-runtime.ts";
import { cleanEnv, SKIP_SEA } from "../build/helpers.ts";
import { ip, netnsUnavailable, runIn } from "../support/netns.ts";
import { sshToolsUnavailable, startSshLab, type SshLab } from "./sshd-lab.ts";

const FLASH = join(ROOT, "scripts", "flash");
const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
// The executable for this machine's CPU, so the device side can run the copy without qemu.
const ARCH: Arch = process.arch === "arm64" ? "arm64" : "x64";
const SKIP = SKIP_SEA || netnsUnavailable() || sshToolsUnavailable() || false;

let work = "";
let binary = "";
let buildError: Error | undefined;
let lab: SshLab | undefined;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "p2p-flash-test-"));
  if (SKIP) return;
  try {
    binary = (await buildAll({ outDir: join(work, "dist"), arches: [ARCH], log: () => {} })).executables[ARCH]!.path;
  } catch (error) {
    buildError = error as Error;
  }
});
after(async () => {
  await lab?.stop();
  if (work !== "") await rm(work, { recursive: true, force: true });
});

/** Runs scripts/flash here (no network) to completion. */
function flashHere(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("bash", [FLASH, ...args], { encoding: "utf8", env: cleanEnv(), timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A file that passes the script's ELF check for `arch` (the header only). */
async function fakeElf(name: string, arch: Arch): Promise<string> {
  const header = Buffer.alloc(64);
  header.write("\x7fELF", 0, "latin1");
  header.writeUInt16LE(arch === "x64" ? 0x3e : 0xb7, 18);
  const path = join(work, name);
  await writeFile(path, header);
  return path;
}

test("refuses clearly when the executable is missing, before connecting anywhere", () => {
  const r = flashHere(["--binary", join(work, "no-such-file"), "pi@192.0.2.1"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /no-such-file not found; run npm run build first/);
  assert.equal(r.stdout, "");
});

test("refuses an executable for the other CPU, and usage mistakes with exit 2", async () => {
  const arm = await fakeElf("arm.elf", "arm64");
  const wrong = flashHere(["--arch", "x64", "--binary", arm, "pi@192.0.2.1"]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /is not a linux-x64 executable/);
  for (const [args, message] of [
    [[], /missing USER@HOST/],
    [["--arch", "riscv", "h"], /--arch expected arm64 or x64/],
    [["--port", "0", "h"], /--port expected 1-65535/],
    [["--profile", "my pi", "h"], /--profile expected/],
    [["--prefix", "relative", "h"], /--prefix expected an absolute path/],
    [["--bogus", "h"], /unknown option --bogus/],
    [["a@b", "c@d"], /one USER@HOST only/],
  ] as const) {
    const r = flashHere([...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const help = flashHere(["--help"]);
  assert.equal(help.code, 0);
  for (const option of ["--arch", "--profile", "--port", "--identity", "--dry-run", "--prefix", "--systemctl", "--useradd"]) assert.ok(help.stdout.includes(option), option);
});

test("--dry-run prints the ssh and scp commands and the env file, and connects to nothing", async () => {
  const arm = await fakeElf("dry.elf", "arm64");
  const r = flashHere(["--dry-run", "--binary", arm, "--profile", "pi5", "--port", "2200", "pi@192.0.2.1"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines.filter((l) => l.startsWith("+ ssh ")).length, 2, r.stdout);
  assert.ok(lines.some((l) => l.startsWith("+ scp ") && l.includes("-P 2200") && l.includes("pi@192.0.2.1:REMOTE_TMP/")), r.stdout);
  assert.ok(lines.some((l) => l.startsWith("+ ssh ") && l.includes("install.sh")), r.stdout);
  assert.ok(lines.includes('  AGENT_ARGS="--profile pi5 --broker auto"'), r.stdout);
});

/** The fake systemctl and useradd: each call appends its arguments (one per line) and `--`. */
async function fakeTools(dir: string): Promise<{ systemctl: string; useradd: string; calls(name: string): Promise<string[][]> }> {
  await mkdir(dir, { recursive: true });
  const record = (name: string, extra = "") =>
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >>'${dir}/${name}.log'\necho -- >>'${dir}/${name}.log'\n${extra}exit 0\n`;
  // is-active answers "inactive" (3) unless the file `active` exists: the service's state.
  await writeFile(join(dir, "systemctl"), record("systemctl", `if [ "$1" = is-active ]; then [ -e '${dir}/active' ] || exit 3; fi\n`));
  await writeFile(join(dir, "useradd"), record("useradd"));
  await chmod(join(dir, "systemctl"), 0o755);
  await chmod(join(dir, "useradd"), 0o755);
  const calls = async (name: string) => {
    const text = await readFile(join(dir, `${name}.log`), "utf8").catch(() => "");
    return text.split("--\n").slice(0, -1).map((call) => call.split("\n").slice(0, -1));
  };
  return { systemctl: join(dir, "systemctl"), useradd: join(dir, "useradd"), calls };
}

/** Runs scripts/flash on the lab's client host against its device host. */
async function flashOverSsh(t: { diagnostic(m: string): void }, extra: string[], prefix: string, tools: { systemctl: string; useradd: string }) {
  const l = lab!;
  const args = ["--arch", ARCH, "--binary", binary, "--port", String(l.port), "--identity", l.key, "--prefix", prefix, "--systemctl", tools.systemctl, "--useradd", tools.useradd];
  for (const o of l.sshOptions) args.push("--ssh-option", o);
  const started = Date.now();
  const proc = runIn(l.client.ns, "flash", "bash", [FLASH, ...args, ...extra, `root@${l.device.address}`], { env: cleanEnv() });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  const exit = await proc.exited;
  clearTimeout(timer);
  t.diagnostic(`flash took ${Date.now() - started} ms`);
  assert.equal(exit.code, 0, `flash exited ${JSON.stringify(exit)}:\n${proc.tail(40)}\n--- sshd ---\n${l.sshd.tail(20)}`);
  return proc.raw.join("\n");
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Temporary folders the script makes here (p2p-flash.*) and on the device (p2p-agent-flash.*). */
function flashTemps(): string[] {
  return readdirSync("/tmp").filter((n) => n.startsWith("p2p-flash.") || n.startsWith("p2p-agent-flash."));
}

const userExists = spawnSync("id", ["-u", "p2p-agent"]).status === 0;

test("flashes over SSH into a namespace: executable, unit, env file and helper land with their modes; user and systemd set up; the copy runs there", { skip: SKIP, timeout: 300_000 }, async (t) => {
  if (buildError) return t.skip(`cannot build the ${ARCH} executable: ${buildError.message}`);
  lab = await startSshLab(join(work, "ssh"), { subnet: 9, port: 2222 });
  const prefix = join(work, "device-root");
  const tools = await fakeTools(join(work, "tools"));
  const tempsBefore = flashTemps();
  const output = await flashOverSsh(t, ["--profile", "pi4"], prefix, tools);

  const bin = join(prefix, "usr/local/bin/p2p-agent");
  assert.equal(await mode(bin), 0o755);
  assert.equal(await sha256(bin), await sha256(binary), "the executable arrived intact");
  const helper = join(prefix, "usr/local/bin/agent");
  assert.equal(await mode(helper), 0o755);
  assert.equal(await readFile(helper, "utf8"), await readFile(join(ROOT, "hardware/agent"), "utf8"));
  const unit = join(prefix, "etc/systemd/system/p2p-agent.service");
  assert.equal(await mode(unit), 0o644);
  assert.equal(await readFile(unit, "utf8"), await readFile(join(ROOT, "hardware/p2p-agent.service"), "utf8"));
  const env = join(prefix, "etc/p2p-agent/agent.env");
  assert.equal(await mode(env), 0o644);
  const settings = (await readFile(env, "utf8")).split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  assert.deepEqual(settings, ['AGENT_ARGS="--profile pi4 --broker auto"']);

  if (userExists) {
    assert.deepEqual(await tools.calls("useradd"), [], "the user exists here, so no useradd");
    assert.match(output, /user p2p-agent exists/);
  } else {
    assert.deepEqual(await tools.calls("useradd"), [
      ["--system", "--user-group", "--home-dir", "/var/lib/p2p-agent", "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "p2p-agent service", "p2p-agent"],
    ]);
  }
  assert.deepEqual(await tools.calls("systemctl"), [["is-active", "--quiet", "p2p-agent"], ["daemon-reload"], ["enable", "--now", "p2p-agent"]]);

  // One login for the whole flash (the ssh connection is shared); nothing left running or lying
  // around on either side.
  assert.equal(lab!.logins(), 1);
  assert.equal(ip("netns", "pids", lab!.client.ns).trim(), "", "no ssh process left on the client host");
  assert.deepEqual(flashTemps(), tempsBefore);

  // The device side runs the copy.
  const device = runIn(lab!.device.ns, "device", bin, ["--version"], { env: cleanEnv({ XDG_CACHE_HOME: join(work, "device-cache") }) });
  const ran = await device.exited;
  assert.equal(ran.code, 0, device.tail());
  assert.deepEqual(device.stdout, [version]);
});

test("flashing again replaces the executable, rewrites the env file and restarts the running service", { skip: SKIP, timeout: 300_000 }, async (t) => {
  if (buildError || lab === undefined) return t.skip("the first flash did not run");
  const prefix = join(work, "device-root");
  const tools = await fakeTools(join(work, "tools"));
  await rm(join(work, "tools", "systemctl.log"), { force: true });
  await writeFile(join(work, "tools", "active"), "");
  const logins = lab.logins();
  await flashOverSsh(t, ["--profile", "x86", "--broker", "embedded"], prefix, tools);
  const settings = (await readFile(join(prefix, "etc/p2p-agent/agent.env"), "utf8")).split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  assert.deepEqual(settings, ['AGENT_ARGS="--profile x86 --broker embedded"']);
  assert.deepEqual(await tools.calls("systemctl"), [["is-active", "--quiet", "p2p-agent"], ["daemon-reload"], ["enable", "--now", "p2p-agent"], ["restart", "p2p-agent"]]);
  assert.equal(lab.logins(), logins + 1);
  assert.equal(await sha256(join(prefix, "usr/local/bin/p2p-agent")), await sha256(binary));
  assert.deepEqual(readdirSync(join(prefix, "usr/local/bin")).sort(), ["agent", "p2p-agent"], "no temporary file left beside the executable");
});
