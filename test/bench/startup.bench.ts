import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ROOT } from "../../build/bundle.ts";
import { buildBundle, buildExecutable, buildSeaBlob } from "../../build/build.ts";
import { ARCHES, NODE_VERSION, nodeBinary, type Arch } from "../../build/node-runtime.ts";
import { SKIP_SEA } from "../build/helpers.ts";
import { median } from "./harness.ts";
import { formatRate } from "./report.ts";
import type { Aim, Bench, BenchSuite, Results, Row, Unit } from "./runner.ts";
import { idleResident, residentOf, startAgent, timeToExit, type ReadyAgent, type Resident } from "./startup-probe.ts";

/** The aims for an idle agent without models loaded. */
export const AIM_RSS_MB = 60;
export const AIM_READY_MS = 500;
/** Starts per program: full run, then `--quick`. */
const RUNS = { full: 5, quick: 2 };
/** How long after agent.ready (or after spawn, for the baselines) resident memory is read, ms. */
const IDLE_MS = { full: 3_000, quick: 1_000 };
/** The Deno binary the `deno` npm package installs (a native executable, no npx or Node shim). */
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const IDLE_SCRIPT = "setTimeout(()=>{},1e9)";

/** One way of running the agent, with the bare runtime it is compared with. */
interface Target {
  /** Row names say `ready: <label>` and `idle RSS: <label>`. */
  label: string;
  command: string;
  /** Arguments before the agent's own (`run --data-dir ...`). */
  prefix: string[];
  env?: Record<string, string>;
  /** The bare runtime: a program that exits at once, and one that idles. */
  bare: { label: string; command: string; exit: string[]; idle: string[] };
}

const readyRow = (label: string) => `ready: ${label}`;
const rssRow = (label: string) => `idle RSS: ${label}`;
const startRow = (label: string) => `bare start to exit: ${label}`;
const bareRssRow = (label: string) => `bare idle RSS: ${label}`;
/** The rows the aims read: one per program; the executable's cold start is reported, not judged. */
export const STARTUP_LABELS = { node: "node + bundle", deno: "deno + bundle", sea: "executable, warm cache", seaCold: "executable, cold cache" } as const;

function agentArgs(dataDir: string): string[] {
  return ["run", "--data-dir", dataDir, "--no-mdns", "--listen", "127.0.0.1:0", "--profile", "x86"];
}

/** `bare` run with `args`, as a shell command line in backticks (the runtime named by its label's first word). */
function commandText(bare: Target["bare"], args: readonly string[]): string {
  const words = [bare.label.split(" ")[0]!, ...args].map((w) => (/^[\w.=-]+$/.test(w) ? w : `"${w}"`));
  return `\`${words.join(" ")}\``;
}

function summary(name: string, unit: Unit, values: number[], extra: Partial<Row> = {}): Row {
  return { name, unit, opsPerSec: median(values), min: Math.min(...values), max: Math.max(...values), ...extra };
}

/** A VmRSS row; its note adds the median RssAnon, the part of it that is the process's own. */
function memoryRow(name: string, samples: Resident[], when: string, baseline?: string): Row {
  const anon = `of which ${formatRate(median(samples.map((m) => m.anonMb)))} MB RssAnon`;
  return summary(name, "MB", samples.map((m) => m.rssMb), { note: `${when}; ${anon}`, ...(baseline ? { baseline } : {}) });
}

/** A fresh temporary folder for one use, removed by `cleanup`. */
async function tempDir(cleanup: string[], prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.push(dir);
  return dir;
}

/**
 * One start of `target` with a fresh data dir: the time to agent.ready, then the resident memory
 * `idleMs` later, then SIGTERM, which must end it with exit code 0.
 */
async function startOnce(target: Target, idleMs: number, cleanup: string[], env: Record<string, string> = {}): Promise<{ readyMs: number; memory: Resident }> {
  const dataDir = await tempDir(cleanup, "p2p-bench-data-");
  const agent: ReadyAgent = await startAgent(target.command, [...target.prefix, ...agentArgs(dataDir)], { ...target.env, ...env });
  let memory: Resident;
  try {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    memory = await residentOf(agent.pid);
  } finally {
    const code = await agent.stop();
    if (code !== 0) throw new Error(`${target.label}: exit code ${code} after SIGTERM, expected 0; stderr:\n${agent.stderr().slice(-2000)}`);
  }
  return { readyMs: agent.readyMs, memory };
}

