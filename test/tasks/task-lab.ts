// Agents as child processes on loopback for the task integration tests: data dirs of one mesh made
// with the real CLI (`agent id`, `agent invite`, `agent join`, through mesh-lab.ts's `cli`), agents
// started as `node scripts/agent.mjs run --no-mdns` (JSON log lines on stderr, collected by
// netns.ts's NsProcess), the CLI and the control socket to talk to them, and one teardown that
// stops every agent and removes the folder whatever happened. Only 127.0.0.1 is ever used.
import { execFile, spawn } from "node:child_process";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { TestContext } from "node:test";
import { createNodeRuntime } from "../../src/adapters/node/runtime-node.ts";
import { controlRequest } from "../../src/control/control-client.ts";
import { CONTROL_SOCKET } from "../../src/control/control-protocol.ts";
import { cli, ROOT, type Member } from "../support/mesh-lab.ts";
import { event, NsProcess, stopAll } from "../support/netns.ts";

const AGENT_CLI = join(ROOT, "scripts", "agent.mjs");
const runtime = createNodeRuntime();

/** `agent run` flags every test agent gets: loopback only, no mDNS, a fixed profile, fast heartbeats. */
export const BASE_FLAGS = ["--no-mdns", "--profile", "x86", "--heartbeat-ms", "500"];

/** An agent process with the member it runs as. */
export interface AgentProc extends NsProcess {
  member: Member;
}

/** The outcome of a task as the control socket and `agent submit --json` return it. */
export type Outcome =
  | { id: string; state: "done"; output: unknown; worker: string; workers: string[]; durationMs: number; steps?: Record<string, string> }
  | { id: string; state: "failed"; reason: string; detail: string };

