import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { ControlServer } from "../../src/control/control-server.ts";
import { controlRequest } from "../../src/control/control-client.ts";
import { ControlError } from "../../src/control/control-protocol.ts";
import { silentLogger } from "../../src/log/logger.ts";

const runtime = await selectRuntime();

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "p2p-control-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function server(path: string, handlers: ConstructorParameters<typeof ControlServer>[0]["handlers"]) {
  return new ControlServer({ net: runtime.net, files: runtime.files, path, handlers, log: silentLogger });
}

test("a request gets its handler's result; the socket is mode 0600 and removed on stop", () =>
  withDir(async (dir) => {
    const path = join(dir, "agent.sock");
    const s = server(path, { echo: (args) => ({ got: args }) });
    await s.start();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await controlRequest(runtime, path, "echo", { a: 1 }), { got: { a: 1 } });
    await s.stop();
    await assert.rejects(stat(path));
    await s.stop(); // idempotent
  }));

test("unknown commands and failing handlers come back as ControlErrors with codes", () =>
  withDir(async (dir) => {
    const path = join(dir, "agent.sock");
    const s = server(path, {
      boom: () => {
        throw new ControlError("peer_unreachable", "nobody home");
      },
      crash: () => {
        throw new Error("bug");
      },
    });
    await s.start();
    try {
      await assert.rejects(controlRequest(runtime, path, "nope"), (e: unknown) => e instanceof ControlError && e.code === "unknown_command");
      await assert.rejects(controlRequest(runtime, path, "boom"), (e: unknown) => e instanceof ControlError && e.code === "peer_unreachable" && /nobody home/.test(e.message));
      await assert.rejects(controlRequest(runtime, path, "crash"), (e: unknown) => e instanceof ControlError && e.code === "failed");
    } finally {
      await s.stop();
    }
  }));

test("no agent running: not_running, with a hint", () =>
  withDir(async (dir) => {
    await assert.rejects(controlRequest(runtime, join(dir, "agent.sock"), "status"), (e: unknown) => e instanceof ControlError && e.code === "not_running" && /agent run/.test(e.message));
  }));

test("a stale socket file is replaced; a live agent on the same data dir is refused", () =>
  withDir(async (dir) => {
    const path = join(dir, "agent.sock");
    await writeFile(path, ""); // left behind by a crash: nobody answers on it
    const first = server(path, { ping: () => "pong" });
    await first.start();
    try {
      assert.equal(await controlRequest(runtime, path, "ping"), "pong");
      const second = server(path, {});
      await assert.rejects(second.start(), (e: unknown) => e instanceof ControlError && e.code === "already_running");
      assert.equal(await controlRequest(runtime, path, "ping"), "pong");
    } finally {
      await first.stop();
    }
  }));

test("garbage on the socket gets a bad_request answer and the server keeps serving", () =>
  withDir(async (dir) => {
    const path = join(dir, "agent.sock");
    const s = server(path, { ping: () => "pong" });
    await s.start();
    try {
      const conn = await runtime.net.connect({ path });
      await conn.write(new TextEncoder().encode("this is not json\n"));
      const reader = conn.readable.getReader();
      let text = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      conn.close();
      assert.equal(JSON.parse(text).error.code, "bad_request");
      assert.equal(await controlRequest(runtime, path, "ping"), "pong");
    } finally {
      await s.stop();
    }
  }));
