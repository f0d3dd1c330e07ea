import { FileNotFound, systemClock, webRandom, webTimers, type Conn, type Files, type Net, type Runtime } from "../../runtime/runtime.ts";
import { createWebCryptoEd25519 } from "../../crypto/ed25519-webcrypto.ts";
import { nobleEd25519 } from "../../crypto/ed25519-noble.ts";
import type { DenoApi, DenoConn } from "./deno-api.ts";

function denoFiles(deno: DenoApi): Files {
  const isNotFound = (error: unknown) => error instanceof deno.errors.NotFound;
  return {
    async readFile(path) {
      try {
        return await deno.readFile(path);
      } catch (error) {
        if (isNotFound(error)) throw new FileNotFound(path, { cause: error });
        throw error;
      }
    },
    async writeFileAtomic(path, data, mode) {
      const slash = path.lastIndexOf("/");
      const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
      const temp = `${dir}/.${path.slice(slash + 1)}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
      const file = await deno.open(temp, { write: true, createNew: true, mode });
      try {
        try {
          for (let off = 0; off < data.length; ) off += await file.write(data.subarray(off));
          await file.sync();
        } finally {
          file.close();
        }
        await deno.chmod(temp, mode);
        await deno.rename(temp, path);
      } catch (error) {
        await deno.remove(temp).catch(() => {}); // leave no temporary file behind
        throw error;
      }
      try {
        const handle = await deno.open(dir, { read: true });
        await handle.sync();
        handle.close();
      } catch {
        // Some platforms cannot open a directory for syncing; the rename is still atomic.
      }
    },
    async mkdirp(path, mode) {
      await deno.mkdir(path, { recursive: true, mode });
    },
    async mode(path) {
      try {
        return (await deno.stat(path)).mode! & 0o7777;
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    async remove(path) {
      try {
        await deno.remove(path);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    async list(path) {
      const names: string[] = [];
      try {
        for await (const entry of deno.readDir(path)) names.push(entry.name);
      } catch (error) {
        if (isNotFound(error)) return [];
        throw error;
      }
      return names.sort();
    },
  };
}

function wrap(conn: DenoConn, onClose?: () => void): Conn {
  return {
    readable: conn.readable,
    async write(bytes) {
      for (let off = 0; off < bytes.length; ) off += await conn.write(bytes.subarray(off));
    },
    close: () => {
      onClose?.();
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}

function denoNet(deno: DenoApi): Net {
  return {
    async connect(address) {
      const conn = await deno.connect("path" in address ? { transport: "unix", path: address.path } : { hostname: address.host, port: address.port });
      return wrap(conn);
    },
    async listen(address) {
      const listener = deno.listen("path" in address ? { transport: "unix", path: address.path } : { hostname: address.host, port: address.port });
      if ("path" in address && address.mode !== undefined) await deno.chmod(address.path, address.mode);
      const addr = listener.addr;
      const conns = new Set<Conn>();
      const iterator = listener[Symbol.asyncIterator]();
      return {
        address: addr.transport === "unix" ? { path: addr.path! } : { host: addr.hostname!, port: addr.port! },
        async close() {
          try {
            listener.close();
          } catch {
            // already closed: closing is idempotent, as on Node
          }
          for (const c of conns) c.close();
        },
        [Symbol.asyncIterator]: () => ({
          async next() {
            try {
              const r = await iterator.next();
              if (r.done) return { value: undefined, done: true };
              // Forget each connection once closed, so a long-lived listener does not pile them up.
              const conn: Conn = wrap(r.value, () => conns.delete(conn));
              conns.add(conn);
              return { value: conn, done: false };
            } catch {
              return { value: undefined, done: true }; // the listener was closed
            }
          },
        }),
      };
    },
  };
}

/** The Deno runtime: `Deno.*` files and sockets, WebCrypto Ed25519 (noble when absent). */
export async function createDenoRuntime(deno: DenoApi): Promise<Runtime> {
  return {
    name: "deno",
    version: deno.version.deno,
    files: denoFiles(deno),
    net: denoNet(deno),
    ed25519: (await createWebCryptoEd25519()) ?? nobleEd25519,
    clock: systemClock,
    timers: webTimers,
    random: webRandom,
    env: (name) => deno.env.get(name),
    homeDir: () => deno.env.get("HOME"),
  };
}
