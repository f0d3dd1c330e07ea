// The runner between the windows and MQTT (src/pipelines/pipeline-runner.ts), with a plain-JS
// scorer in place of the model (the model itself runs in the mosquitto and move tests): windows
// that fill while a model run is busy go into the next run together, a failing model run drops
// its windows and is counted, and nothing is published after stop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../../src/log/logger.ts";
import { parsePipeline } from "../../src/pipelines/pipeline-config.ts";
import { PipelineRunner, type WindowResult } from "../../src/pipelines/pipeline-runner.ts";

const spec = parsePipeline("p", { name: "p", input: "sensors/+/t", window: { size: 2 }, model: "sensor-anomaly", threshold: 10 });
const text = (s: string) => new TextEncoder().encode(s);

test("windows filling during a model run are scored together in the next one; results and alerts go to their topics", async () => {
  const batches: number[] = [];
  let release: () => void = () => {};
  const published: { topic: string; qos: number; json: WindowResult }[] = [];
  const runner = new PipelineRunner({
    spec,
    clock: { now: () => 1_000 },
    log: silentLogger,
    score: async (rows, count, width) => {
      batches.push(count);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return Array.from({ length: count }, (_, i) => rows[i * width]! + rows[i * width + 1]!); // the sum of each window
    },
    publish: async (topic, payload, qos) => void published.push({ topic, qos, json: JSON.parse(new TextDecoder().decode(payload)) }),
  });
  runner.accept("sensors/a/t", text("1"));
  runner.accept("sensors/a/t", text("2")); // window 1 → run 1 (held)
  for (const s of ["b", "c", "d"]) {
    runner.accept(`sensors/${s}/t`, text("5"));
    runner.accept(`sensors/${s}/t`, text(s === "c" ? "50" : "1"));
  }
  assert.equal(runner.backlog, 3);
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(batches, [1, 3]);
  assert.deepEqual(published.map((p) => [p.topic, p.qos, p.json.score, p.json.anomaly]), [
    ["results/p/a", 0, 3, false],
    ["results/p/b", 0, 6, false],
    ["results/p/c", 0, 55, true],
    ["alerts/p/c", 1, 55, true],
    ["results/p/d", 0, 6, false],
  ]);
  assert.deepEqual(runner.counters.dropped, { backlog: 0, model: 0, publish: 0 });
  assert.equal(runner.counters.windows, 4);
});

test("a failing model run or publish drops its windows and counts them; stop ends publishing", async () => {
  let fail = true;
  let published = 0;
  const runner = new PipelineRunner({
    spec,
    clock: { now: () => 0 },
    log: silentLogger,
    score: async (_rows, count) => {
      if (fail) throw new Error("inference_unavailable");
      return new Array(count).fill(1);
    },
    publish: async () => {
      published++;
      if (published === 1) throw new Error("not connected");
    },
  });
  for (const v of ["1", "2"]) runner.accept("sensors/a/t", text(v));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(runner.counters.dropped.model, 1);
  fail = false;
  for (const v of ["1", "2", "3", "4"]) runner.accept("sensors/a/t", text(v));
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual([runner.counters.dropped.publish, runner.counters.results], [1, 1]);
  await runner.stop();
  for (const v of ["1", "2"]) runner.accept("sensors/a/t", text(v));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(published, 2, "nothing after stop");
});

test("the backlog is bounded in readings, and evicted sources are counted, never refused", async () => {
  let release: () => void = () => {};
  let runs = 0;
  const wide = parsePipeline("w", { name: "w", input: "sensors/+/t", window: { size: 4 }, model: "sensor-anomaly", threshold: 10 });
  const published: string[] = [];
  const runner = new PipelineRunner({
    spec: wide,
    clock: { now: () => 0 },
    log: silentLogger,
    maxPendingReadings: 8, // two windows of four
    maxSources: 2,
    score: async (_rows, count) => {
      if (runs++ === 0) await new Promise<void>((r) => (release = r));
      return new Array(count).fill(0);
    },
    publish: async (topic) => void published.push(topic),
  });
  const feed = (sensor: string, n: number) => {
    for (let i = 0; i < n; i++) runner.accept(`sensors/${sensor}/t`, text(String(i)));
  };
  feed("a", 4); // scored at once (held)
  feed("a", 16); // four more windows: only the newest two wait
  assert.equal(runner.backlog, 2);
  assert.equal(runner.counters.dropped.backlog, 2);
  feed("b", 1);
  feed("c", 1); // evicts a, the least recently seen
  feed("a", 4); // a is back, evicting b, and fills a window
  assert.deepEqual(runner.counters.evicted, { full: 2, idle: 0 });
  assert.deepEqual([runner.backlog, runner.counters.dropped.backlog], [2, 3], "still two windows waiting at most");
  assert.equal(runner.sources, 2);
  assert.equal(runner.counters.malformed.not_json_or_cbor, 0);
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(published, ["results/w/a", "results/w/a", "results/w/a"], "the held window and the two newest");
  assert.equal(runner.backlog, 0);
  await runner.stop();
});
