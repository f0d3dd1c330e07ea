// An agent for the multi-host tests, run as
//   node --import tsx test/support/mesh-agent-proc.ts <agent run flags>
// It builds the Agent exactly as `agent run` does (same flags, config loading and adapters, from
// src/cli/commands/run.ts) and adds traffic the tests can observe: a `ping` handler, and a
// reliable `ping` with a per-peer counter to each peer as soon as it joins and then every second
// to every live peer. Logs are JSON lines on stderr, the agent's own plus
//   test.ping_received {from, n}   a ping from agent `from` (full ID) arrived
//   test.ping_acked    {to, n}     the recipient acknowledged ping n
//   test.ping_failed   {to, n, code}
// SIGTERM or SIGINT stops it cleanly (the agent leaves the mesh). It exists only for tests.
import process from "node:process";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { Agent } from "../../src/agent/agent.ts";
import { loadConfig, RUN_FLAGS, runAdapters } from "../../src/cli/commands/run.ts";
import { commandContext } from "../../src/cli/context.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { DeliveryError } from "../../src/mesh/outbox.ts";

const runtime = await selectRuntime();
const context = commandContext(runtime, process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }, RUN_FLAGS);
const config = await loadConfig(context);
const log = createLogger({ level: config.logLevel, json: true, write: (line) => process.stderr.write(`${line}\n`) });
const agent = new Agent(runtime, config, runAdapters(log, (n) => runtime.env(n)), log);

let stopping = false;
const stopped = new Promise<string>((resolve) => {
  process.once("SIGTERM", () => resolve("SIGTERM"));
  process.once("SIGINT", () => resolve("SIGINT"));
});

await agent.start();
const node = agent.node;
node.handle("ping", (m) => {
  const n = (m.body as { n?: unknown } | null)?.n;
  log.info("test.ping_received", { from: m.senderId, n: typeof n === "number" ? n : null });
});
log.info("agent.ready", { id: agent.identity.id, profile: config.profile, broker: config.broker });

const counters = new Map<string, number>();
const ping = (to: string) => {
  if (stopping) return;
  const n = (counters.get(to) ?? 0) + 1;
  counters.set(to, n);
  node.send(to, "ping", { n }, { timeoutMs: 5_000 }).then(
    () => log.info("test.ping_acked", { to, n }),
    (error: DeliveryError) => {
      if (!stopping) log.info("test.ping_failed", { to, n, code: error.code ?? "error" });
    },
  );
};
// Peer joins are seen by polling the peer table (it has one change listener, the node's log).
const live = new Set<string>();
const watch = setInterval(() => {
  const now = new Set(node.peers.live().map((p) => p.id));
  for (const id of now) if (!live.has(id)) ping(id);
  live.clear();
  for (const id of now) live.add(id);
}, 100);
const tick = setInterval(() => {
  for (const id of live) ping(id);
}, 1_000);

const signal = await stopped;
stopping = true;
log.info("agent.stopping", { signal });
clearInterval(watch);
clearInterval(tick);
// Bounded: a stop that hangs must not keep the test waiting (the test also kills after a grace).
const guard = setTimeout(() => {
  log.error("agent.stop_timeout", {});
  process.exit(1);
}, 4_000);
await agent.stop();
clearTimeout(guard);
log.info("agent.stopped");