/** Runs the real CLI and resolves with its exit code and output (it never rejects on a non-zero exit). */
export function agentCli(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AGENT_CLI, ...args], { cwd: ROOT, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

/** A temporary folder of agents on loopback, torn down together. */
export class TaskLab {
  readonly base: string;
  readonly agents: AgentProc[] = [];

  private constructor(base: string) {
    this.base = base;
  }

  /** A fresh lab whose teardown is registered on `t` (it runs on failure too). */
  static async create(t: TestContext): Promise<TaskLab> {
    const lab = new TaskLab(await mkdtemp(join(tmpdir(), "p2p-tasks-")));
    t.after(() => lab.teardown());
    return lab;
  }

  /** `count` data dirs of one mesh: the first founds it (`agent invite`), the others join. */
  async members(count: number, meshName = "lab"): Promise<Member[]> {
    const dirs = Array.from({ length: count }, (_, i) => join(this.base, `agent-${i + 1}`));
    const ids = await Promise.all(dirs.map((dir) => cli(["id", "--data-dir", dir])));
    const tokens = await Promise.all(ids.slice(1).map((id) => cli(["invite", id, "--data-dir", dirs[0]!, "--mesh", meshName])));
    await Promise.all(tokens.map((token, i) => cli(["join", token, "--data-dir", dirs[i + 1]!])));
    return dirs.map((dir, i) => ({ dir, id: ids[i]!, short: ids[i]!.slice(0, 8) }));
  }

  /** Starts `agent run` for `member` with `flags` (after BASE_FLAGS); `env` adds variables. */
  start(member: Member, flags: string[], options: { env?: Record<string, string>; label?: string } = {}): AgentProc {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [AGENT_CLI, "run", "--data-dir", member.dir, ...BASE_FLAGS, ...flags], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const proc = new NsProcess(options.label ?? `agent ${member.short}`, child) as AgentProc;
    proc.member = member;
    this.agents.push(proc);
    return proc;
  }

  /**
   * Starts `member` as the coordinator: roles coordinator only (it runs no tasks), hosting the
   * embedded broker on 127.0.0.1 (`port` 0 = any free one). Resolves once it is ready, with its
   * broker URL.
   */
  async startCoordinator(member: Member, port = 0, extra: string[] = []): Promise<{ proc: AgentProc; url: string; port: number }> {
    const proc = this.start(member, ["--broker", "embedded", "--listen", `127.0.0.1:${port}`, "--roles", "coordinator", ...extra], { label: `coordinator ${member.short}` });
    const hosting = await proc.waitFor(event("broker.hosting"), "broker.hosting", { timeoutMs: 30_000 });
    await proc.waitFor(event("agent.ready"), "agent.ready", { timeoutMs: 30_000 });
    return { proc, url: String(hosting.url), port: Number(hosting.port) };
  }

  /** Starts `member` as a worker on the broker at `url` (roles processing). */
  startWorker(member: Member, url: string, extra: string[] = [], env?: Record<string, string>): AgentProc {
    return this.start(member, ["--broker", url, "--roles", "processing", ...extra], { ...(env ? { env } : {}), label: `worker ${member.short}` });
  }

  /** Waits until `coordinator` sees every one of `workers` as a peer (its `peer.join` lines). */
  async joined(coordinator: AgentProc, workers: Member[], since = 0): Promise<void> {
    await Promise.all(workers.map((w) => coordinator.waitFor(event("peer.join", { peer: w.short }), `peer.join of ${w.short}`, { timeoutMs: 30_000, since })));
  }

  /** A JSON config file in the lab folder, for `--config`. */
  async config(name: string, settings: Record<string, unknown>): Promise<string> {
    const path = join(this.base, `${name}.json`);
    await writeFile(path, JSON.stringify(settings));
    return path;
  }

  /** Stops every agent (SIGTERM, SIGKILL after 5 s) and removes the folder. Never throws. */
  async teardown(): Promise<void> {
    await stopAll(this.agents).catch(() => undefined);
    await rm(this.base, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Sends one control request to the agent on `member`'s data dir (what the CLI does, without a process per call). */
export function control(member: Member, cmd: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<unknown> {
  return controlRequest(runtime, join(member.dir, CONTROL_SOCKET), cmd, args, timeoutMs);
}

/** `agent status --json` of `member`, through the real CLI. */
export async function status(member: Member): Promise<{ id: string; tasks: { coordinator: Record<string, number>; worker: Record<string, number> | null; states: Record<string, number> }; reputation: Record<string, { score: number; observations: number }>; peers: Array<{ id: string; health: string }> }> {
  const r = await agentCli(["status", "--json", "--data-dir", member.dir]);
  if (r.code !== 0) throw new Error(`agent status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Resident memory of process `pid`, kB, from /proc/PID/status (VmRSS). */
export async function rssKb(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** How many `task.done` (or `task.failed`) lines `proc` logged per task ID. */
export function finishedLines(procs: NsProcess[], name: "task.done" | "task.failed" = "task.done"): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of procs) for (const l of p.filter(event(name))) counts.set(String(l.task), (counts.get(String(l.task)) ?? 0) + 1);
  return counts;
}

/** Waits for the outcome of every task in `ids` through the control socket's `result` command. */
export async function results(member: Member, ids: string[], timeoutMs = 120_000): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  // In batches, so a few hundred waiting connections do not pile up on the control socket.
  for (let i = 0; i < ids.length; i += 50) {
    const batch = ids.slice(i, i + 50);
    const outcomes = await Promise.all(batch.map((id) => control(member, "result", { id }, timeoutMs) as Promise<Outcome>));
    batch.forEach((id, j) => out.set(id, outcomes[j]!));
  }
  return out;
}

/** Submits `specs` through the control socket (as `agent submit --id` does), at most 50 at a time. */
export async function submitAll(member: Member, specs: Array<Record<string, unknown>>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < specs.length; i += 50) {
    const answers = await Promise.all(specs.slice(i, i + 50).map((spec) => control(member, "submit", { spec, wait: false }) as Promise<{ id: string }>));
    ids.push(...answers.map((a) => a.id));
  }
  return ids;
}
