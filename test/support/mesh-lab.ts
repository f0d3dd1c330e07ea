// A mesh of test agents on a namespace LAN (test/support/netns.ts): data dirs prepared with the
// real CLI (`agent id`, `agent invite`, `agent join`), agents started as
// test/support/mesh-agent-proc.ts inside the host namespaces, and one teardown that stops them,
// deletes the namespaces and the temporary folder whatever happened.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { createLan, event, runIn, stopAll, sweepStaleNamespaces, type Host, type Lan, type LinePredicate, type NsProcess } from "./netns.ts";

/** The project root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const AGENT_CLI = join(ROOT, "scripts", "agent.mjs");
const AGENT_PROC = join(ROOT, "test", "support", "mesh-agent-proc.ts");
/** The embedded broker's port (the default of `--listen`). */
export const BROKER_PORT = 1883;

/** An agent's data dir and ID. */
export interface Member {
  dir: string;
  id: string;
  /** First 8 characters of the ID, as `peer.*` log lines print it. */
  short: string;
}

/** Runs the real CLI (`node scripts/agent.mjs ...args`) in the root namespace (no network); resolves with stdout. */
export function cli(args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [AGENT_CLI, ...args], { cwd: ROOT, timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`agent ${args.join(" ")} failed: ${error.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** An agent process started by the lab. */
export interface AgentProc extends NsProcess {
  member: Member;
  host: Host;
  /** When the test started it, ms since the epoch. */
  startedAt: number;
}

/** A LAN, a temporary folder and the agents started on it, torn down together. */
export class MeshLab {
  readonly lan: Lan;
  readonly base: string;
  readonly agents: AgentProc[] = [];

  private constructor(lan: Lan, base: string) {
    this.lan = lan;
    this.base = base;
  }

  /** Makes a LAN of `hosts` namespaces and registers the teardown on `t` (it runs on failure too). */
  static async create(t: TestContext, hosts: number): Promise<MeshLab> {
    sweepStaleNamespaces();
    const base = await mkdtemp(join(tmpdir(), "p2p-multihost-"));
    let lan: Lan;
    try {
      lan = createLan(hosts);
    } catch (error) {
      await rm(base, { recursive: true, force: true });
      throw error;
    }
    const lab = new MeshLab(lan, base);
    t.after(() => lab.teardown());
    return lab;
  }

  /**
   * Prepares `count` data dirs of one mesh named `meshName`: the first is the owner (it founds
   * the mesh with `agent invite`), the others get `agent id`, an invitation and `agent join`.
   */
  async members(count: number, meshName = "lab"): Promise<Member[]> {
    const dirs = Array.from({ length: count }, (_, i) => join(this.base, `${meshName}-${i + 1}`));
    const ids = await Promise.all(dirs.map((dir) => cli(["id", "--data-dir", dir])));
    const tokens = await Promise.all(ids.slice(1).map((id) => cli(["invite", id, "--data-dir", dirs[0]!, "--mesh", meshName])));
    await Promise.all(tokens.map((token, i) => cli(["join", token, "--data-dir", dirs[i + 1]!])));
    return dirs.map((dir, i) => ({ dir, id: ids[i]!, short: ids[i]!.slice(0, 8) }));
  }

  /** A data dir that never joined anything: on its first run the agent founds a mesh of its own. */
  async outsider(name = "outsider"): Promise<Member> {
    const dir = join(this.base, name);
    const id = await cli(["id", "--data-dir", dir]);
    return { dir, id, short: id.slice(0, 8) };
  }

  /** Starts `member` on host `hostIndex` with `agent run` flags `flags` (plus `--data-dir`). */
  start(hostIndex: number, member: Member, flags: string[], label?: string): AgentProc {
    const host = this.lan.hosts[hostIndex];
    if (!host) throw new RangeError(`no host ${hostIndex} on this LAN (it has ${this.lan.hosts.length})`);
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const startedAt = Date.now();
    const proc = runIn(host.ns, label ?? `agent@${host.address}`, process.execPath, ["--import", "tsx", AGENT_PROC, "--data-dir", member.dir, ...flags], {
      cwd: ROOT,
      env,
    }) as AgentProc;
    proc.member = member;
    proc.host = host;
    proc.startedAt = startedAt;
    this.agents.push(proc);
    return proc;
  }

  /** Stops every agent (SIGTERM, SIGKILL after 5 s), deletes the namespaces and the folder. Never throws. */
  async teardown(): Promise<void> {
    await stopAll(this.agents).catch(() => undefined);
    this.lan.destroy();
    await rm(this.base, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The broker URL other hosts use for an agent hosting on `host`. */
export function brokerUrl(host: Host): string {
  return `mqtt://${host.address}:${BROKER_PORT}`;
}

/** True when the agent's latest `broker.hosting`/`broker.stopped` line says it hosts now. */
export function hostsNow(agent: NsProcess): boolean {
  const last = agent.lines.filter((l) => l.event === "broker.hosting" || l.event === "broker.stopped").at(-1);
  return last?.event === "broker.hosting";
}

/** The URL of the agent's latest `broker.connected`, or null. */
export function connectedUrl(agent: NsProcess): string | null {
  const last = agent.lines.filter((l) => l.event === "broker.connected" || l.event === "broker.lost").at(-1);
  return last?.event === "broker.connected" ? String(last.url) : null;
}

/** A ping from `from` arrived. */
export function pingFrom(from: Member): LinePredicate {
  return event("test.ping_received", { from: from.id });
}

/** A peer line about `member` (`peer.join`, `peer.leave`). */
export function peerLine(name: "peer.join" | "peer.leave", member: Member): LinePredicate {
  return event(name, { peer: member.short });
}

/** ms between two log lines' own timestamps (the agents share this machine's clock). */
export function between(from: { ts?: string }, to: { ts?: string }): number {
  return Date.parse(String(to.ts)) - Date.parse(String(from.ts));
}
