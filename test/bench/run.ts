import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cryptoSuite } from "./crypto.bench.ts";
import { envelopeSuite } from "./envelope.bench.ts";
import { meshSuite } from "./mesh.bench.ts";
import { startupSuite } from "./startup.bench.ts";
import { tasksSuite } from "./tasks.bench.ts";
import { pipelinesSuite } from "./pipelines.bench.ts";
import { vectorizeSuite } from "./vectorize.bench.ts";
import { FULL_TIMING, QUICK_TIMING } from "./harness.ts";
import { describeMachine, gitCommit } from "./machine.ts";
import { renderReport } from "./report.ts";
import { runSuites, type BenchSuite } from "./runner.ts";

/**
 * `npm run bench`: runs every suite below on one core and writes the markdown report.
 *
 *   --quick        short rounds and small fixtures (also `BENCH_QUICK=1`); for smoke tests
 *   --out PATH     where the report goes (also `BENCH_OUT`). Default `docs/benchmarks.md`; for a
 *                  quick run the default is a file in the temp directory, so a smoke test never
 *                  overwrites the published figures with rough ones.
 *   --only IDS     run only these suites (comma-separated ids, e.g. `mesh,vectorize`); the report
 *                  then goes to the temp directory unless --out says otherwise, so a partial run
 *                  never replaces the whole published report.
 *
 * To add a benchmark, write a module exporting a `BenchSuite` (see `runner.ts`) and list it here.
 */
export const SUITES: readonly BenchSuite[] = [cryptoSuite, envelopeSuite, meshSuite, tasksSuite, vectorizeSuite, pipelinesSuite, startupSuite];

/** Where the full run writes its report, relative to the working directory. */
export const DEFAULT_OUT = "docs/benchmarks.md";

/** Parsed command line. */
export interface BenchArgs {
  quick: boolean;
  out: string;
  /** Suite ids to run; null = all. */
  only: string[] | null;
}

/**
 * Reads `--quick` and `--out PATH` from `argv` and `BENCH_QUICK` and `BENCH_OUT` from `env`
 * (flags win). `BENCH_QUICK` counts as set for any value but empty and `0`. Throws `TypeError`
 * naming the argument for an unknown flag or a `--out` without a path.
 */
export function parseBenchArgs(argv: readonly string[], env: Record<string, string | undefined>): BenchArgs {
  let quick = env.BENCH_QUICK !== undefined && env.BENCH_QUICK !== "" && env.BENCH_QUICK !== "0";
  let out = env.BENCH_OUT || undefined;
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") quick = true;
    else if (arg === "--out" || arg.startsWith("--out=")) {
      const value = arg === "--out" ? argv[++i] : arg.slice("--out=".length);
      if (!value) throw new TypeError(`"--out" expects a path`);
      out = value;
    } else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      const ids = (value ?? "").split(",").filter(Boolean);
      const unknown = ids.filter((id) => !SUITES.some((s) => s.id === id));
      if (ids.length === 0 || unknown.length > 0) throw new TypeError(`"--only" expects suite ids from ${SUITES.map((s) => s.id).join(", ")}, got ${JSON.stringify(value ?? "")}`);
      only = ids;
    } else throw new TypeError(`unknown argument ${JSON.stringify(arg)}; expected --quick, --out PATH or --only IDS`);
  }
  const partial = quick ? "quick" : only ? "partial" : null;
  return { quick, only, out: out ?? (partial ? join(tmpdir(), `p2p-agent-benchmarks-${partial}.md`) : DEFAULT_OUT) };
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSigint);
  try {
    const machine = describeMachine();
    const commit = gitCommit();
    console.log(`bench: ${machine.cpuModel}, ${machine.cores} cores, ${machine.runtime}${args.quick ? " (quick)" : ""}`);
    const report = await runSuites(args.only ? SUITES.filter((s) => args.only!.includes(s.id)) : SUITES, {
      timing: args.quick ? QUICK_TIMING : FULL_TIMING,
      quick: args.quick,
      machine,
      ...(commit ? { commit } : {}),
      signal: controller.signal,
      cpuNow: () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1000;
      },
      log: (line) => console.log(line),
    });
    await mkdir(dirname(args.out), { recursive: true });
    await writeFile(args.out, renderReport(report));
    console.log(`bench: wrote ${args.out} (${(report.durationMs / 1000).toFixed(1)} s)`);
    for (const aim of report.aims) console.log(`aim ${aim.met ? "met" : "NOT met"}: ${aim.statement}: ${aim.measured}`);
    return report.suites.some((s) => s.error !== undefined) ? 1 : 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

// Only when run as the entry point, so tests can import `parseBenchArgs` without starting a run.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
