// Shared helpers for the build tests: running the built programs (directly, or under qemu-user
// for the other architecture) in a clean environment, and waiting for the agent's ready line.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Arch } from "../../build/node-runtime.ts";

/** Set to 1 to skip everything that needs the single executables (fetching Node, injecting). */
export const SKIP_SEA = process.env["P2P_SKIP_SEA"] === "1" ? "P2P_SKIP_SEA=1" : false;

/** The environment for spawned programs: no agent settings, no NODE_OPTIONS (tsx must not leak in). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("P2P_AGENT_") || name === "NODE_OPTIONS" || name === "NODE_PATH" || name === "XDG_STATE_HOME") delete env[name];
  }
  return { ...env, DENO_NO_UPDATE_CHECK: "1", ...extra };
}

/** A finished process: exit code and output. */
export interface Ran {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` to completion (at most `timeoutMs`) in `cwd`, with `cleanEnv(env)`. */
export function runSync(command: string, args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Ran {
  const result = spawnSync(command, args, { cwd: options.cwd, env: cleanEnv(options.env), encoding: "utf8", timeout: options.timeoutMs ?? 60_000 });
  if (result.error) throw result.error;
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `fn` with a fresh temporary folder (outside the repository), removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "p2p-build-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How to run an executable built for `arch` here: a command prefix, or why it cannot run. */
export type Runner = { prefix: string[] } | { skip: string };

const QEMU: Record<Arch, { qemu: string; loader: string; libstdcxx: string; apt: string }> = {
  arm64: {
    qemu: "qemu-aarch64",
    loader: "/lib/ld-linux-aarch64.so.1",
    libstdcxx: "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
    apt: "qemu-user libc6:arm64 libstdc++6:arm64",
  },
  x64: {
    qemu: "qemu-x86_64",
    loader: "/lib64/ld-linux-x86-64.so.2",
    libstdcxx: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
    apt: "qemu-user libc6:amd64 libstdc++6:amd64",
  },
};

/**
 * How to run `arch`'s executable on this machine: directly when it is this machine's
 * architecture, else under qemu-user (`qemu-aarch64 -L / BINARY`) when qemu and that
 * architecture's libc and libstdc++ are installed; otherwise a skip reason.
 */
export function runnerFor(arch: Arch): Runner {
  if (process.platform !== "linux") return { skip: `linux executables; this is ${process.platform}` };
  if (arch === process.arch) return { prefix: [] };
  const need = QEMU[arch];
  const qemu = spawnSync(need.qemu, ["--version"], { encoding: "utf8" });
  if (qemu.error || qemu.status !== 0) return { skip: `${need.qemu} not found (apt-get install ${need.apt})` };
  for (const file of [need.loader, need.libstdcxx]) {
    if (!existsSync(file)) return { skip: `${file} not found (apt-get install ${need.apt})` };
  }
  return { prefix: [need.qemu, "-L", "/"] };
}

/** Runs `binary args` through `runner` (see `runnerFor`) to completion. */
export function runBinary(runner: { prefix: string[] }, binary: string, args: string[], options: Parameters<typeof runSync>[2] = {}): Ran {
  const [command, ...rest] = [...runner.prefix, binary, ...args];
  return runSync(command!, rest, options);
}

/**
 * How long after agent.ready the SIGTERM goes. `agent run` logs agent.ready one statement before
 * it installs its SIGTERM handler (src/cli/commands/run.ts), so a signal sent the instant the line
 * arrives can find Node's default action (death by signal, no exit code) still in place.
 */
export const SIGTERM_DELAY_MS = 300;

/**
 * Starts `command args`, waits until a JSON line with `"event":"agent.ready"` appears on its
 * stderr, SIGTERM_DELAY_MS later calls `onReady` (to talk to the running agent) and sends SIGTERM,
 * and resolves with the exit code and everything it wrote. Rejects after
 * `timeoutMs` (killing the process) when it never becomes ready or never exits.
 */
export function startUntilReady(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; onReady?: () => void } = {},
): Promise<Ran & { ready: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: cleanEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let ready: Record<string, unknown> | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")}: ${ready ? "did not exit after SIGTERM" : "no agent.ready"} within ${options.timeoutMs ?? 60_000} ms; stderr:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (ready !== undefined) return;
      const complete = stderr.split("\n").slice(0, -1); // the last piece may be half a line
      for (const line of complete) {
        const entry = parseJsonLine(line);
        if (entry?.["event"] === "agent.ready") {
          ready = entry;
          setTimeout(() => {
            try {
              options.onReady?.();
            } finally {
              child.kill("SIGTERM");
            }
          }, SIGTERM_DELAY_MS);
          break;
        }
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (ready === undefined) reject(new Error(`${command} exited (${code ?? signal}) before agent.ready; stderr:\n${stderr}`));
      else resolve({ code, signal, stdout, stderr, ready });
    });
  });
}

/** `line` as a JSON object, or undefined when it is not one (e.g. a warning Node printed). */
function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Why onnxruntime cannot be tested through `runner` with the Node binary `node` (of the
 * executable's architecture), or false when it can: plain `node -e 'require("onnxruntime-node")'`
 * from the repository's node_modules must exit 0. qemu-user 7.2 fails it for arm64: onnxruntime's
 * CPU detection (cpuinfo) reads the host's x86 /proc/cpuinfo and dereferences NULL, so anything
 * that loads onnxruntime dies with SIGSEGV there, executable or not. Real arm64 devices load it.
 */
export function onnxRuntimeSkip(runner: { prefix: string[] }, node: string, root: string): string | false {
  const ran = runBinary(runner, node, ["-e", 'require("onnxruntime-node")'], { cwd: root, timeoutMs: 120_000 });
  if (ran.code === 0) return false;
  const how = runner.prefix.length > 0 ? ` under ${runner.prefix[0]}` : "";
  return `plain node cannot load onnxruntime-node${how} either (${ran.signal ?? `exit ${ran.code}`}: ${ran.stderr.trim().split("\n").pop() ?? ""})`;
}
