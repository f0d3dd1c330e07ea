import type { agentStatus } from "../agent/agent-status.ts";

type Status = ReturnType<typeof agentStatus>;

/**
 * The numeric leaves of a service's status as `[path, value]`, the path's parts joined by `.`;
 * list items are named by their `name` field where they have one (a pipeline), else by index.
 */
function numericLeaves(value: unknown, path: string, out: Array<[string, number]>, depth = 0): Array<[string, number]> {
  if (typeof value === "number") out.push([path, value]);
  else if (typeof value === "boolean") out.push([path, value ? 1 : 0]);
  else if (value !== null && typeof value === "object" && depth < 6) {
    const entries = Array.isArray(value) ? value.map((v, i) => [typeof (v as { name?: unknown })?.name === "string" ? (v as { name: string }).name : String(i), v] as const) : Object.entries(value);
    for (const [k, v] of entries) numericLeaves(v, path ? `${path}.${k}` : k, out, depth + 1);
  }
  return out;
}

/** Escapes a label value for the Prometheus text format (backslash, quote, newline). */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Builds the exposition text one metric family at a time. */
class Exposition {
  readonly lines: string[] = [];
  family(name: string, type: "counter" | "gauge", help: string, samples: Array<[Record<string, string>, number]>): void {
    if (samples.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(",");
      this.lines.push(`${name}${l ? `{${l}}` : ""} ${Number.isFinite(value) ? value : 0}`);
    }
  }
}

/**
 * The agent's metrics in the Prometheus text exposition format (version 0.0.4): identity as an
 * info metric, uptime, resources, peers by health, broker connection and what a hosted broker
 * refused, messages by kind, refusals by reason. `promtool check metrics` accepts it (tested).
 */
export function renderMetrics(status: Status): string {
  const x = new Exposition();
  x.family("p2p_agent_info", "gauge", "Constant 1, labelled with the agent's identity.", [
    [{ id: status.id ?? "", version: status.version, profile: status.profile, mesh: status.mesh?.id ?? "", runtime: status.runtime }, 1],
  ]);
  x.family("p2p_agent_uptime_seconds", "gauge", "Seconds since the agent started.", [[{}, status.uptimeMs / 1000]]);
  const r = status.resources;
  x.family("p2p_agent_load_per_core", "gauge", "One-minute load average divided by the number of cores.", [[{}, r.load]]);
  x.family("p2p_agent_free_memory_bytes", "gauge", "Free memory in bytes.", [[{}, r.freeMem]]);
  x.family("p2p_agent_temperature_celsius", "gauge", "Hottest thermal zone, when the board reports one.", r.temp === null ? [] : [[{}, r.temp]]);
  const device = status.device;
  if (device) {
    x.family("p2p_agent_power_watts", "gauge", "Power drawn, from the board's power rails where it reports them.", device.powerWatts === null ? [] : [[{}, device.powerWatts]]);
    x.family("p2p_agent_battery_percent", "gauge", "Battery charge, where the device has one.", device.battery ? [[{}, device.battery.percent]] : []);
    x.family("p2p_agent_accepting_work", "gauge", "1 while thermal and battery limits allow new work.", [[{}, device.limits.accepting ? 1 : 0]]);
  }
  x.family("p2p_agent_queue_length", "gauge", "Tasks waiting in this agent's queue.", [[{}, r.queue]]);
  const health = { alive: 0, suspect: 0, gone: 0 };
  for (const p of status.peers) health[p.health]++;
  x.family("p2p_agent_peers", "gauge", "Known peers by health.", Object.entries(health).map(([h, n]) => [{ health: h }, n]));
  x.family("p2p_agent_broker_connected", "gauge", "1 while connected to the mesh's broker.", [[{}, status.broker.connection?.connected ? 1 : 0]]);
  const hosting = status.broker.hosting;
  x.family("p2p_agent_broker_hosting", "gauge", "1 while this agent hosts the mesh's broker.", [[{}, hosting ? 1 : 0]]);
  if (hosting) {
    x.family("p2p_agent_broker_clients", "gauge", "Clients connected to the broker hosted here.", [[{}, hosting.clients]]);
    x.family("p2p_agent_broker_refusals_total", "counter", "CONNECTs, publishes and subscribes the hosted broker refused.", Object.entries(hosting.refusals).map(([k, n]) => [{ kind: k }, n]));
  }
  const { pending, ...counters } = status.counters ?? { pending: 0 };
  x.family("p2p_agent_messages_total", "counter", "Mesh messages by kind (sent, received, delivered, duplicates, resent) and reconnects.", Object.entries(counters).map(([k, n]) => [{ kind: k }, n as number]));
  x.family("p2p_agent_outbox_pending", "gauge", "Direct messages sent and not yet acknowledged.", [[{}, pending]]);
  x.family("p2p_agent_refusals_total", "counter", "Received messages refused, by reason.", Object.entries(status.refusals ?? {}).map(([k, n]) => [{ reason: k }, n]));
  const tasks = status.tasks;
  if (tasks) {
    x.family("p2p_agent_tasks", "gauge", "Tasks this agent coordinates, by state.", Object.entries(tasks.states).map(([k, n]) => [{ state: k }, n]));
    const { queued: _q, running: _r, ...worker } = tasks.worker ?? { queued: 0, running: 0 };
    x.family("p2p_agent_task_events_total", "counter", "Task events: coordinator submissions, completions, failures, retries, late results, busy answers; worker accepts, busy refusals, successes, failures.", [
      ...Object.entries(tasks.coordinator).map(([k, n]): [Record<string, string>, number] => [{ side: "coordinator", event: k }, n]),
      ...Object.entries(worker).map(([k, n]): [Record<string, string>, number] => [{ side: "worker", event: k }, n as number]),
    ]);
    if (tasks.worker) x.family("p2p_agent_tasks_running", "gauge", "Tasks running on this agent now.", [[{}, tasks.worker.running]]);
  }
  if (tasks) {
    const { inputSeconds: _i, outputSeconds: _o, ...deleted } = tasks.retention;
    x.family("p2p_agent_task_payloads_deleted_total", "counter", "Task inputs and outputs dropped under the retention policy.", Object.entries(deleted).map(([k, n]) => [{ what: k === "inputsDeleted" ? "input" : "output" }, n]));
  }
  x.family(
    "p2p_agent_service",
    "gauge",
    "Numbers each service (vector, storage, pipelines) reports in agent status: counters, sizes and flags, by service and field path.",
    Object.entries(status.services).flatMap(([service, s]) => numericLeaves(s, "", []).map(([field, n]): [Record<string, string>, number] => [{ service, field }, n])),
  );
  x.family("p2p_agent_peer_reputation", "gauge", "Trust in each peer this agent has worked with, 0 to 1.", Object.entries(status.reputation).map(([id, r]) => [{ peer: id }, r.score]));
  return x.lines.join("\n") + "\n";
}
