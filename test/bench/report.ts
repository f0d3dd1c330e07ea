import type { Row, RunReport, SuiteResult } from "./runner.ts";

/** A rate for people: whole numbers with thousands separators from 100 up, 3 significant digits below. */
export function formatRate(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec)) return String(opsPerSec);
  if (Math.abs(opsPerSec) >= 100) return Math.round(opsPerSec).toLocaleString("en-US");
  return Number(opsPerSec.toPrecision(3)).toString();
}

/** A ratio as `12.3×`: one decimal from 10 up, two from 1 up, two significant digits below 1. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return `${ratio}×`;
  if (ratio >= 10) return `${ratio.toFixed(1)}×`;
  return `${ratio >= 1 ? ratio.toFixed(2) : Number(ratio.toPrecision(2))}×`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

/** Keeps a table cell on one line and its pipes from splitting it. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function machineSection(report: RunReport): string[] {
  const m = report.machine;
  const gib = (m.totalMemory / 2 ** 30).toFixed(1);
  const load = m.loadAverage.map((x) => x.toFixed(2)).join(", ");
  const commit = report.commit
    ? `\`${report.commit.hash}\`${report.commit.dirty ? " plus uncommitted changes in the working tree" : ""}`
    : "unknown (not a git checkout, or git is missing)";
  return [
    "## Machine",
    "",
    `- CPU: ${m.cpuModel}, ${m.cores} logical cores`,
    `- Memory: ${gib} GiB`,
    `- OS: ${m.os}, ${m.arch}`,
    `- Runtime: ${m.runtime}`,
    `- Commit: ${commit}`,
    `- Load average at start (1, 5, 15 min): ${load}`,
    "",
    "The machine is shared and noisy: other jobs may run beside the benchmarks, so absolute figures " +
      "move from run to run. Ratios between rows of one run are steadier than figures across runs.",
    "",
  ];
}

function aimsSection(report: RunReport): string[] {
  if (report.aims.length === 0) return [];
  const met = report.aims.filter((a) => a.met).length;
  return [
    "## Aims",
    "",
    `${met} of ${report.aims.length} met in this run (computed from the figures below).`,
    "",
    "| Aim | Measured | Met |",
    "| --- | --- | --- |",
    ...report.aims.map((a) => `| ${cell(a.statement)} | ${cell(a.measured)} | ${a.met ? "met" : "**not met**"} |`),
    "",
  ];
}

function methodologySection(report: RunReport): string[] {
  const t = report.timing;
  return [
    "## Methodology",
    "",
    "Each benchmark calls one operation over and over on the main thread, one call at a time: a " +
      "returned promise is awaited before the next call starts, so no two operations overlap and the " +
      "work runs on ONE core (single-threaded, sequential awaits). The runtime's helper threads " +
      "(garbage collector, JIT) still run beside it; WebCrypto in Node hands each operation to the " +
      "libuv thread pool, but with one awaited at a time no two run in parallel.",
    "",
    `Each benchmark first runs untimed for ${seconds(t.warmupMs)} (warm-up: JIT compilation, key caches), ` +
      `which also sizes the batch of calls between clock reads. Then come ${t.rounds} timed rounds of at ` +
      `least ${seconds(t.roundMs)} each. Tables show the median of the round rates in operations per ` +
      "second, and the slowest and fastest round. A ratio divides a row's median by its baseline's " +
      "median, both measured in this same run. Where shown, \"ops per CPU-s\" divides the operations " +
      "by the CPU time the whole process used in those rounds (median over rounds): other jobs on the " +
      "machine take wall-clock time from a benchmark but not CPU time, so this column moves less with " +
      "them, while a gap between it and ops/s shows time lost to them.",
    ...(report.suites.some((s) => s.rows.some((r) => (r.unit ?? "/s") !== "/s"))
      ? [
          "",
          "A table with a Unit column holds other figures (milliseconds, megabytes), measured as its suite " +
            "describes; there a ratio is the row's figure divided by its baseline's, so above 1× means slower or bigger.",
        ]
      : []),
    ...(report.quick
      ? ["", "**This was a `--quick` run** (short rounds, small fixtures): the figures are only a smoke test."]
      : []),
    "",
  ];
}

function rowLine(row: Row, withCpu: boolean, withUnit: boolean): string {
  const range = row.min !== undefined && row.max !== undefined ? `${formatRate(row.min)} – ${formatRate(row.max)}` : "";
  const cpu = withCpu ? ` ${row.opsPerCpuSec !== undefined ? formatRate(row.opsPerCpuSec) : ""} |` : "";
  const unit = withUnit ? ` ${row.unit ?? "/s"} |` : "";
  const ratio = row.ratio !== undefined ? formatRatio(row.ratio) : "";
  return `| ${cell(row.name)} | ${formatRate(row.opsPerSec)} |${unit} ${range} |${cpu} ${cell(row.baseline ?? "")} | ${ratio} | ${cell(row.note ?? "")} |`;
}

function suiteSection(suite: SuiteResult): string[] {
  const lines = [`## ${suite.title}`, "", suite.about, ""];
  if (suite.rows.length > 0) {
    const withCpu = suite.rows.some((r) => r.opsPerCpuSec !== undefined);
    // A suite of rates keeps the "ops/s" heading; one with other units (ms, MB) gets a unit column.
    const withUnit = suite.rows.some((r) => (r.unit ?? "/s") !== "/s");
    lines.push(
      `| Benchmark | ${withUnit ? "Median | Unit" : "ops/s (median)"} | min – max |${withCpu ? " ops per CPU-s |" : ""} Baseline | Ratio | Note |`,
      `| --- | ---: |${withUnit ? " --- |" : ""} ---: |${withCpu ? " ---: |" : ""} --- | ---: | --- |`,
      ...suite.rows.map((row) => rowLine(row, withCpu, withUnit)),
      "",
    );
  }
  for (const note of suite.notes) lines.push(`- ${note}`);
  if (suite.error !== undefined) lines.push(`- **The suite failed:** ${suite.error}`);
  if (suite.notes.length > 0 || suite.error !== undefined) lines.push("");
  return lines;
}

/**
 * The benchmark page as markdown: title and date, the machine (CPU, cores, memory, OS and kernel,
 * architecture, runtime, commit, load, and a warning that the machine is shared), the aims with
 * their measured values and met or not met, the methodology with this run's timing, then one
 * table per suite. Pure: it formats `report` and touches nothing else.
 */
export function renderReport(report: RunReport): string {
  const lines = [
    "# Benchmarks",
    "",
    `Run on ${report.startedAt.toISOString()} in ${seconds(report.durationMs)}. Written by \`npm run bench\` ` +
      "(`test/bench/run.ts`); do not edit by hand, run it again instead.",
    "",
    ...machineSection(report),
    ...aimsSection(report),
    ...methodologySection(report),
    ...report.suites.flatMap(suiteSection),
  ];
  return lines.join("\n").replace(/\n+$/, "\n");
}
