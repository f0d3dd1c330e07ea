// Test hosts in Linux network namespaces, for tests of what crosses a network (see
// docs/multi-host-testing.md). A "LAN" is one switch namespace holding a bridge, plus one namespace
// per host joined to the bridge by a veth pair, with an address 10.77.<subnet>.<n>/24 and a default
// route out of its veth (so multicast, mDNS included, leaves through it). Nothing here touches the
// root namespace's links or routes: every link is created inside the switch namespace with its
// peer end moved straight into the host namespace.
//
// Every name carries a per-run tag (`p2pt<pid>x<rand>`), so parallel runs never collide, and
// `sweepStaleNamespaces()` can remove what a crashed run of an earlier process left behind.
// Cleanup never throws, and an exit hook kills children and deletes namespaces a test forgot.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import process from "node:process";

/** One host on a LAN. */
export interface Host {
  /** Network namespace name. */
  ns: string;
  /** Its IPv4 address on the LAN. */
  address: string;
  /** Its end of the veth pair (inside `ns`). */
  link: string;
}

/** A set of host namespaces on one bridge. */
export interface Lan {
  /** The per-run tag every namespace and link name starts with. */
  tag: string;
  /** The namespace holding the bridge. */
  switchNs: string;
  hosts: Host[];
  /** Kills what still runs in the namespaces and deletes them. Never throws; idempotent. */
  destroy(): void;
}

const TAG_PREFIX = "p2pt";
const liveLans = new Set<Lan>();
const liveProcs = new Set<NsProcess>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // Last resort for a test that crashed before its teardown: synchronous, so it runs on exit.
  process.once("exit", () => {
    for (const p of liveProcs) p.kill("SIGKILL");
    for (const lan of liveLans) lan.destroy();
  });
}

