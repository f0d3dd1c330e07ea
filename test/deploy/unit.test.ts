// hardware/p2p-agent.service, hardware/agent and the script that installs them: the unit parsed
// and its required settings checked (every machine), then `systemd-analyze verify` and
// `systemd-analyze security --offline` where systemd's tools are installed (they need no running
// systemd), and the shell files' syntax (bash -n; dash -n for what runs under /bin/sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../build/bundle.ts";
import { seaCacheDir } from "../../src/adapters/node/sea-assets.ts";
import { RUN_FLAGS } from "../../src/cli/commands/run.ts";
import { DATA_DIR_ENV } from "../../src/config/data-dir.ts";
import { CONTROL_SOCKET } from "../../src/control/control-protocol.ts";

const UNIT_FILE = join(ROOT, "hardware", "p2p-agent.service");
const unitText = await readFile(UNIT_FILE, "utf8");

/** A unit file as section → key → every value given (systemd.syntax(7): `#`/`;` comments, no continuations here). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    assert.ok(!line.endsWith("\\"), `line ${i + 1}: no line continuations, please`);
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current && eq > 0, `line ${i + 1} is neither a section nor Key=value: ${raw}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get("Service") ?? new Map<string, string[]>();
/** The last value of a Service key (the one systemd uses for single-valued settings). */
const value = (key: string) => service.get(key)?.at(-1);

test("the unit runs /usr/local/bin/p2p-agent as the system user p2p-agent with its settings file", () => {
  assert.deepEqual([...unit.keys()], ["Unit", "Service", "Install"]);
  assert.equal(value("User"), "p2p-agent");
  assert.equal(value("Group"), "p2p-agent");
  assert.equal(service.has("DynamicUser"), false, "a dedicated user keeps the identity's owner stable");
  assert.equal(value("ExecStart"), "/usr/local/bin/p2p-agent run $AGENT_ARGS");
  assert.deepEqual(service.get("EnvironmentFile"), ["-/etc/p2p-agent/agent.env"]);
  assert.equal(unit.get("Install")?.get("WantedBy")?.[0], "multi-user.target");
  assert.match(unit.get("Unit")?.get("After")?.[0] ?? "", /network-online\.target/);
});

test("state in /var/lib/p2p-agent, cache in /var/cache/p2p-agent, as the code resolves them", () => {
  const env = new Map((service.get("Environment") ?? []).map((e) => e.split("=", 2) as [string, string]));
  assert.equal(env.get(DATA_DIR_ENV), "/var/lib/p2p-agent");
  assert.equal(value("StateDirectory"), "p2p-agent");
  assert.equal(value("StateDirectoryMode"), "0700");
  // The executable unpacks its bundle under $XDG_CACHE_HOME/p2p-agent/<version>: CacheDirectory.
  assert.equal(value("CacheDirectory"), "p2p-agent");
  assert.ok(seaCacheDir("0.1.0", undefined, { XDG_CACHE_HOME: env.get("XDG_CACHE_HOME") }).startsWith("/var/cache/p2p-agent/"));
  assert.deepEqual(value("ReadWritePaths")?.split(/\s+/), ["/var/lib/p2p-agent", "/var/cache/p2p-agent"]);
  assert.equal(CONTROL_SOCKET, "agent.sock", "docs and the unit's AF_UNIX reason name agent.sock");
});

test("restarts on failure after a pause, but not after a usage mistake (exit 2)", () => {
  assert.equal(value("Restart"), "on-failure");
  const m = /^(\d+)s$/.exec(value("RestartSec") ?? "");
  assert.ok(m && Number(m[1]) >= 1 && Number(m[1]) <= 60, `RestartSec ${value("RestartSec")}`);
  assert.equal(value("RestartPreventExitStatus"), "2");
  assert.ok(unit.get("Unit")?.has("StartLimitBurst"), "a crash loop ends");
});

