// A pipeline configured on two agents runs on exactly one of them (both agree which, with no
// messages: rendezvous hashing over the peers that advertise it); when that agent leaves the mesh
// the other starts it and results keep coming. A third agent, with no pipelines, hosts the broker.
import { test } from "node:test";
import assert from "node:assert/strict";
import mqtt from "mqtt";
import type { WindowResult } from "../../src/pipelines/pipeline-runner.ts";
import { makeMesh, Scope, startAgent } from "../support/mesh-fixtures.ts";
import { waitFor } from "../support/wait.ts";
import { pipelines, quiet, sensorToken, startPipelineAgent, TEMPS } from "./pipeline-lab.ts";

test("a pipeline runs on one of two capable agents and moves to the other when that one stops", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const mesh = await makeMesh(scope, 2);
    const hub = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded" }, "hub");
    assert.equal(hub.service("pipelines"), null, "no pipelines configured: no service");
    const url = hub.hostedBroker!.url;
    const [a, b] = await Promise.all(mesh.members.map((m, i) => startPipelineAgent(scope, m.dataDir, { broker: url, pipelines: [TEMPS] }, `agent${i}`)));
    const agents = [a!, b!];
    const owner = await waitFor(() => {
      const running = agents.filter((x) => pipelines(x).runningHere.includes("temps"));
      const agreed = agents.every((x) => pipelines(x).status().pipelines[0]!.owner === running[0]?.node.id);
      return running.length === 1 && agreed ? running[0] : null;
    }, 20_000, "exactly one agent to run temps, both agreeing");
    const other = agents.find((x) => x !== owner)!;

    const connect = async (name: string) => {
      const client = await mqtt.connectAsync(url, { protocolVersion: 4, username: name, password: await sensorToken(mesh.owner, name), reconnectPeriod: 0 });
      scope.defer(() => client.endAsync(true));
      return client;
    };
    const sensor = await connect("k1");
    const dashboard = await connect("dash");
    const results: WindowResult[] = [];
    dashboard.on("message", (_topic, payload) => results.push(JSON.parse(String(payload)) as WindowResult));
    await dashboard.subscribeAsync("results/temps/+", { qos: 1 });
    const feed = async (offset: number) => {
      for (const v of quiet(offset)) await sensor.publishAsync("sensors/k1/temperature", JSON.stringify({ value: v }), { qos: 1 });
    };

    await feed(0);
    await waitFor(() => results.length === 1, 10_000, "a result from the first owner");
    assert.equal(pipelines(owner).status().pipelines[0]!.counters!.results, 1);

    await owner.stop();
    await waitFor(() => pipelines(other).runningHere.includes("temps"), 20_000, "the pipeline to move to the other agent");
    assert.equal(pipelines(other).status().pipelines[0]!.owner, other.node.id);
    await feed(1);
    await waitFor(() => results.length === 2, 10_000, "a result from the new owner");
    assert.deepEqual([results[1]!.sensor, results[1]!.anomaly, results[1]!.window.count], ["k1", false, 16]);
    assert.equal(pipelines(other).status().pipelines[0]!.counters!.results, 1, "the new owner scored the second window");
  } finally {
    await scope.close();
  }
});