/** Runs `ip ...args`; returns its stdout or throws with its stderr. */
export function ip(...args: string[]): string {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  if (r.error) throw new Error(`ip ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Like `ip`, but ignores failures (for cleanup). */
function ipQuiet(...args: string[]): void {
  try {
    spawnSync("ip", args, { stdio: "ignore", timeout: 10_000 });
  } catch {
    // cleanup never throws
  }
}

/** A fresh per-run tag: `p2pt` + this process's PID (base 36) + `x` + 3 random characters. */
function newTag(): string {
  const rand = randomBytes(4).readUInt32BE(0).toString(36).padStart(3, "0").slice(-3);
  return `${TAG_PREFIX}${process.pid.toString(36)}x${rand}`;
}

/** Namespace names on this machine. */
function listNamespaces(): string[] {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) return [];
  return r.stdout.split("\n").map((l) => l.split(" ")[0]!).filter(Boolean);
}

/** Kills (SIGKILL) every process inside namespace `ns`; they were all started by the tests. */
function killAllIn(ns: string): void {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8", timeout: 10_000 });
  for (const pid of (r.stdout ?? "").split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Why namespace tests cannot run here, or null when they can: needs Linux, root and `ip`, and
 * that a namespace can really be created (containers may forbid it). Use as a test's `skip`.
 */
export function netnsUnavailable(): string | null {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "needs root to create network namespaces";
  const version = spawnSync("ip", ["-V"], { encoding: "utf8" });
  if (version.error || version.status !== 0) return "iproute2's ip command is not installed";
  const probe = `${newTag()}-probe`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8", timeout: 10_000 });
  ipQuiet("netns", "del", probe);
  if (r.status !== 0) return `cannot create a network namespace: ${(r.stderr || String(r.error)).trim()}`;
  return null;
}

/**
 * Deletes namespaces left by earlier test processes that are no longer running (a run killed
 * before its teardown). Only names with this module's tag and a dead PID are touched.
 */
export function sweepStaleNamespaces(): void {
  for (const ns of listNamespaces()) {
    const m = /^p2pt([0-9a-z]+)x[0-9a-z]{3}-/.exec(ns);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === "EPERM";
    }
    if (alive) continue;
    killAllIn(ns);
    ipQuiet("netns", "del", ns);
  }
}

/**
 * Creates `count` host namespaces (`<tag>-h1` …) on a bridge in a switch namespace (`<tag>-sw`).
 * Host n gets 10.77.`subnet`.n/24. Multicast snooping is off on the bridge, so mDNS floods to
 * every port as on a plain switch. Throws (after removing what it made) when a step fails.
 */
export function createLan(count: number, options: { subnet?: number } = {}): Lan {
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new RangeError(`count expected 1..9 hosts, got ${count}`);
  const subnet = options.subnet ?? 1;
  if (!Number.isInteger(subnet) || subnet < 0 || subnet > 255) throw new RangeError(`subnet expected 0..255, got ${subnet}`);
  hookExit();
  const tag = newTag();
  const switchNs = `${tag}-sw`;
  const bridge = `${tag}br`;
  const hosts: Host[] = [];
  const made: string[] = [];
  let destroyed = false;
  const lan: Lan = {
    tag,
    switchNs,
    hosts,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      liveLans.delete(lan);
      // Host namespaces first (their veths go with them), then the switch.
      for (const ns of [...made].reverse()) {
        killAllIn(ns);
        ipQuiet("netns", "del", ns);
      }
    },
  };
  liveLans.add(lan);
  try {
    ip("netns", "add", switchNs);
    made.push(switchNs);
    ip("-n", switchNs, "link", "set", "lo", "up");
    ip("-n", switchNs, "link", "add", bridge, "type", "bridge", "mcast_snooping", "0");
    ip("-n", switchNs, "link", "set", bridge, "up");
    for (let n = 1; n <= count; n++) {
      const ns = `${tag}-h${n}`;
      const link = `${tag}e${n}`;
      const port = `${tag}p${n}`;
      const address = `10.77.${subnet}.${n}`;
      ip("netns", "add", ns);
      made.push(ns);
      // Created inside the switch namespace, the host end moved straight into the host's.
      ip("-n", switchNs, "link", "add", port, "type", "veth", "peer", "name", link, "netns", ns);
      ip("-n", switchNs, "link", "set", port, "master", bridge);
      ip("-n", switchNs, "link", "set", port, "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", `${address}/24`, "dev", link);
      ip("-n", ns, "link", "set", link, "up");
      ip("-n", ns, "route", "add", "default", "dev", link);
      hosts.push({ ns, address, link });
    }
  } catch (error) {
    lan.destroy();
    throw error;
  }
  return lan;
}

/** One JSON log line from a child, with when the test process received it. */
export interface LogLine {
  event?: string;
  ts?: string;
  level?: string;
  /** ms since the epoch when the line arrived here. */
  at: number;
  [field: string]: unknown;
}

/** A predicate over log lines. */
export type LinePredicate = (line: LogLine) => boolean;

/** Matches lines of `event` whose fields equal `fields` (a string field matches as a prefix when it ends with `*`). */
export function event(name: string, fields: Record<string, unknown> = {}): LinePredicate {
  return (line) =>
    line.event === name &&
    Object.entries(fields).every(([k, v]) => (typeof v === "string" && v.endsWith("*") ? String(line[k] ?? "").startsWith(v.slice(0, -1)) : line[k] === v));
}

/** A child process (usually inside a namespace) whose stderr JSON lines are collected. */
export class NsProcess {
  readonly label: string;
  readonly child: ChildProcess;
  /** Parsed JSON lines from stderr, in order. */
  readonly lines: LogLine[] = [];
  /** Every stdout and stderr line, raw (for diagnostics and non-JSON output). */
  readonly raw: string[] = [];
  readonly stdout: string[] = [];
  /** Settles when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly #waiters = new Set<() => void>();

  constructor(label: string, child: ChildProcess) {
    this.label = label;
    this.child = child;
    liveProcs.add(this);
    hookExit();
    const collect = (stream: NodeJS.ReadableStream | null, onLine: (line: string) => void) => {
      let buffer = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          onLine(line);
        }
      });
    };
    collect(child.stderr, (line) => {
      this.raw.push(line);
      if (line.startsWith("{")) {
        try {
          this.lines.push({ ...(JSON.parse(line) as object), at: Date.now() });
        } catch {
          // not JSON after all; kept in raw
        }
      }
      this.#notify();
    });
    collect(child.stdout, (line) => {
      this.raw.push(line);
      this.stdout.push(line);
      this.#notify();
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        liveProcs.delete(this);
        this.#notify();
        resolve(this.#exit);
      });
      child.once("error", () => {
        this.#exit ??= { code: null, signal: null };
        liveProcs.delete(this);
        this.#notify();
        resolve(this.#exit);
      });
    });
  }

  /** True once the process has exited. */
  get done(): boolean {
    return this.#exit !== null;
  }

  /** Lines matching `predicate`, from index `since`. */
  filter(predicate: LinePredicate, since = 0): LogLine[] {
    return this.lines.slice(since).filter(predicate);
  }

  /**
   * The first line from index `since` that matches `predicate`, waiting for it until `timeoutMs`
   * (default 15,000). Rejects on the deadline or when the process exits first, with the last
   * lines of its output in the message.
   */
  waitFor(predicate: LinePredicate, what: string, options: { timeoutMs?: number; since?: number } = {}): Promise<LogLine> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const since = options.since ?? 0;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        const found = this.lines.slice(since).find(predicate);
        if (found) return finish(() => resolve(found));
        if (this.#exit) return finish(() => reject(this.#failure(`exited (${JSON.stringify(this.#exit)}) before ${what}`)));
      };
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      timer = setTimeout(() => finish(() => reject(this.#failure(`no ${what} within ${timeoutMs} ms`))), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends `signal` (by PID) if still running. */
  kill(signal: NodeJS.Signals): void {
    if (this.#exit || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs` (default 5,000); resolves when it has exited. Never throws. */
  async stop(graceMs = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** The last `n` output lines, for failure messages. */
  tail(n = 25): string {
    return this.raw.slice(-n).join("\n");
  }

  #failure(message: string): Error {
    return new Error(`${this.label}: ${message}\n--- last output of ${this.label} ---\n${this.tail()}`);
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/**
 * Starts `command args` inside namespace `ns` (via `ip netns exec`, which execs the command, so
 * the child's PID is the command's). stdin is closed; stdout and stderr are collected.
 */
export function runIn(ns: string, label: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): NsProcess {
  const child = spawn("ip", ["netns", "exec", ns, command, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return new NsProcess(label, child);
}

/** Stops every process in `procs` (SIGTERM, then SIGKILL after `graceMs`). Never throws. */
export async function stopAll(procs: Iterable<NsProcess>, graceMs = 5_000): Promise<void> {
  await Promise.all([...procs].map((p) => p.stop(graceMs).catch(() => undefined)));
}
