import { Agent, type AgentAdapters } from "../../agent/agent.ts";
import { connectMqtt } from "../../adapters/mqtt/mqtt-connection.ts";
import { startEmbeddedBroker } from "../../adapters/mqtt/embedded-broker.ts";
import { nodeResources } from "../../adapters/node/resources-node.ts";
import { nodeAddresses } from "../../adapters/node/addresses-node.ts";
import { createBonjourDiscovery } from "../../adapters/mdns/bonjour-discovery.ts";
import { startMetricsServer } from "../../adapters/node/metrics-http.ts";
import { renderMetrics } from "../../metrics/prometheus.ts";
import { createWorkerExecutor } from "../../adapters/node/worker-executor.ts";
import { prepareInference, type InferWorkerOptions } from "../../adapters/node/infer-kind.ts";
import { resolveProfile } from "../../profiles/resolve-profile.ts";
import { ProfileError } from "../../profiles/validate-profile.ts";
import { buildConfig, ConfigError, type AgentConfig } from "../../config/agent-config.ts";
import { createLogger, type Logger } from "../../log/logger.ts";
import { FileNotFound } from "../../runtime/runtime.ts";
import { stringFlag, UsageError } from "../args.ts";
import type { Command, CommandContext } from "../context.ts";

/** Flags of `agent run`. */
export const RUN_FLAGS = {
  profile: "string",
  config: "string",
  mesh: "string",
  broker: "string",
  bootstrap: "string",
  listen: "string",
  "no-mdns": "boolean",
  "no-inference": "boolean",
  "mdns-interface": "string",
  roles: "string",
  "broker-rank": "string",
  "heartbeat-ms": "string",
  concurrency: "string",
  "log-level": "string",
  metrics: "string",
  "tls-cert": "string",
  "tls-key": "string",
  "tls-ca": "string",
} as const;

/** Environment variables `agent run` reads, and the setting each fills. */
export const RUN_ENV: Record<string, string> = {
  P2P_AGENT_PROFILE: "profile",
  P2P_AGENT_MESH: "mesh",
  P2P_AGENT_BROKER: "broker",
  P2P_AGENT_LISTEN: "listen",
  P2P_AGENT_LOG_LEVEL: "logLevel",
};

/** `--tls-cert` and `--tls-key` together, or neither. */
function tlsFlags(args: CommandContext["args"]): { certFile: string; keyFile: string } | undefined {
  const certFile = stringFlag(args, "tls-cert");
  const keyFile = stringFlag(args, "tls-key");
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError("--tls-cert and --tls-key go together");
  return { certFile, keyFile };
}

/**
 * The agent's config as `agent run` builds it from a parsed command line: the `--config` file, the
 * `P2P_AGENT_*` environment and the flags, merged over the defaults. Bad values are `UsageError`s.
 * Exported so test programs that build an agent the same way can reuse it.
 */
