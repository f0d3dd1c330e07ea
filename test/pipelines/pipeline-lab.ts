// Shared set-up for the sensor pipeline tests and benchmark: in-process agents on the real adapters
// with worker threads that run `infer` (onnxruntime loaded as `agent run` loads it), sensor tokens
// issued by the mesh owner, and the real mosquitto_pub / mosquitto_sub command-line clients.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { Agent } from "../../src/agent/agent.ts";
import { startEmbeddedBroker } from "../../src/adapters/mqtt/embedded-broker.ts";
import { connectMqtt } from "../../src/adapters/mqtt/mqtt-connection.ts";
import { nodeAddresses } from "../../src/adapters/node/addresses-node.ts";
import { prepareInference } from "../../src/adapters/node/infer-kind.ts";
import { nodeResources } from "../../src/adapters/node/resources-node.ts";
import { createWorkerExecutor } from "../../src/adapters/node/worker-executor.ts";
import { buildConfig } from "../../src/config/agent-config.ts";
import { certToToken, issueCert } from "../../src/mesh/membership.ts";
import type { PipelineService } from "../../src/pipelines/pipeline-service.ts";
import type { WindowResult } from "../../src/pipelines/pipeline-runner.ts";
import type { Logger } from "../../src/log/logger.ts";
import type { InferenceSettings } from "../../src/profiles/profile.ts";
import { runtime, TEST_CONFIG, testLogger, type MemberKit, type Scope } from "../support/mesh-fixtures.ts";
import { waitFor } from "../support/wait.ts";

/** onnxruntime on the CPU, one thread (as the inference tests run it). */
const CPU: InferenceSettings = { executionProviders: ["cpu"], intraOpThreads: 1, interOpThreads: 1 };

/** The pipeline most tests run: 16-reading windows of `sensors/+/temperature`, alert above |z| 3. */
export const TEMPS = { name: "temps", input: "sensors/+/temperature", window: { size: 16 }, model: "sensor-anomaly", threshold: 3 } as const;

/**
 * An agent that runs tasks in worker threads with `infer` (like `agent run`), started and stopped
 * by `scope`. `config` is laid over TEST_CONFIG.
 */
export async function startPipelineAgent(scope: Scope, dataDir: string, config: Record<string, unknown>, name = "agent", log: Logger = testLogger(name)): Promise<Agent> {
  const inference = await prepareInference({ dataDir, settings: CPU, log });
  const agent = new Agent(
    runtime,
    buildConfig(dataDir, { ...TEST_CONFIG, ...config }),
    {
      connect: connectMqtt,
      startBroker: (o) => startEmbeddedBroker(o),
      resources: nodeResources(),
      addresses: nodeAddresses,
      executor: (o) => createWorkerExecutor({ ...o, inference }),
    },
    log,
  );
  scope.defer(() => agent.stop());
  await agent.start();
  return agent;
}

/** The agent's pipeline service (throws when it has none). */
export function pipelines(agent: Agent): PipelineService {
  const service = agent.service<PipelineService>("pipelines");
  if (!service) throw new Error("the agent runs no pipeline service");
  return service;
}

/** Waits until `agent` runs pipeline `name`. */
export function untilRunning(agent: Agent, name: string, ms = 20_000): Promise<boolean> {
  return waitFor(() => pipelines(agent).runningHere.includes(name), ms, `${name} to run on ${agent.node.id.slice(0, 8)}`);
}

/** A sensor token for `name` in `owner`'s mesh, as `agent invite --sensor NAME` makes it. */
export async function sensorToken(owner: MemberKit, name: string): Promise<string> {
  const cert = await issueCert(runtime.ed25519, owner.identity, { kind: "sensor", meshName: "test", name, exp: 0 }, { ts: runtime.clock.now(), nonce: runtime.random(16) });
  return certToToken(cert);
}

/** The mosquitto_pub and mosquitto_sub binaries, or null when mosquitto-clients (or coreutils' stdbuf) is not installed. */
export function findMosquittoClients(): { pub: string; sub: string } | null {
  const which = (b: string) => {
    const r = spawnSync("sh", ["-c", `command -v ${b}`], { encoding: "utf8" });
    return r.status === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : null;
  };
  const pub = which("mosquitto_pub");
  const sub = which("mosquitto_sub");
  return pub && sub && which("stdbuf") ? { pub, sub } : null;
}

/** MQTT connection flags for the mosquitto clients. */
export interface BrokerFlags {
  port: number;
  username?: string;
  password?: string;
}

function flags(b: BrokerFlags): string[] {
  return ["-h", "127.0.0.1", "-p", String(b.port), ...(b.username ? ["-u", b.username] : []), ...(b.password ? ["-P", b.password] : [])];
}

/**
 * Publishes `messages` to `topic` with mosquitto_pub, in order, each as one message: strings as
 * lines through `-l`, a Uint8Array (e.g. CBOR) alone through `-s`. Rejects when it exits non-zero.
 */
export async function mosquittoPub(binary: string, broker: BrokerFlags, topic: string, messages: string[] | Uint8Array): Promise<void> {
  const lines = Array.isArray(messages);
  const child = spawn(binary, [...flags(broker), "-t", topic, "-q", "1", lines ? "-l" : "-s"], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stdin!.end(lines ? messages.map((m) => `${m}\n`).join("") : messages);
  const code = await exited;
  if (code !== 0) throw new Error(`mosquitto_pub exited with ${code}: ${stderr}`);
}

/** A running mosquitto_sub and the messages it printed. */
export interface MosquittoSub {
  messages: { topic: string; json: WindowResult }[];
  stop(): Promise<void>;
}

/** Runs mosquitto_sub on `filters` (with `-v`, one line per message); resolves once it is subscribed. Killed by `scope`. */
export async function mosquittoSub(scope: Scope, binary: string, broker: BrokerFlags, filters: string[]): Promise<MosquittoSub> {
  // mosquitto_sub block-buffers stdout into a pipe; stdbuf (coreutils) makes it line-buffered.
  const args = [...flags(broker), "-v", "-d", ...filters.flatMap((f) => ["-t", f])];
  const child: ChildProcess = spawn("stdbuf", ["-oL", binary, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const messages: MosquittoSub["messages"] = [];
  let out = "";
  let subscribed = false;
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  child.stdout!.on("data", (d) => {
    out += String(d);
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.startsWith("Client ")) {
        if (line.includes("received SUBACK")) subscribed = true;
        continue; // -d debug lines
      }
      if (line.startsWith("Subscribed (mid")) continue;
      const space = line.indexOf(" ");
      if (space > 0) messages.push({ topic: line.slice(0, space), json: JSON.parse(line.slice(space + 1)) as WindowResult });
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  scope.defer(stop);
  await waitFor(() => subscribed || child.exitCode !== null, 5_000, "mosquitto_sub to subscribe");
  if (!subscribed) throw new Error(`mosquitto_sub exited with ${child.exitCode}: ${stderr}`);
  return { messages, stop };
}

/** Sixteen quiet readings around 20 (largest |z| about 1.7). */
export function quiet(offset = 0): number[] {
  return Array.from({ length: 16 }, (_, i) => 20 + 0.1 * (((i + offset) * 7) % 5) - 0.2);
}
