import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { renderMetrics } from "../../src/metrics/prometheus.ts";
import { startMetricsServer } from "../../src/adapters/node/metrics-http.ts";

type Status = Parameters<typeof renderMetrics>[0];

function status(overrides: Partial<Status> = {}): Status {
  return {
    id: "a".repeat(52),
    mesh: { id: "b".repeat(52), name: "home \"lab\"", owner: false },
    profile: "pi4",
    version: "0.1.0",
    runtime: "node 20.20.2",
    uptimeMs: 12_345,
    profileReason: "detected: test",
    device: { battery: null, powerWatts: 7.5, thermalZones: 2, limits: { accepting: false, reason: "temperature 80 °C reached 75 °C" } },
    resources: { load: 0.25, freeMem: 1_000_000, temp: 51.5, queue: 2 },
    broker: { mode: "auto", hosting: { url: "mqtt://127.0.0.1:1883", clients: 3, refusals: { connect: 1, publish: 0, subscribe: 2 } }, connection: { connected: true, url: "mqtt://127.0.0.1:1883", since: 0 } },
    peers: [{ health: "alive" }, { health: "gone" }] as Status["peers"],
    counters: { sent: 5, received: 7, delivered: 3, duplicates: 0, resent: 1, reconnects: 0, pending: 4 },
    refusals: { too_large: 0, stale: 2 } as Status["refusals"],
    tasks: {
      states: { submitted: 1, placed: 0, running: 2, done: 40, failed: 3 },
      coordinator: { submitted: 46, done: 40, failed: 3, retried: 5, late: 1, busy: 7 },
      retention: { inputSeconds: 0, outputSeconds: 0, inputsDeleted: 40, outputsDeleted: 38 },
      worker: { accepted: 30, busy: 7, succeeded: 28, failed: 2, queued: 1, running: 2 },
      recent: [],
    },
    reputation: { ["c".repeat(52)]: { good: 3, bad: 1, observations: 4, score: 0.67 } },
    services: {
      storage: { blobs: 3, bytes: 4096, corrupt: 1 },
      pipelines: { pipelines: [{ name: "temp", input: "sensors/+/t", running: true, backlog: 0, counters: { readings: 120, alerts: 2, malformed: { no_field: 1 } } }] },
    },
    ...overrides,
  };
}

test("metrics carry identity, resources, peers, broker, messages and refusals", () => {
  const text = renderMetrics(status());
  assert.match(text, /^p2p_agent_info\{id="a{52}",version="0\.1\.0",profile="pi4",mesh="b{52}",runtime="node 20\.20\.2"\} 1$/m);
  assert.match(text, /^p2p_agent_temperature_celsius 51\.5$/m);
  assert.match(text, /^p2p_agent_peers\{health="alive"\} 1$/m);
  assert.match(text, /^p2p_agent_peers\{health="gone"\} 1$/m);
  assert.match(text, /^p2p_agent_broker_refusals_total\{kind="subscribe"\} 2$/m);
  assert.match(text, /^p2p_agent_messages_total\{kind="received"\} 7$/m);
  assert.match(text, /^p2p_agent_outbox_pending 4$/m);
  assert.match(text, /^p2p_agent_refusals_total\{reason="stale"\} 2$/m);
  assert.doesNotMatch(text, /kind="pending"/);
  assert.match(text, /^p2p_agent_tasks\{state="done"\} 40$/m);
  assert.match(text, /^p2p_agent_task_events_total\{side="coordinator",event="retried"\} 5$/m);
  assert.match(text, /^p2p_agent_task_events_total\{side="worker",event="busy"\} 7$/m);
  assert.match(text, /^p2p_agent_power_watts 7\.5$/m);
  assert.match(text, /^p2p_agent_accepting_work 0$/m);
  assert.match(text, /^p2p_agent_peer_reputation\{peer="c{52}"\} 0\.67$/m);
  assert.match(text, /^p2p_agent_task_payloads_deleted_total\{what="output"\} 38$/m);
  assert.match(text, /^p2p_agent_service\{service="storage",field="corrupt"\} 1$/m);
  assert.match(text, /^p2p_agent_service\{service="pipelines",field="pipelines\.temp\.counters\.alerts"\} 2$/m);
  assert.match(text, /^p2p_agent_service\{service="pipelines",field="pipelines\.temp\.running"\} 1$/m);
  assert.match(text, /^p2p_agent_service\{service="pipelines",field="pipelines\.temp\.counters\.malformed\.no_field"\} 1$/m);
});

test("unknown temperature and no hosted broker leave those series out", () => {
  const text = renderMetrics(status({ resources: { load: 0, freeMem: 0, temp: null, queue: 0 }, broker: { mode: "embedded", hosting: null, connection: null } }));
  assert.doesNotMatch(text, /p2p_agent_temperature_celsius/);
  assert.doesNotMatch(text, /p2p_agent_broker_clients/);
  assert.match(text, /^p2p_agent_broker_connected 0$/m);
});

const promtool = spawnSync("promtool", ["--version"]).status === 0;

test("promtool check metrics accepts the output", { skip: promtool ? false : "promtool not installed (Debian package prometheus)" }, () => {
  for (const s of [status(), status({ resources: { load: 0, freeMem: 0, temp: null, queue: 0 }, broker: { mode: "embedded", hosting: null, connection: null }, counters: null, refusals: null, tasks: null, reputation: {}, device: null })]) {
    const r = spawnSync("promtool", ["check", "metrics"], { input: renderMetrics(s) });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  }
});

test("the HTTP endpoint serves /metrics and 404s elsewhere", async () => {
  const server = await startMetricsServer("127.0.0.1", 0, () => renderMetrics(status()));
  try {
    const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get("content-type") ?? "", /version=0\.0\.4/);
    assert.match(await ok.text(), /p2p_agent_info/);
    const missing = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(missing.status, 404);
    await missing.text();
  } finally {
    await server.close();
  }
});