export async function loadConfig({ runtime, args, dataDir }: CommandContext): Promise<AgentConfig> {
  let file: Record<string, unknown> = {};
  const path = stringFlag(args, "config");
  if (path !== undefined) {
    let text: string;
    try {
      text = new TextDecoder().decode(await runtime.files.readFile(path));
    } catch (error) {
      if (error instanceof FileNotFound) throw new UsageError(`config file ${path} does not exist`);
      throw error;
    }
    try {
      file = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof file !== "object" || file === null || Array.isArray(file)) throw new UsageError(`config file ${path} must hold a JSON object`);
  }
  const env: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(RUN_ENV)) env[field] = runtime.env(name) || undefined;
  const hb = stringFlag(args, "heartbeat-ms");
  const rank = stringFlag(args, "broker-rank");
  const flags: Record<string, unknown> = {
    profile: stringFlag(args, "profile"),
    mesh: stringFlag(args, "mesh"),
    broker: stringFlag(args, "broker"),
    bootstrap: stringFlag(args, "bootstrap"),
    listen: stringFlag(args, "listen"),
    mdns: args.flags["no-mdns"] ? false : undefined,
    inference: args.flags["no-inference"] ? false : undefined,
    mdnsInterface: stringFlag(args, "mdns-interface"),
    roles: stringFlag(args, "roles"),
    brokerRank: rank === undefined ? undefined : Number(rank),
    heartbeatMs: hb === undefined ? undefined : Number(hb),
    concurrency: stringFlag(args, "concurrency") === undefined ? undefined : Number(stringFlag(args, "concurrency")),
    logLevel: stringFlag(args, "log-level"),
    metrics: stringFlag(args, "metrics"),
    tls: tlsFlags(args),
    tlsCa: stringFlag(args, "tls-ca"),
  };
  // The profile comes first: it sets defaults (concurrency, memory, heartbeat, roles, broker rank)
  // that the config file, the environment and the flags may each override.
  const ref = String(flags.profile ?? env.profile ?? file.profile ?? "auto");
  let resolved;
  try {
    resolved = await resolveProfile(runtime.files, ref);
  } catch (error) {
    if (error instanceof ProfileError) throw new UsageError(error.message);
    throw error;
  }
  const p = resolved.profile;
  const fromProfile = { profile: p.name, concurrency: p.concurrency, taskMemoryMb: p.memoryLimitMb, heartbeatMs: p.heartbeatMs, roles: [...p.roles], brokerRank: p.brokerRank };
  const named = (layer: Record<string, unknown>) => ({ ...layer, profile: undefined });
  try {
    const config = buildConfig(dataDir, fromProfile, named(file), named(env), named(flags));
    return Object.freeze({ ...config, hardware: p, hardwareReason: resolved.reason });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The Node adapters `agent run` builds an agent from: MQTT.js, the embedded aedes broker (logging
 * each refusal as `broker.refused_<kind>`), resource readings, interface addresses and mDNS over
 * bonjour-service (logging socket errors as `mdns.error`), and worker threads for tasks.
 * `env` is read for the test-only fault switch (`P2P_AGENT_TEST_FAULTS=1` adds the fault kinds;
 * with `P2P_AGENT_TEST_LIE=1` too, this worker returns wrong results). `inference` (from
 * `prepareInference`, null when onnxruntime is not available) adds the `infer` kind to the workers.
 */
export function runAdapters(log: Logger, env: (name: string) => string | undefined = () => undefined, inference: InferWorkerOptions | null = null): AgentAdapters {
  // Test-only fault switch: the environment of this process, never anything from the network.
  const faults = env("P2P_AGENT_TEST_FAULTS") === "1";
  return {
    executor: (o) => createWorkerExecutor({ ...o, faults, inference }),
    ...(faults && env("P2P_AGENT_TEST_LIE") === "1" ? { faults: { lie: true } } : {}),
    connect: connectMqtt,
    startBroker: (o) => startEmbeddedBroker({ ...o, onRefusal: (r) => log.warn(`broker.refused_${r.kind}`, { who: r.who.slice(0, 16), reason: r.reason }) }),
    resources: nodeResources(),
    addresses: nodeAddresses,
    discovery: (iface) => createBonjourDiscovery({ ...(iface ? { interface: iface } : {}), onError: (e) => log.warn("mdns.error", { reason: e.message }) }),
  };
}

/** Inference settings when no hardware profile was resolved: onnxruntime's defaults on the CPU. */
const DEFAULT_INFERENCE = { executionProviders: ["cpu"], intraOpThreads: 0, interOpThreads: 0 } as const;

/**
 * `agent run` (the default command): starts the agent in the foreground until SIGINT or
 * SIGTERM, then leaves the mesh cleanly. Logs go to stderr: readable text on a terminal, JSON
 * lines otherwise.
 */
export const runCommand: Command = async (context) => {
  if (context.args.positionals.length > 0) throw new UsageError(`run takes no arguments, got ${context.args.positionals.join(" ")}`);
  const config = await loadConfig(context);
  const json = !globalThis.process?.stderr?.isTTY;
  const log = createLogger({ level: config.logLevel, json, write: (line) => context.output.err(line) });
  // Signal handlers go in before anything starts, so a SIGTERM at any point stops cleanly.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info("agent.stopping", { signal });
      resolve();
    };
    globalThis.process.once("SIGINT", () => stop("SIGINT"));
    globalThis.process.once("SIGTERM", () => stop("SIGTERM"));
  });
  // onnxruntime is optional: without it the agent runs every other kind and logs why (inference.unavailable).
  const inference = config.inference && config.roles.includes("processing") ? await prepareInference({ dataDir: config.dataDir, settings: config.hardware?.inference ?? DEFAULT_INFERENCE, log }) : null;
  const agent = new Agent(context.runtime, config, runAdapters(log, (n) => context.runtime.env(n), inference), log);
  try {
    await agent.start();
  } catch (error) {
    await agent.stop(); // release whatever started (control socket, broker, mDNS) before reporting
    throw error;
  }
  const metrics = config.metrics ? await startMetricsServer(config.metrics.host, config.metrics.port, () => renderMetrics(agent.status())) : null;
  if (metrics) log.info("metrics.serving", { url: `http://${config.metrics!.host}:${metrics.port}/metrics` });
  log.info("agent.ready", { id: agent.identity.id, profile: config.profile, profileReason: config.hardwareReason, broker: config.broker });
  await stopped;
  await metrics?.close();
  await agent.stop();
  log.info("agent.stopped");
  return 0;
};
