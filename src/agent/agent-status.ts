import type { MeshNode } from "../mesh/mesh-node.ts";
import type { HeartbeatInfo } from "../mesh/peer-table.ts";
import { VERSION } from "../version.ts";
import type { TaskService } from "../tasks/task-service.ts";
import type { DeviceReadings } from "../sensors/device-monitor.ts";
import type { Agent, HostedBroker } from "./agent.ts";
import type { AgentService } from "../services/service.ts";

/**
 * The agent's state as `agent status --json` prints it: identity, mesh, broker (mode, what is
 * hosted here, the connection), uptime, peers, message counters and refusals by reason.
 */
export function agentStatus(agent: Agent, node: MeshNode | null, broker: HostedBroker | null, resources: HeartbeatInfo, tasks: TaskService | null, device: DeviceReadings | null, services: readonly AgentService[]) {
  let identity = null;
  let mesh = null;
  try {
    identity = agent.identity.id;
    const m = agent.membership;
    mesh = { id: m.meshId, name: m.meshName, owner: m.owner };
  } catch {
    // not started yet
  }
  return {
    id: identity,
    mesh,
    profile: agent.config.profile,
    version: VERSION,
    runtime: `${agent.runtime.name} ${agent.runtime.version}`,
    uptimeMs: agent.startedAt === 0 ? 0 : agent.runtime.clock.now() - agent.startedAt,
    profileReason: agent.config.hardwareReason ?? null,
    resources,
    device: device
      ? {
          battery: device.battery,
          powerWatts: device.power?.totalWatts ?? null,
          thermalZones: device.thermal?.zones.length ?? 0,
          limits: device.limits,
        }
      : null,
    broker: {
      mode: agent.config.broker,
      hosting: broker ? { url: broker.url, clients: broker.clients(), refusals: { ...broker.refusals } } : null,
      connection: node?.connection ?? null,
    },
    peers: node?.peers.list() ?? [],
    counters: node ? { ...node.counters, pending: node.pending } : null,
    refusals: node?.refusals.snapshot() ?? null,
    tasks: tasks
      ? {
          states: tasks.coordinator.states(),
          coordinator: { ...tasks.coordinator.counters },
          retention: { ...tasks.coordinator.retention.policy, ...tasks.coordinator.retention.counters },
          worker: tasks.worker ? { ...tasks.worker.counters, queued: tasks.worker.queue.length, running: tasks.worker.queue.running } : null,
          recent: tasks.coordinator.list().slice(0, 10),
        }
      : null,
    reputation: tasks?.reputation.snapshot() ?? {},
    /** Each service's own status block, by name. */
    services: Object.fromEntries(services.map((s) => [s.name, s.status?.() ?? {}])) as Record<string, unknown>,
  };
}
