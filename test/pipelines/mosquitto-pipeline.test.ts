// A sensor pipeline fed by the real `mosquitto_pub` and read by the real `mosquitto_sub`
// (Debian's mosquitto-clients): quiet readings give results with anomaly false and no alert, a
// spike gives an alert, and malformed readings are counted by reason and skipped. Once on the
// embedded broker with sensor tokens (the sensor publishes, a dashboard token reads results/ and
// alerts/), once with mosquitto itself as the mesh's external broker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeCbor } from "../../src/wire/cbor.ts";
import { makeMesh, Scope } from "../support/mesh-fixtures.ts";
import { findMosquitto, startMosquitto } from "../support/mosquitto.ts";
import { staysFalse, waitFor } from "../support/wait.ts";
import type { Agent } from "../../src/agent/agent.ts";
import { findMosquittoClients, mosquittoPub, mosquittoSub, pipelines, quiet, sensorToken, startPipelineAgent, TEMPS, untilRunning, type BrokerFlags } from "./pipeline-lab.ts";

const clients = findMosquittoClients();
const skip = clients ? false : "mosquitto_pub/mosquitto_sub (apt-get install mosquitto-clients) or stdbuf not installed";

/** Feeds one quiet window (with malformed readings and a CBOR one in it), then one with a spike, and checks what mosquitto_sub saw. */
async function quietThenSpike(scope: Scope, agent: Agent, sensor: BrokerFlags, dashboard: BrokerFlags): Promise<void> {
  const { pub, sub } = clients!;
  const seen = await mosquittoSub(scope, sub, dashboard, ["results/#", "alerts/#"]);
  const topic = "sensors/k1/temperature";
  const calm = quiet();
  // Fifteen readings as JSON lines, with three malformed ones between them, then the 16th as CBOR.
  const lines = calm.slice(0, 15).map((v, i) => (i % 2 === 0 ? `{"value": ${v}, "unit": "C"}` : String(v)));
  lines.splice(3, 0, "not a reading", '{"temp": 21}', '{"value": "hot"}');
  await mosquittoPub(pub, sensor, topic, lines);
  await mosquittoPub(pub, sensor, topic, encodeCbor({ value: calm[15] }));
  const first = await waitFor(() => seen.messages.find((m) => m.topic === "results/temps/k1"), 10_000, "the quiet window's result");
  assert.equal(first.json.anomaly, false, JSON.stringify(first.json));
  assert.ok(first.json.score! < TEMPS.threshold, `quiet score ${first.json.score}`);
  assert.deepEqual([first.json.pipeline, first.json.sensor, first.json.topic, first.json.threshold, first.json.window.count], ["temps", "k1", topic, 3, 16]);
  assert.ok(first.json.window.start <= first.json.window.end && first.json.window.end <= first.json.at);
  await staysFalse(() => seen.messages.some((m) => m.topic.startsWith("alerts/")), 300, "an alert for quiet readings");

  const spiky = quiet(3).map(String);
  spiky[9] = "95";
  await mosquittoPub(pub, sensor, topic, spiky);
  const alert = await waitFor(() => seen.messages.find((m) => m.topic === "alerts/temps/k1"), 10_000, "the spike's alert");
  assert.equal(alert.json.anomaly, true);
  assert.ok(alert.json.score! > 3.5, `spike score ${alert.json.score}`);
  const results = await waitFor(() => {
    const r = seen.messages.filter((m) => m.topic === "results/temps/k1");
    return r.length === 2 ? r : null;
  }, 5_000, "the spike's result");
  assert.deepEqual(results.map((m) => m.json.anomaly), [false, true]);
  assert.equal(results[1]!.json.score, alert.json.score, "the alert is the spike window's result");
  assert.equal(seen.messages.filter((m) => m.topic.startsWith("alerts/")).length, 1);
  const counters = pipelines(agent).status().pipelines[0]!.counters!;
  assert.deepEqual(
    { readings: counters.readings, windows: counters.windows, results: counters.results, alerts: counters.alerts },
    { readings: 35, windows: 2, results: 2, alerts: 1 },
  );
  assert.deepEqual(counters.malformed, { too_large: 0, not_json_or_cbor: 1, no_field: 1, not_a_number: 1 });
  assert.deepEqual(counters.evicted, { full: 0, idle: 0 });
  assert.equal(pipelines(agent).status().pipelines[0]!.sources, 1, "one sensor topic has a window open");
}

test("mosquitto_pub readings through a pipeline on the embedded broker, read with mosquitto_sub on a sensor token", { skip, timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const mesh = await makeMesh(scope, 0);
    const agent = await startPipelineAgent(scope, mesh.owner.dataDir, { broker: "embedded", pipelines: [TEMPS] }, "owner");
    await untilRunning(agent, "temps");
    const port = agent.hostedBroker!.port;
    const sensor = { port, username: "k1", password: await sensorToken(mesh.owner, "k1") };
    const dashboard = { port, username: "dash", password: await sensorToken(mesh.owner, "dash") };
    await quietThenSpike(scope, agent, sensor, dashboard);
    assert.equal(pipelines(agent).status().pipelines[0]!.owner, agent.node.id);
  } finally {
    await scope.close();
  }
});

const mosquitto = findMosquitto();

test("the same pipeline with mosquitto as the mesh's external broker", { skip: skip || (mosquitto ? false : "mosquitto is not installed"), timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const broker = await startMosquitto(scope, mosquitto!);
    const mesh = await makeMesh(scope, 0);
    const agent = await startPipelineAgent(scope, mesh.owner.dataDir, { broker: broker.url, pipelines: [TEMPS] }, "owner");
    await untilRunning(agent, "temps");
    await quietThenSpike(scope, agent, { port: broker.port }, { port: broker.port });
  } finally {
    await scope.close();
  }
});
