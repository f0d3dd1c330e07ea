import mqtt from "mqtt";
import { silentLogger } from "../../src/log/logger.ts";
import type { WindowResult } from "../../src/pipelines/pipeline-runner.ts";
import { makeMesh, Scope } from "../support/mesh-fixtures.ts";
import { pipelines, quiet, sensorToken, startPipelineAgent, TEMPS, untilRunning } from "../pipelines/pipeline-lab.ts";
import { formatRate } from "./report.ts";
import type { Bench, BenchSuite } from "./runner.ts";

const SENSORS = 10;
const WINDOW = TEMPS.window.size;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sensor pipelines on one agent: the agent hosts the embedded broker and runs the `temps` pipeline
 * (16-reading windows, sensor-anomaly through the `infer` kind in a worker thread). A sensor
 * client publishes quiet readings for ten sensors (QoS 0, JSON) as fast as the pipeline keeps up
 * (at most 64 windows' worth outstanding) and a dashboard client counts the results; then a spike
 * is published after 15 quiet readings, over and over, timing publish to alert.
 */
export const pipelinesSuite: BenchSuite = {
  id: "pipelines",
  title: "Sensor pipelines",
  about:
    "One agent hosting the embedded broker runs a pipeline over `sensors/+/temperature` (windows of 16 readings, the sensor-anomaly model through onnxruntime in a task worker thread, windows batched into one model run while the previous run is busy). Sensors and the dashboard are MQTT.js clients on sensor tokens in the same process. Throughput: quiet JSON readings from ten sensors at QoS 0, published as fast as results come back (at most 64 windows outstanding), counted by results received. Latency: 15 quiet readings then a spike, publish of the spike to the alert arriving at the dashboard.",
  async run(bench: Bench) {
    const scope = new Scope();
    try {
      const mesh = await makeMesh(scope, 0, "bench");
      const agent = await startPipelineAgent(scope, mesh.owner.dataDir, { broker: "embedded", heartbeatMs: 500, pipelines: [TEMPS] }, "bench", silentLogger);
      await untilRunning(agent, "temps");
      const url = agent.hostedBroker!.url;
      const connect = async (name: string) => {
        const client = await mqtt.connectAsync(url, { protocolVersion: 4, username: name, password: await sensorToken(mesh.owner, name), reconnectPeriod: 0 });
        (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
        scope.defer(() => client.endAsync(true));
        return client;
      };
      const sensor = await connect("bench-sensor");
      const dashboard = await connect("bench-dash");
      let results = 0;
      const alerts: number[] = [];
      dashboard.on("message", (topic, payload) => {
        if (topic.startsWith("results/")) results++;
        else if ((JSON.parse(String(payload)) as WindowResult).anomaly) alerts.push(performance.now());
      });
      await dashboard.subscribeAsync(["results/#", "alerts/#"], { qos: 0 });

      // Throughput.
      const seconds = bench.quick ? 1 : 5;
      const calm = quiet().map((v) => JSON.stringify({ value: v }));
      let published = 0;
      const publishWindow = () => {
        for (let s = 0; s < SENSORS; s++) for (const line of calm) sensor.publish(`sensors/s${s}/temperature`, line, { qos: 0 });
        published += SENSORS * WINDOW;
      };
      for (let i = 0; i < 4; i++) publishWindow(); // warm-up: sessions, JIT
      while (results < 4 * SENSORS) await sleep(5);
      const before = pipelines(agent).status().pipelines[0]!.counters!;
      const [r0, b0, t0] = [results, before.batches, performance.now()];
      const start = published;
      while (performance.now() - t0 < seconds * 1000) {
        if ((published - start) / WINDOW - (results - r0) < 64) publishWindow();
        else await sleep(1);
      }
      const elapsed = (performance.now() - t0) / 1000;
      const windows = results - r0;
      const after = pipelines(agent).status().pipelines[0]!.counters!;
      const perBatch = windows / Math.max(1, after.batches - b0);
      bench.record({
        name: "readings through one agent's pipeline",
        opsPerSec: (windows * WINDOW) / elapsed,
        note: `${formatRate(windows / elapsed)} windows/s, ${perBatch.toFixed(1)} windows per model run; dropped ${after.dropped.backlog + after.dropped.model + after.dropped.publish}`,
      });
      while (results < (published / WINDOW)) await sleep(5); // drain before timing alerts

      // Alert latency: the spike is the 16th reading of its window.
      const rounds = bench.quick ? 20 : 200;
      const latencies: number[] = [];
      const spiky = quiet(2).map((v) => JSON.stringify({ value: v }));
      for (let i = 0; i < rounds; i++) {
        for (const line of spiky.slice(0, 15)) sensor.publish("sensors/spiky/temperature", line, { qos: 0 });
        await sleep(2);
        const seen = alerts.length;
        const t = performance.now();
        sensor.publish("sensors/spiky/temperature", JSON.stringify({ value: 95 }), { qos: 0 });
        const deadline = t + 5_000;
        while (alerts.length === seen && performance.now() < deadline) await new Promise((r) => setImmediate(r));
        if (alerts.length === seen) throw new Error(`no alert within 5 s in round ${i}`);
        latencies.push(alerts[seen]! - t);
      }
      latencies.sort((a, b) => a - b);
      bench.record({ name: "alert latency (spike published → alert received)", opsPerSec: percentile(latencies, 50), unit: "ms", min: latencies[0]!, max: latencies[latencies.length - 1]!, note: `p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms over ${rounds} spikes` });
    } finally {
      await scope.close();
    }
  },
};
