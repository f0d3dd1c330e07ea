// An in-process agent that runs tasks, built with the same adapters `agent run` uses (worker-thread
// executor, onnxruntime kinds when `inference` is given), on loopback without mDNS.
import { Agent } from "../../src/agent/agent.ts";
import type { InferWorkerOptions } from "../../src/adapters/node/infer-kind.ts";
import { runAdapters } from "../../src/cli/commands/run.ts";
import { buildConfig } from "../../src/config/agent-config.ts";
import type { ServiceFactory } from "../../src/services/service.ts";
import { runtime, Scope, TEST_CONFIG, testLogger } from "./mesh-fixtures.ts";

/**
 * Starts an Agent on `dataDir` with TEST_CONFIG, concurrency 1 and `config` over them; stopped by
 * `scope`. `inference` adds the onnxruntime kinds; `services` replaces the registry's services.
 */
export async function startTaskAgent(scope: Scope, dataDir: string, config: Record<string, unknown>, name: string, options: { inference?: InferWorkerOptions | null; services?: ServiceFactory[] } = {}): Promise<Agent> {
  const log = testLogger(name);
  const adapters = runAdapters(log, () => undefined, options.inference ?? null);
  const agent = new Agent(runtime, buildConfig(dataDir, { ...TEST_CONFIG, concurrency: 1, ...config }), options.services ? { ...adapters, services: options.services } : adapters, log);
  scope.defer(() => agent.stop());
  await agent.start();
  return agent;
}