/** Builds the bundle, and the executable for this machine unless skipped; returns the targets. */
async function build(bench: Bench, outDir: string, cleanup: string[]): Promise<{ targets: Target[]; sea?: { target: Target; cacheHome: string } }> {
  bench.log("  building the bundle");
  const esm = (await buildBundle(outDir)).path;
  const node = { label: `node ${process.versions.node}`, command: process.execPath, exit: ["-e", "0"], idle: ["-e", IDLE_SCRIPT] };
  const deno = { label: "deno", command: DENO, exit: ["eval", "0"], idle: ["eval", IDLE_SCRIPT] };
  const targets: Target[] = [
    { label: STARTUP_LABELS.node, command: process.execPath, prefix: [esm], bare: node },
    { label: STARTUP_LABELS.deno, command: DENO, prefix: ["run", "-A", esm], bare: deno },
  ];
  const arch = ARCHES.find((a) => a === process.arch) as Arch | undefined;
  const skip = bench.quick ? "this is a --quick run" : SKIP_SEA ? "P2P_SKIP_SEA=1" : process.platform !== "linux" || !arch ? `no executable for ${process.platform} ${process.arch}` : undefined;
  if (skip !== undefined) {
    bench.note(`The single executable was not measured: ${skip}.`);
    return { targets };
  }
  bench.log(`  building the ${arch} executable`);
  const blob = await buildSeaBlob(outDir, arch!);
  const path = (await buildExecutable(outDir, arch!, blob)).path;
  const node24 = { label: `node ${NODE_VERSION}`, command: await nodeBinary(arch!), exit: ["-e", "0"], idle: ["-e", IDLE_SCRIPT] };
  // Its own cache folder: the first start unpacks the bundle there (cold), later ones only stat it.
  const cacheHome = await tempDir(cleanup, "p2p-bench-cache-");
  const target: Target = { label: STARTUP_LABELS.sea, command: path, prefix: [], env: { XDG_CACHE_HOME: cacheHome }, bare: node24 };
  return { targets: [...targets, target], sea: { target, cacheHome } };
}

