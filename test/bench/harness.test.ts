import assert from "node:assert/strict";
import { test } from "node:test";
import { measure, median } from "./harness.ts";
import { describeMachine } from "./machine.ts";
import { formatRate, formatRatio, renderReport } from "./report.ts";
import { parseBenchArgs } from "./run.ts";
import { runSuites, type BenchSuite } from "./runner.ts";

const TINY = { warmupMs: 2, roundMs: 5, rounds: 3 };

test("measure: a fake clock that advances 1 µs per call gives exactly 1,000,000 ops/s", async () => {
  let t = 0;
  const m = await measure(() => void (t += 0.001), { warmupMs: 1, roundMs: 10, rounds: 5, now: () => t });
  assert.equal(m.perRound.length, 5);
  for (const rate of m.perRound) assert.ok(Math.abs(rate - 1e6) < 1, `round rate ${rate}`);
  assert.ok(Math.abs(m.median - 1e6) < 1);
  assert.ok(m.ops >= 5 * 10_000, `only ${m.ops} ops for 5 rounds of 10 fake ms`);
});

test("measure: with a CPU clock, cpuMedian counts operations per CPU-second", async () => {
  let t = 0;
  let cpu = 0;
  const op = () => {
    t += 0.001;
    cpu += 0.002; // as if another thread of the process worked alongside
  };
  const m = await measure(op, { warmupMs: 1, roundMs: 10, rounds: 3, now: () => t, cpuNow: () => cpu });
  assert.ok(m.cpuMedian !== undefined && Math.abs(m.cpuMedian - 5e5) < 1, `cpuMedian ${m.cpuMedian}`);
  const without = await measure(op, { warmupMs: 1, roundMs: 10, rounds: 3, now: () => t });
  assert.equal(without.cpuMedian, undefined);
});

test("measure: calls run one at a time, each promise awaited before the next call", async () => {
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  const m = await measure(async () => {
    inFlight++;
    most = Math.max(most, inFlight);
    calls++;
    await Promise.resolve();
    inFlight--;
  }, TINY);
  assert.equal(most, 1);
  assert.ok(calls > 0 && m.median > 0 && m.min <= m.median && m.median <= m.max, JSON.stringify(m));
});

test("measure: refuses bad timing and passes an operation's error on", async () => {
  await assert.rejects(measure(() => {}, { ...TINY, rounds: 0 }), RangeError);
  await assert.rejects(measure(() => {}, { ...TINY, roundMs: -1 }), RangeError);
  await assert.rejects(measure("x" as never, TINY), TypeError);
  let n = 0;
  const failing = () => {
    if (++n > 10) throw new Error("operation broke");
  };
  await assert.rejects(measure(failing, TINY), /operation broke/);
});

test("median, formatRate and formatRatio", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
  assert.equal(formatRate(12345.6), "12,346");
  assert.equal(formatRate(7.891), "7.89");
  assert.equal(formatRatio(10.34), "10.3×");
  assert.equal(formatRatio(5.071), "5.07×");
  assert.equal(formatRatio(0.0234), "0.023×");
});

