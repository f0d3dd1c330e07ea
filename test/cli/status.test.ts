import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const AGENT = join(import.meta.dirname, "../../scripts/agent.mjs");
const isDeno = "Deno" in globalThis;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [AGENT, ...args], { encoding: "utf8", timeout: 30_000 });
}

test("agent run, then agent status / peers / metrics from another process; SIGTERM stops it cleanly", { skip: isDeno ? "spawns the Node CLI" : false, timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "p2p-status-"));
  const child = spawn(process.execPath, [AGENT, "run", "--data-dir", dir, "--no-mdns", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--heartbeat-ms", "300"], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    const events: Record<string, Record<string, unknown>> = {};
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("agent.ready not logged within 20 s")), 20_000);
      createInterface({ input: child.stderr! }).on("line", (line) => {
        try {
          const event = JSON.parse(line);
          events[event.event] = event;
          if (event.event === "agent.ready") {
            clearTimeout(timer);
            resolve();
          }
        } catch {
          // not a log line
        }
      });
      child.once("exit", (code) => reject(new Error(`agent exited early with ${code}`)));
    });

    const json = cli("status", "--json", "--data-dir", dir);
    assert.equal(json.status, 0, json.stderr);
    const status = JSON.parse(json.stdout);
    assert.equal(status.id, events["agent.identity"]!.id);
    assert.equal(status.mesh.owner, true);
    assert.equal(status.broker.mode, "embedded");
    assert.match(status.broker.hosting.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(status.refusals && "bad_signature" in status.refusals);

    const text = cli("status", "--data-dir", dir);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^agent +[a-z2-7]{52}$/m);
    assert.match(text.stdout, /^refused +none$/m);

    const peers = cli("peers", "--json", "--data-dir", dir);
    assert.equal(peers.status, 0, peers.stderr);
    assert.deepEqual(JSON.parse(peers.stdout), []);

    const url = String(events["metrics.serving"]!.url);
    const metrics = await (await fetch(url)).text();
    assert.match(metrics, /^p2p_agent_broker_hosting 1$/m);

    const unknownPeer = cli("status", "--peer", "zzzz", "--data-dir", dir);
    assert.equal(unknownPeer.status, 1);
    assert.match(unknownPeer.stderr, /no peer with an ID starting zzzz/);

    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const after = cli("status", "--data-dir", dir);
    assert.equal(after.status, 1);
    assert.match(after.stderr, /no agent is running/);
  } finally {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});
