// Shared set-up for the storage tests: in-process agents on the real adapters (aedes, MQTT.js,
// worker threads with onnxruntime when asked) in one mesh, each in its own data dir, the first
// hosting the embedded broker on 127.0.0.1 port 0; and helpers to run a task and wait for it.
import { Agent } from "../../src/agent/agent.ts";
import { startEmbeddedBroker } from "../../src/adapters/mqtt/embedded-broker.ts";
import { connectMqtt } from "../../src/adapters/mqtt/mqtt-connection.ts";
import { nodeAddresses } from "../../src/adapters/node/addresses-node.ts";
import { nodeResources } from "../../src/adapters/node/resources-node.ts";
import { createWorkerExecutor } from "../../src/adapters/node/worker-executor.ts";
import { buildConfig } from "../../src/config/agent-config.ts";
import { modelsDirIn } from "../../src/inference/model-store.ts";
import type { StorageService } from "../../src/storage/storage-service.ts";
import type { TaskOutcome } from "../../src/tasks/task.ts";
import { CPU } from "../inference/helpers.ts";
import { freezableRelay, makeMesh, runtime, Scope, TEST_CONFIG, testLogger, type FreezableRelay, type MemberKit } from "../support/mesh-fixtures.ts";
import { waitFor } from "../support/wait.ts";

/** One agent to start: its roles, whether its workers run `infer`, extra config. */
export interface AgentPlan {
  name: string;
  roles: string[];
  inference?: boolean;
  config?: Record<string, unknown>;
  /** Connect through a TCP relay the test can freeze (the agent then vanishes without a goodbye). */
  relay?: boolean;
}

/** An agent of a storage mesh, with its data dir. */
export interface MeshAgent {
  name: string;
  kit: MemberKit;
  agent: Agent;
  relay?: FreezableRelay;
}

/** Starts an Agent for `kit` on the real adapters; stopped by `scope` (stopping twice is fine). */
export async function startPlanned(scope: Scope, kit: MemberKit, plan: AgentPlan, broker: string): Promise<Agent> {
  const config = buildConfig(kit.dataDir, { ...TEST_CONFIG, broker, roles: plan.roles, ...plan.config });
  const agent = new Agent(
    runtime,
    config,
    {
      connect: connectMqtt,
      startBroker: (o) => startEmbeddedBroker(o),
      resources: nodeResources(),
      addresses: nodeAddresses,
      ...(plan.roles.includes("processing") ? { executor: (o) => createWorkerExecutor({ ...o, inference: plan.inference ? { modelsDir: modelsDirIn(kit.dataDir), settings: CPU } : null }) } : {}),
    },
    testLogger(plan.name),
  );
  scope.defer(() => agent.stop());
  await agent.start();
  return agent;
}

/**
 * A mesh of `plans.length` agents: the first hosts the broker; returns once all see each other.
 * With `membersById` the plans after the first go to the members in the order of their IDs (so a
 * test knows which one, e.g., a re-replication tries first).
 */
export async function storageMesh(scope: Scope, plans: AgentPlan[], options: { membersById?: boolean } = {}): Promise<MeshAgent[]> {
  const mesh = await makeMesh(scope, plans.length - 1);
  const members = options.membersById ? [...mesh.members].sort((a, b) => (a.identity.id < b.identity.id ? -1 : 1)) : mesh.members;
  const kits = [mesh.owner, ...members];
  const first = await startPlanned(scope, kits[0]!, plans[0]!, "embedded");
  const url = first.hostedBroker!.url;
  const agents: MeshAgent[] = [{ name: plans[0]!.name, kit: kits[0]!, agent: first }];
  for (let i = 1; i < plans.length; i++) {
    const relay = plans[i]!.relay ? await freezableRelay(scope, { host: "127.0.0.1", port: first.hostedBroker!.port }) : undefined;
    agents.push({ name: plans[i]!.name, kit: kits[i]!, agent: await startPlanned(scope, kits[i]!, plans[i]!, relay?.url ?? url), ...(relay ? { relay } : {}) });
  }
  await waitFor(() => agents.every((a) => a.agent.node.peers.live().length === plans.length - 1), 10_000, "every agent sees every other");
  return agents;
}

/** Submits a task on `agent` and waits for its outcome. */
export async function runTask(agent: Agent, spec: { kind: string; input: unknown; params?: Record<string, unknown> }): Promise<TaskOutcome> {
  const id = await agent.tasks.coordinator.submit({ params: {}, ...spec });
  return agent.tasks.coordinator.wait(id);
}

/** The storage service of `agent` (it must have the storage role). */
export function storageOf(agent: Agent): StorageService {
  const s = agent.service<StorageService>("storage");
  if (!s) throw new Error("agent has no storage service");
  return s;
}
