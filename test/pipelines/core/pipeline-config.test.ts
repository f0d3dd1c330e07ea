// The `pipelines` config setting (src/pipelines/pipeline-config.ts): defaults, every refusal naming
// its field, output topic templates, and the `{sensor}` part a filter's wildcards match.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildConfig, ConfigError } from "../../../src/config/agent-config.ts";
import { topicMatches } from "../../../src/mesh/topics.ts";
import { filtersOverlap, isTopicFilter, outputFilter, outputTopic, parsePipelines, sensorOf } from "../../../src/pipelines/pipeline-config.ts";

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

test("a pipeline whose results or alerts could land on its own or another pipeline's input is refused", () => {
  const refused = (pipelines: unknown, field: string, reason: RegExp) => {
    assert.throws(() => buildConfig("/data", { pipelines }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.field, field, e.message);
      assert.match(e.message, reason);
      return true;
    });
  };
  // Its own input, with the default output topics and with custom ones.
  refused([{ ...good, input: "results/#" }], "pipelines[0].output.results", /its own input "results\/#"/);
  refused([{ ...good, input: "results/temps/+" }], "pipelines[0].output.results", /its own input/);
  refused([{ ...good, input: "alerts/+/+" }], "pipelines[0].output.alerts", /its own input "alerts\/\+\/\+"/);
  refused([{ ...good, input: "dash/+/score", output: { results: "dash/{sensor}/score" } }], "pipelines[0].output.results", /its own input/);
  refused([{ ...good, input: "dash/temps", output: { alerts: "dash/{name}" } }], "pipelines[0].output.alerts", /its own input/);
  // Another pipeline's input: pipelines feeding each other could loop.
  const reader = { ...good, name: "reader", input: "results/temps/+", output: { results: "out/{name}/{sensor}", alerts: "out2/{name}/{sensor}" } };
  refused([good, reader], "pipelines[0].output.results", /pipelines\[1\]\.input "results\/temps\/\+"/);
  refused([reader, good], "pipelines[1].output.results", /pipelines\[0\]\.input/);
  // Inputs that cannot receive these outputs are fine.
  for (const input of ["results/other/x", "results/temps/a/b", "alerts/temps", "results"]) {
    assert.equal(parsePipelines([{ ...good, input }])[0]!.input, input);
  }
  assert.equal(parsePipelines([good, { ...reader, input: "results/other/+" }]).length, 2);
});

test("outputFilter covers every topic a template gives; filtersOverlap agrees with topicMatches on a witness", () => {
  assert.equal(outputFilter("results/{name}/{sensor}", { name: "t", input: "sensors/+/x" }), "results/t/+");
  assert.equal(outputFilter("r/{sensor}-v/{name}", { name: "t", input: "sensors/+/x" }), "r/+/t");
  assert.equal(outputFilter("r/{sensor}/{name}", { name: "t", input: "sensors/#" }), "r/#", "{sensor} can span levels");
  assert.equal(outputFilter("r/{sensor}", { name: "t", input: "sensors/+/+" }), "r/#");
  assert.equal(outputFilter("r/fixed", { name: "t", input: "sensors/#" }), "r/fixed");
  const overlap: [string, string][] = [["a/#", "a"], ["a/+", "+/b"], ["a/+/c", "a/b/#"], ["#", "x/y"], ["a/b", "a/b"], ["+/+", "a/#"]];
  const apart: [string, string][] = [["a/+", "a/b/c"], ["a/b", "a/c"], ["a/+/c", "a/b/d"], ["a", "a/+"], ["b/#", "a/#"]];
  for (const [a, b] of overlap) assert.ok(filtersOverlap(a, b) && filtersOverlap(b, a), `${a} ~ ${b}`);
  for (const [a, b] of apart) assert.ok(!filtersOverlap(a, b) && !filtersOverlap(b, a), `${a} !~ ${b}`);
  // Every pair of small filters against every small topic.
  const seqs = (alphabet: string[], max: number): string[][] => {
    const out: string[][] = [[]];
    for (let n = 1; n <= max; n++) for (const prev of out.filter((p) => p.length === n - 1)) for (const l of alphabet) out.push([...prev, l]);
    return out;
  };
  const filters = seqs(["a", "b", "+"], 2).flatMap((l) => [l, [...l, "#"]]).filter((l) => l.length > 0).map((l) => l.join("/"));
  const topics = seqs(["a", "b", "c"], 4).filter((l) => l.length > 0).map((l) => l.join("/"));
  for (const a of filters) {
    for (const b of filters) {
      const truth = topics.some((t) => topicMatches(a, t) && topicMatches(b, t));
      assert.equal(filtersOverlap(a, b), truth, `${a} vs ${b}`);
    }
  }
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
