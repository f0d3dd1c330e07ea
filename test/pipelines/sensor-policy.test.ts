// The broker policy's one addition for pipelines: a sensor token may read pipeline results and
// alerts (so a dashboard on the embedded broker can use one), and still nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BrokerPolicy, type Principal } from "../../src/mesh/broker-policy.ts";
import { meshTopics } from "../../src/mesh/topics.ts";
import { EnvelopeReceiver } from "../../src/wire/receiver.ts";
import { FakeTime } from "../support/fake-time.ts";
import { ed25519, party } from "../support/keys.ts";

test("sensor tokens subscribe under results/ and alerts/ only; agents may read sensors/ and publish results", async () => {
  const owner = await party(0x21);
  const time = new FakeTime();
  const policy = new BrokerPolicy({ ed25519, clock: time, meshId: owner.id, connects: new EnvelopeReceiver({ ed25519, clock: time }) });
  const sensor: Principal = { kind: "sensor", name: "dash" };
  for (const filter of ["results/#", "alerts/#", "results/temps/+", "alerts/temps/k1"]) assert.equal(policy.canSubscribe(sensor, filter), true, filter);
  const topics = meshTopics(owner.id);
  for (const filter of ["#", "+/temps", "sensors/#", "resultsx/#", "$SYS/#", topics.all, `${topics.prefix}/#`]) assert.equal(policy.canSubscribe(sensor, filter), false, filter);
  assert.equal(policy.canPublish(sensor, "results/temps/k1", new Uint8Array(1)), false, "sensors cannot forge results");
  const agent: Principal = { kind: "agent", id: owner.id, key: owner.publicKey };
  assert.equal(policy.canSubscribe(agent, "sensors/+/temperature"), true);
  assert.equal(policy.canPublish(agent, "results/temps/k1", new Uint8Array(1)), true);
  assert.equal(policy.canPublish(agent, "alerts/temps/k1", new Uint8Array(1)), true);
});
