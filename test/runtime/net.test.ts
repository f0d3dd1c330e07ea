// `Runtime.net` on whichever runtime runs the test: TCP on 127.0.0.1 and Unix sockets in a
// temporary folder. Every test closes what it opened; under Deno the test sanitizers check that.
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import type { Conn, Listener, SocketAddress } from "../../src/runtime/runtime.ts";
import { drain, echo, pattern, readBytes, withTempDir } from "./helpers.ts";

const { net } = await selectRuntime();

/** Serves `listener` with `handle` per connection; `done` settles when the listener closes and every handler ends. */
function serve(listener: Listener, handle: (conn: Conn) => Promise<void>): { done: Promise<number> } {
  const handlers: Promise<void>[] = [];
  const done = (async () => {
    for await (const conn of listener) handlers.push(handle(conn));
    await Promise.all(handlers);
    return handlers.length;
  })();
  return { done };
}

/** Connects to `address`, sends `data`, checks the echo and closes. */
async function roundTrip(address: SocketAddress, data: Uint8Array): Promise<void> {
  const conn = await net.connect(address);
  try {
    const [, back] = await Promise.all([conn.write(data), readBytes(conn, data.length)]);
    assert.equal(back.length, data.length);
    assert.deepEqual(back, data);
  } finally {
    conn.close();
  }
}

test("TCP echo on 127.0.0.1 with port 0 gets a real port", async () => {
  const listener = await net.listen({ host: "127.0.0.1", port: 0 });
  const server = serve(listener, echo);
  try {
    const address = listener.address;
    assert.ok("port" in address);
    assert.equal(address.host, "127.0.0.1");
    assert.ok(Number.isInteger(address.port) && address.port > 0 && address.port < 65536, `port ${address.port}`);
    await roundTrip(address, new TextEncoder().encode("hello, mesh"));
    await roundTrip(address, pattern(1024 * 1024 + 3));
    await Promise.all([1, 2, 3].map((n) => roundTrip(address, pattern(n * 10_000))));
  } finally {
    await listener.close();
  }
  assert.equal(await server.done, 5);
});

test("Unix socket echo in a temporary folder", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/control.sock`;
    const listener = await net.listen({ path });
    const server = serve(listener, echo);
    try {
      assert.deepEqual(listener.address, { path });
      await roundTrip({ path }, new TextEncoder().encode("status"));
      await roundTrip({ path }, pattern(256 * 1024));
    } finally {
      await listener.close();
    }
    assert.equal(await server.done, 2);
  });
});

test("the server sees the end of the stream when the client closes", async () => {
  const listener = await net.listen({ host: "127.0.0.1", port: 0 });
  let received = -1;
  const server = serve(listener, async (conn) => {
    received = await drain(conn);
    conn.close();
  });
  try {
    const conn = await net.connect(listener.address);
    await conn.write(pattern(5000));
    conn.close();
    while (received < 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(received, 5000);
  } finally {
    await listener.close();
  }
  await server.done;
});

test("the client sees the end of the stream when the server closes", async () => {
  const listener = await net.listen({ host: "127.0.0.1", port: 0 });
  const server = serve(listener, async (conn) => {
    await conn.write(new TextEncoder().encode("bye"));
    conn.close();
  });
  try {
    const conn = await net.connect(listener.address);
    try {
      assert.equal(await drain(conn), 3);
    } finally {
      conn.close();
    }
  } finally {
    await listener.close();
  }
  await server.done;
});

test("closing a listener ends a waiting iteration and closes its open connections", async () => {
  const listener = await net.listen({ host: "127.0.0.1", port: 0 });
  const accepted: Conn[] = [];
  const loop = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  const client = await net.connect(listener.address);
  try {
    while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5));
    await listener.close();
    await loop;
    // The server side was closed by the listener, so the client reads the end of the stream.
    assert.equal(await drain(client).catch(() => 0), 0);
  } finally {
    client.close();
  }
});

test("a closed Unix socket path can be listened on again, and close is idempotent", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/again.sock`;
    const first = await net.listen({ path });
    await first.close();
    await first.close();
    const second = await net.listen({ path });
    const server = serve(second, echo);
    try {
      await roundTrip({ path }, new TextEncoder().encode("again"));
    } finally {
      await second.close();
    }
    assert.equal(await server.done, 1);
  });
});

test("listening on a TCP port already in use rejects", async () => {
  const first = await net.listen({ host: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(net.listen(first.address));
  } finally {
    await first.close();
  }
});

test("connecting where nothing listens rejects", async () => {
  const listener = await net.listen({ host: "127.0.0.1", port: 0 });
  const address = listener.address;
  await listener.close();
  await assert.rejects(net.connect(address));
  await withTempDir(async (dir) => {
    await assert.rejects(net.connect({ path: `${dir}/nobody.sock` }));
  });
});