async function measureStartup(bench: Bench): Promise<void> {
  const runs = bench.quick ? RUNS.quick : RUNS.full;
  const idleMs = bench.quick ? IDLE_MS.quick : IDLE_MS.full;
  const cleanup: string[] = [];
  try {
    const { targets, sea } = await build(bench, await tempDir(cleanup, "p2p-bench-build-"), cleanup);
    const ready = new Map<Target, number[]>(targets.map((t) => [t, []]));
    const rss = new Map<Target, Resident[]>(targets.map((t) => [t, []]));
    const coldMs: number[] = [];
    // One untimed start each first (file cache, Deno's code cache); for the executable it is its
    // cold start, which unpacks the bundle into its fresh cache folder.
    for (const target of targets) {
      bench.signal?.throwIfAborted();
      const first = await startOnce(target, 0, cleanup);
      if (target === sea?.target) coldMs.push(first.readyMs);
    }
    // Round-robin, so noise from other jobs on the machine falls on every program alike.
    for (let run = 0; run < runs; run++) {
      for (const target of targets) {
        bench.signal?.throwIfAborted();
        const r = await startOnce(target, idleMs, cleanup);
        ready.get(target)!.push(r.readyMs);
        rss.get(target)!.push(r.memory);
      }
      if (sea && run < runs - 1) {
        // More cold starts, each into a fresh cache folder of its own.
        const r = await startOnce(sea.target, 0, cleanup, { XDG_CACHE_HOME: await tempDir(cleanup, "p2p-bench-cache-") });
        coldMs.push(r.readyMs);
      }
    }
    const bares = [...new Map(targets.map((t) => [t.bare.label, t.bare])).values()];
    const bareStart = new Map<string, number[]>(bares.map((b) => [b.label, []]));
    const bareRss = new Map<string, Resident[]>(bares.map((b) => [b.label, []]));
    for (let run = 0; run < runs; run++) {
      for (const b of bares) {
        bench.signal?.throwIfAborted();
        bareStart.get(b.label)!.push(await timeToExit(b.command, b.exit));
        bareRss.get(b.label)!.push(await idleResident(b.command, b.idle, idleMs));
      }
    }
    const note = `${runs} starts, fresh data dir each`;
    for (const t of targets) bench.record(summary(readyRow(t.label), "ms", ready.get(t)!, { baseline: startRow(t.bare.label), note }));
    if (sea) {
      bench.record(summary(readyRow(STARTUP_LABELS.seaCold), "ms", coldMs, { baseline: startRow(sea.target.bare.label), note: `${coldMs.length} first starts, each unpacking the bundle into an empty cache` }));
    }
    for (const b of bares) bench.record(summary(startRow(b.label), "ms", bareStart.get(b.label)!, { note: commandText(b, b.exit) }));
    for (const t of targets) bench.record(memoryRow(rssRow(t.label), rss.get(t)!, `${idleMs / 1000} s after agent.ready`, bareRssRow(t.bare.label)));
    for (const b of bares) bench.record(memoryRow(bareRssRow(b.label), bareRss.get(b.label)!, `${commandText(b, b.idle)}, ${idleMs / 1000} s after spawn`));
    bench.note(`Deno is run as \`${relative(ROOT, DENO)} run -A\`: the native binary the \`deno\` npm package installs, not \`npx deno\` (npx adds a Node start of its own).`);
  } finally {
    await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** The named rows that exist, as `label figure unit` text, and whether every one is under `limit`. */
function judge(results: Results, rows: Array<[string, string]>, unit: Unit, limit: number, extra = ""): { measured: string; met: boolean } {
  const found = rows.flatMap(([label, name]) => {
    const row = results.row(startupSuite.id, name);
    return row ? [{ label, value: row.opsPerSec }] : [];
  });
  if (found.length === 0) return { measured: "not measured", met: false };
  const text = found.map((f) => `${f.label} ${formatRate(f.value)} ${unit}`).join(", ");
  return { measured: text + extra, met: found.every((f) => f.value < limit) };
}

const judged = (row: (label: string) => string): Array<[string, string]> => [
  ["node", row(STARTUP_LABELS.node)],
  ["deno", row(STARTUP_LABELS.deno)],
  ["executable", row(STARTUP_LABELS.sea)],
];

/** The two aims, judged on every program measured in this run (all must be under). */
export const startupAims: readonly Aim[] = [
  {
    statement: `Idle agent memory (RSS) under ${AIM_RSS_MB} MB, on every runtime measured`,
    evaluate: (results) => judge(results, judged(rssRow), "MB", AIM_RSS_MB),
  },
  {
    statement: `Agent ready in under ${AIM_READY_MS} ms from start without models loaded, on every runtime measured (warm start)`,
    evaluate: (results) => {
      const cold = results.row(startupSuite.id, readyRow(STARTUP_LABELS.seaCold));
      return judge(results, judged(readyRow), "ms", AIM_READY_MS, cold ? `; executable cold (first start) ${formatRate(cold.opsPerSec)} ms, not judged` : "");
    },
  },
];

/**
 * Idle memory and start-to-ready time of `agent run` as shipped: the bundle on Node and on Deno,
 * and the single executable (warm and cold cache), each against its bare runtime measured in the
 * same run. Builds everything into a temporary folder with the real build functions, so `dist/`
 * is never left half rebuilt.
 */
export const startupSuite: BenchSuite = {
  id: "startup",
  title: "Agent start-up and idle memory",
  about:
    "`agent run --no-mdns --listen 127.0.0.1:0 --profile x86` from the bundle on Node (`node agent.mjs run`), on Deno " +
    "(`deno run -A agent.mjs run`) and as the single executable for this machine, each start with a fresh data dir " +
    "(so it includes creating an identity and founding a mesh) and with the embedded broker. \"ready\" is the time " +
    "from spawn to the `agent.ready` log line on stderr; \"idle RSS\" is `VmRSS` from `/proc/PID/status` some seconds " +
    "after that line (MB = 10^6 bytes; the note gives `RssAnon`, the process's own memory, while the rest is " +
    "file-backed pages such as the runtime's code, shared with other processes running it); then SIGTERM, which must end the agent with exit code 0. Each program is " +
    "started once untimed first, then the programs take turns. The executable's first start unpacks the bundle into " +
    "its cache folder (`$XDG_CACHE_HOME/p2p-agent/`): its warm rows reuse one cache, its cold row starts with an " +
    "empty one each time. Baselines are the bare runtimes measured in the same run: the time to run and exit an " +
    "empty program, and the memory of one that only waits on a timer; the executable's baseline is the Node it is " +
    "built on. No models are loaded; task worker threads start on the first task, so none runs here.",
  aims: startupAims,
  run: measureStartup,
};
