import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { cleanEnv } from "../build/helpers.ts";

/**
 * Measuring whole programs from outside, for the startup benchmark: time from spawn to the
 * agent's `agent.ready` log line, resident memory read from `/proc/PID/status` (Linux only), and
 * time from spawn to exit. Every program runs with `cleanEnv` from the build tests (no
 * `P2P_AGENT_*` settings, no `NODE_OPTIONS`, so tsx never leaks into what is measured).
 */

/** A running agent that has logged `agent.ready`. */
export interface ReadyAgent {
  readonly pid: number;
  /** Milliseconds from just before `spawn` to the arrival of the `agent.ready` line. */
  readonly readyMs: number;
  /** Sends SIGTERM and resolves with the exit code; rejects when it does not exit in 15 s. */
  stop(): Promise<number | null>;
  /** Everything written to stderr so far (for error messages). */
  stderr(): string;
}

/** How long a program may take to become ready, or to exit after SIGTERM. */
const TIMEOUT_MS = 30_000;

/** Resolves with the exit code once `child` has closed (null when a signal ended it or it never ran). */
function closed(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else {
      child.once("close", (code) => resolve(code));
      child.once("error", () => resolve(null));
    }
  });
}

function isReadyLine(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    return (JSON.parse(line) as { event?: unknown }).event === "agent.ready";
  } catch {
    return false;
  }
}

/**
 * Starts `command args` and resolves once a JSON line with `"event":"agent.ready"` arrives on its
 * stderr, with the time that took. Rejects (and kills the process) when it exits first or is not
 * ready within 30 s.
 */
export function startAgent(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<ReadyAgent> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env: cleanEnv(env), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let ready = false;
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")}: ${why}; stderr:\n${stderr.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`no agent.ready within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
    child.on("error", (error) => fail(error.message));
    child.on("close", (code, signal) => {
      if (!ready) fail(`exited (${code ?? signal}) before agent.ready`);
    });
    let partial = ""; // the text after the last newline: maybe half a line
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (ready) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      if (!lines.some(isReadyLine)) return;
      ready = true;
      const readyMs = performance.now() - t0;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        readyMs,
        stderr: () => stderr,
        async stop() {
          const exit = closed(child);
          child.kill("SIGTERM");
          let killer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<never>((_, rejectLate) => {
            killer = setTimeout(() => {
              child.kill("SIGKILL");
              rejectLate(new Error(`${command} did not exit within ${TIMEOUT_MS} ms of SIGTERM`));
            }, TIMEOUT_MS);
          });
          try {
            return await Promise.race([exit, late]);
          } finally {
            clearTimeout(killer);
          }
        },
      });
    });
  });
}

/** Resident memory of one process, MB (10^6 bytes). */
export interface Resident {
  /** `VmRSS`: every resident page, the runtime's mapped code (shared with other processes) included. */
  rssMb: number;
  /** `RssAnon`: the process's own memory (heaps, stacks), the part no other process shares. */
  anonMb: number;
}

/** The resident memory of process `pid`, from `VmRSS` and `RssAnon` in `/proc/PID/status` (Linux). */
export async function residentOf(pid: number): Promise<Resident> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, "utf8");
  } catch (cause) {
    throw new Error(`cannot read /proc/${pid}/status (Linux only; has the process exited?)`, { cause });
  }
  const mb = (field: string) => {
    const kib = status.match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m"))?.[1];
    if (kib === undefined) throw new Error(`no ${field} line in /proc/${pid}/status`);
    return (Number(kib) * 1024) / 1e6;
  };
  return { rssMb: mb("VmRSS"), anonMb: mb("RssAnon") };
}

/** Milliseconds from spawn to exit of `command args`; rejects unless it exits 0 within 30 s. */
export function timeToExit(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env: cleanEnv(env), stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? signal}`));
    });
  });
}

/**
 * Resident memory of `command args` (a program that idles, e.g. a long timer) `idleMs` after it
 * was spawned; the program is then killed.
 */
export async function idleResident(command: string, args: readonly string[], idleMs: number, env: Record<string, string> = {}): Promise<Resident> {
  const child = spawn(command, args, { env: cleanEnv(env), stdio: "ignore" });
  const exit = closed(child);
  try {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    if (child.exitCode !== null || child.pid === undefined) throw new Error(`${command} ${args.join(" ")} exited before it was measured`);
    return await residentOf(child.pid);
  } finally {
    child.kill("SIGKILL");
    await exit;
  }
}
