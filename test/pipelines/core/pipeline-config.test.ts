// The `pipelines` config setting (src/pipelines/pipeline-config.ts): defaults, every refusal naming
// its field, output topic templates, and the `{sensor}` part a filter's wildcards match.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildConfig, ConfigError } from "../../../src/config/agent-config.ts";
import { isTopicFilter, outputTopic, parsePipelines, sensorOf } from "../../../src/pipelines/pipeline-config.ts";

const good = { name: "temps", input: "sensors/+/temperature", window: { size: 8 }, model: "sensor-anomaly", threshold: 3 };

test("a pipeline gets defaults for field, step and output topics, and the config is frozen", () => {
  const config = buildConfig("/data", { pipelines: [good] });
  assert.deepEqual(config.pipelines, [
    { name: "temps", input: "sensors/+/temperature", field: "value", window: { size: 8, step: 8 }, model: "sensor-anomaly", threshold: 3, output: { results: "results/{name}/{sensor}", alerts: "alerts/{name}/{sensor}" } },
  ]);
  assert.ok(Object.isFrozen(config.pipelines[0]) && Object.isFrozen(config.pipelines[0]!.window));
  assert.deepEqual(buildConfig("/data").pipelines, [], "none by default");
  const sha = "ab".repeat(32);
  const full = parsePipelines([{ ...good, field: "data.temp", window: { size: 4, step: 1 }, model: sha, threshold: -1.5, output: { results: "dash/{sensor}/score", alerts: "alarm/{name}" } }])[0]!;
  assert.deepEqual([full.field, full.window.step, full.model, full.output.alerts], ["data.temp", 1, sha, "alarm/{name}"]);
});

test("bad pipeline settings are refused naming the field", () => {
  const refused = (pipelines: unknown, field: string, reason?: RegExp) => {
    assert.throws(() => buildConfig("/data", { pipelines }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.field, field, e.message);
      if (reason) assert.match(e.message, reason);
      return true;
    });
  };
  refused({ temps: good }, "pipelines", /expected a list/);
  refused(["x"], "pipelines[0]");
  refused([{ ...good, name: "a b" }], "pipelines[0].name");
  refused([good, good], "pipelines[1].name", /already named "temps"/);
  refused([{ ...good, colour: 1 }], "pipelines[0].colour", /unknown setting/);
  refused([{ ...good, input: "p2p/x/all" }], "pipelines[0].input", /outside p2p/);
  refused([{ ...good, input: "#" }], "pipelines[0].input");
  refused([{ ...good, input: "sensors/a+/t" }], "pipelines[0].input", /topic filter/);
  refused([{ ...good, input: "sensors/#/t" }], "pipelines[0].input", /topic filter/);
  refused([{ ...good, field: "" }], "pipelines[0].field");
  refused([{ ...good, window: 8 }], "pipelines[0].window");
  refused([{ ...good, window: { size: 1 } }], "pipelines[0].window.size", /from 2 to 4096/);
  refused([{ ...good, window: { size: 8.5 } }], "pipelines[0].window.size");
  refused([{ ...good, window: { size: 8, step: 9 } }], "pipelines[0].window.step", /from 1 to 8/);
  refused([{ ...good, window: { size: 8, stride: 2 } }], "pipelines[0].window.stride");
  refused([{ ...good, model: "ABC/def" }], "pipelines[0].model");
  refused([{ ...good, threshold: "3" }], "pipelines[0].threshold");
  refused([{ ...good, threshold: Infinity }], "pipelines[0].threshold");
  refused([{ ...good, output: { results: "results/+/x" } }], "pipelines[0].output.results", /no wildcards/);
  refused([{ ...good, output: { alerts: "alerts/{nope}" } }], "pipelines[0].output.alerts", /unknown placeholder \{nope\}/);
  refused([{ ...good, output: { alerts: "sensors/{name}" } }], "pipelines[0].output.alerts", /other than p2p, sensors/);
  refused([{ ...good, output: { results: "a//b" } }], "pipelines[0].output.results");
  refused([{ ...good, output: { extra: "a" } }], "pipelines[0].output.extra");
});

test("topic filters follow MQTT 3.1.1 §4.7.1", () => {
  for (const f of ["a", "a/+/b", "a/#", "a/+/+", "+/a", "a//b"]) assert.ok(isTopicFilter(f), f);
  for (const f of ["", "a/#/b", "a/b#", "a/+b", "a/\u0000"]) assert.ok(!isTopicFilter(f), JSON.stringify(f));
});

test("{sensor} is what the filter's wildcards matched, or the topic's last level", () => {
  assert.equal(sensorOf("sensors/+/temperature", "sensors/kitchen/temperature"), "kitchen");
  assert.equal(sensorOf("sensors/#", "sensors/floor1/room2/temp"), "floor1/room2/temp");
  assert.equal(sensorOf("sensors/+/+", "sensors/k/t"), "k/t");
  assert.equal(sensorOf("sensors/boiler", "sensors/boiler"), "boiler");
  const spec = { name: "temps", input: "sensors/+/temperature" };
  assert.equal(outputTopic("results/{name}/{sensor}", spec, "sensors/k1/temperature"), "results/temps/k1");
  assert.equal(outputTopic("alerts/{sensor}/{sensor}", spec, "sensors/k1/temperature"), "alerts/k1/k1");
});
