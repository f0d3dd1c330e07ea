import { execFileSync } from "node:child_process";
import * as os from "node:os";

/**
 * What the benchmarks ran on, for the report. `node:os` and `node:child_process` are used because
 * the Web APIs cannot name the CPU or the kernel; Deno provides both modules too.
 */
export interface Machine {
  /** CPU model as the OS names it (first entry of `os.cpus()`). */
  cpuModel: string;
  /** Logical cores the OS reports. */
  cores: number;
  /** Total memory, bytes. */
  totalMemory: number;
  /** e.g. `Linux 6.8.0-45-generic`. */
  os: string;
  /** e.g. `x64`. */
  arch: string;
  /** e.g. `Node 20.20.2`, or `Deno 2.9.6` under Deno. */
  runtime: string;
  /** 1, 5 and 15 minute load averages when the run started (zeros where the OS has none). */
  loadAverage: [number, number, number];
}

/** The source the benchmarks measured. */
export interface Commit {
  /** Full commit hash of HEAD. */
  hash: string;
  /** True when the working tree had uncommitted changes, so the figures are for HEAD plus those. */
  dirty: boolean;
}

/**
 * Describes the machine this process runs on: CPU model and logical core count from `os.cpus()`,
 * total memory, OS name and kernel release, architecture, the runtime and its version, and the
 * load average at the time of the call (a hint of how busy a shared machine was).
 */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return {
    cpuModel: cpus[0]?.model.trim() || "unknown",
    cores: cpus.length,
    totalMemory: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    runtime: deno ? `Deno ${deno.version.deno}` : `Node ${process.versions.node}`,
    loadAverage: [one, five, fifteen],
  };
}

/**
 * The git commit checked out in `cwd` and whether the tree has uncommitted changes, or
 * `undefined` when git is missing or `cwd` is not inside a repository. Never throws.
 */
export function gitCommit(cwd: string = process.cwd()): Commit | undefined {
  try {
    const git = (args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const hash = git(["rev-parse", "HEAD"]).trim();
    if (!/^[0-9a-f]{40,64}$/.test(hash)) return undefined;
    return { hash, dirty: git(["status", "--porcelain"]).trim() !== "" };
  } catch {
    return undefined;
  }
}