test("the sandbox: no privileges, read-only system, only the socket families the agent uses", () => {
  const expected: Record<string, string> = {
    NoNewPrivileges: "yes",
    ProtectSystem: "strict",
    ProtectHome: "yes",
    PrivateTmp: "yes",
    // Off on purpose: detection looks for /dev/nvidia0; CUDA/TensorRT open GPU device nodes.
    PrivateDevices: "no",
    ProtectKernelTunables: "yes",
    ProtectKernelModules: "yes",
    ProtectControlGroups: "yes",
    RestrictNamespaces: "yes",
    LockPersonality: "yes",
    // Off on purpose: V8's JIT needs writable and executable memory.
    MemoryDenyWriteExecute: "no",
    SystemCallArchitectures: "native",
    CapabilityBoundingSet: "",
    AmbientCapabilities: "",
    UMask: "0077",
  };
  for (const [key, want] of Object.entries(expected)) assert.equal(value(key), want, key);
  assert.deepEqual(value("RestrictAddressFamilies")?.split(/\s+/).sort(), ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"]);
  assert.match(unitText, /MemoryDenyWriteExecute must stay off: V8's JIT/, "the reason is written next to it");
  // Settings that would break the agent: detection reads /proc/cpuinfo, /proc/meminfo and
  // /proc/device-tree; ProtectClock's implied DeviceAllow would shut out the GPU.
  assert.notEqual(value("ProcSubset"), "pid");
  assert.equal(service.has("ProtectClock"), false);
  assert.equal(service.has("DeviceAllow"), false);
});

test("the settings flash writes are options agent run takes", async () => {
  const flash = await readFile(join(ROOT, "scripts", "flash"), "utf8");
  const line = /^AGENT_ARGS="(.*)"$/m.exec(flash);
  assert.ok(line, "scripts/flash writes AGENT_ARGS");
  for (const flag of line[1]!.match(/--[a-z-]+/g) ?? []) assert.ok(flag.slice(2) in RUN_FLAGS, `${flag} is an agent run flag`);
  const helper = await readFile(join(ROOT, "hardware", "agent"), "utf8");
  for (const path of ["/usr/local/bin/p2p-agent", "/var/lib/p2p-agent", "CACHE=/var/cache", "sudo -u p2p-agent"]) assert.ok(helper.includes(path), path);
});

test("the shell files parse: scripts/flash (bash), hardware/agent and the remote install heredoc (sh)", async () => {
  const flash = join(ROOT, "scripts", "flash");
  const bash = spawnSync("bash", ["-n", flash], { encoding: "utf8" });
  assert.equal(bash.status, 0, bash.stderr);
  const text = await readFile(flash, "utf8");
  const heredoc = /<<'REMOTE'\n([\s\S]*?)\nREMOTE\n/.exec(text);
  assert.ok(heredoc, "the remote commands are one quoted heredoc");
  const posix = spawnSync("sh", ["-c", "command -v dash"]).status === 0 ? "dash" : "sh";
  const dir = await mkdtemp(join(tmpdir(), "p2p-unit-"));
  try {
    await writeFile(join(dir, "install.sh"), heredoc[1]!);
    for (const file of [join(dir, "install.sh"), join(ROOT, "hardware", "agent")]) {
      const r = spawnSync(posix, ["-n", file], { encoding: "utf8" });
      assert.equal(r.status, 0, `${posix} -n ${file}: ${r.stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
const noAnalyze = analyze.error || analyze.status !== 0 ? "systemd-analyze is not installed (apt-get install systemd)" : false;

/** The unit copied into a temporary folder, ExecStart pointing at a stand-in executable there. */
async function withVerifiableCopy<T>(fn: (unitPath: string) => T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "p2p-unit-"));
  try {
    const stand = join(dir, "p2p-agent");
    await writeFile(stand, "#!/bin/sh\n");
    await chmod(stand, 0o755);
    const unitPath = join(dir, "p2p-agent.service");
    await writeFile(unitPath, unitText.replace("ExecStart=/usr/local/bin/p2p-agent ", `ExecStart=${stand} `));
    return fn(unitPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("systemd-analyze verify accepts the unit without a warning", { skip: noAnalyze }, async () => {
  await withVerifiableCopy((unitPath) => {
    // verify exits 0 even for unknown keys and bad values, so its warnings must be absent too.
    const r = spawnSync("systemd-analyze", ["verify", "--man=no", unitPath], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stderr.split("\n").filter((l) => l.includes("p2p-agent"));
    assert.deepEqual(warnings, []);
  });
});

test("systemd-analyze security rates the sandbox at most 4.0 (lower is better)", { skip: noAnalyze }, async (t) => {
  await withVerifiableCopy((unitPath) => {
    const r = spawnSync("systemd-analyze", ["security", "--offline=yes", "--no-pager", unitPath], { encoding: "utf8" });
    if (/unrecognized option|Unknown option/i.test(r.stderr)) return t.skip("this systemd-analyze has no --offline (systemd < 250)");
    const m = /Overall exposure level for p2p-agent\.service: (\d+\.\d)/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    t.diagnostic(`exposure ${m[1]}`);
    assert.ok(Number(m[1]) <= 4.0, `exposure ${m[1]}`);
  });
});