test("runSuites + renderReport: machine section, table rows, ratios, aims and a failed suite", async () => {
  const machine = describeMachine();
  let sink = 0;
  const trivial: BenchSuite = {
    id: "trivial",
    title: "Trivial group",
    about: "A function that adds one.",
    aims: [
      {
        statement: "noop above one op per second",
        evaluate: (r) => {
          const row = r.row("trivial", "noop");
          return { measured: row ? formatRate(row.opsPerSec) : "not measured", met: (row?.opsPerSec ?? 0) > 1 };
        },
      },
      { statement: "a row nobody measured", evaluate: (r) => ({ measured: "none", met: r.row("trivial", "missing") !== undefined }) },
    ],
    async run(bench) {
      await bench.measure("noop", () => void sink++);
      await bench.measure("noop twice", () => void (sink += 2), { baseline: "noop", note: "two adds" });
      bench.record({ name: "counted elsewhere", opsPerSec: 500, baseline: "noop", ratio: 0.5 });
      bench.note("a remark");
    },
  };
  const broken: BenchSuite = {
    id: "broken",
    title: "Broken group",
    about: "Throws after one row.",
    async run(bench) {
      bench.record({ name: "before", opsPerSec: 1 });
      throw new Error("broker would not start");
    },
  };
  const cpuNow = () => performance.now(); // a stand-in CPU clock, so the CPU column is rendered
  const report = await runSuites([trivial, broken], { timing: TINY, machine, cpuNow });
  assert.equal(report.suites.length, 2);
  const rows = report.suites[0]!.rows;
  assert.deepEqual(rows.map((r) => r.name), ["noop", "noop twice", "counted elsewhere"]);
  assert.ok(rows[0]!.opsPerSec > 0);
  assert.ok(Math.abs(rows[1]!.ratio! - rows[1]!.opsPerSec / rows[0]!.opsPerSec) < 1e-9);
  assert.equal(rows[2]!.ratio, 0.5, "a ratio given by the suite is kept");
  assert.equal(report.suites[1]!.error, "Error: broker would not start");
  assert.deepEqual(report.aims.map((a) => a.met), [true, false]);

  const md = renderReport(report);
  assert.match(md, /^# Benchmarks\n/);
  assert.match(md, /^## Machine$/m);
  assert.ok(md.includes(`- CPU: ${machine.cpuModel}, ${machine.cores} logical cores`), md);
  assert.match(md, /^- Memory: \d+\.\d GiB$/m);
  assert.match(md, /^- Runtime: (Node|Deno) \d+\.\d+\.\d+$/m);
  assert.match(md, /shared and noisy/);
  assert.match(md, /ONE core \(single-threaded, sequential awaits\)/);
  assert.match(md, /Run on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
  assert.match(md, /^## Trivial group$/m);
  assert.match(md, /^\| Benchmark \| ops\/s \(median\) \| min – max \| ops per CPU-s \| Baseline \| Ratio \| Note \|$/m);
  assert.match(md, /^\| noop \| [\d,.]+ \| [\d,.]+ – [\d,.]+ \| [\d,.]+ \|  \|  \|  \|$/m);
  assert.match(md, /^\| noop twice \| [\d,.]+ \| [\d,.]+ – [\d,.]+ \| [\d,.]+ \| noop \| [\d.]+× \| two adds \|$/m);
  assert.match(md, /^\| counted elsewhere \| 500 \|  \|  \| noop \| 0\.5× \|  \|$/m);
  assert.match(md, /^\| noop above one op per second \| [\d,.]+ \| met \|$/m);
  assert.match(md, /^\| a row nobody measured \| none \| \*\*not met\*\* \|$/m);
  assert.match(md, /^- \*\*The suite failed:\*\* Error: broker would not start$/m);
});

test("runSuites refuses two suites with one id", async () => {
  const suite: BenchSuite = { id: "same", title: "t", about: "a", run: async () => {} };
  await assert.rejects(runSuites([suite, suite], { timing: TINY, machine: describeMachine() }), RangeError);
});

test("parseBenchArgs: --quick, --out and the BENCH_ variables", () => {
  assert.deepEqual(parseBenchArgs([], {}), { quick: false, out: "docs/benchmarks.md", only: null });
  assert.equal(parseBenchArgs(["--quick"], {}).quick, true);
  assert.equal(parseBenchArgs([], { BENCH_QUICK: "1" }).quick, true);
  assert.equal(parseBenchArgs([], { BENCH_QUICK: "0" }).quick, false);
  assert.notEqual(parseBenchArgs([], { BENCH_QUICK: "1" }).out, "docs/benchmarks.md", "a quick run must not overwrite the docs");
  assert.equal(parseBenchArgs(["--out", "x.md"], { BENCH_OUT: "y.md" }).out, "x.md");
  assert.equal(parseBenchArgs(["--out=z.md"], {}).out, "z.md");
  assert.equal(parseBenchArgs([], { BENCH_OUT: "y.md" }).out, "y.md");
  assert.throws(() => parseBenchArgs(["--fast"], {}), TypeError);
  assert.throws(() => parseBenchArgs(["--out"], {}), TypeError);
  const only = parseBenchArgs(["--only", "mesh,vectorize"], {});
  assert.deepEqual(only.only, ["mesh", "vectorize"]);
  assert.notEqual(only.out, "docs/benchmarks.md", "a partial run must not replace the whole report");
  assert.equal(parseBenchArgs(["--only=mesh", "--out", "m.md"], {}).out, "m.md");
  assert.throws(() => parseBenchArgs(["--only", "nope"], {}), /expects suite ids from crypto/);
  assert.throws(() => parseBenchArgs(["--only"], {}), TypeError);
});

test("rows in ms or MB get a Unit column and ratios within one unit; a suite of rates keeps its table", async () => {
  const timed: BenchSuite = {
    id: "timed",
    title: "Timed group",
    about: "Start-up figures.",
    async run(bench) {
      bench.record({ name: "ready", unit: "ms", opsPerSec: 150, min: 120, max: 300, baseline: "bare" });
      bench.record({ name: "bare", unit: "ms", opsPerSec: 50 });
      bench.record({ name: "rss", unit: "MB", opsPerSec: 74.2, baseline: "bare", note: "a ratio across units is never made" });
    },
  };
  const rates: BenchSuite = { id: "rates", title: "Rates", about: "A rate.", run: async (bench) => bench.record({ name: "op", opsPerSec: 1000 }) };
  const lines: string[] = [];
  const report = await runSuites([timed, rates], { timing: TINY, machine: describeMachine(), log: (l) => lines.push(l) });
  const [ready, , rss] = report.suites[0]!.rows;
  assert.equal(ready!.ratio, 3);
  assert.equal(rss!.ratio, undefined);
  assert.ok(lines.includes("  ready: 150 ms") && lines.includes("  rss: 74.2 MB") && lines.includes("  op: 1,000 /s"), lines.join("\n"));
  const md = renderReport(report);
  assert.match(md, /^\| Benchmark \| Median \| Unit \| min – max \| Baseline \| Ratio \| Note \|$/m);
  assert.match(md, /^\| ready \| 150 \| ms \| 120 – 300 \| bare \| 3\.00× \|  \|$/m);
  assert.match(md, /^\| rss \| 74\.2 \| MB \|  \| bare \|  \| a ratio across units is never made \|$/m);
  assert.match(md, /^\| op \| 1,000 \|  \|  \|  \|  \|$/m, "the rates table has no Unit column");
  assert.match(md, /A table with a Unit column/);
});
