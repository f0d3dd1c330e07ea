import { createConnection, createServer, type Socket, type AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { chmodSync } from "node:fs";
import type { Conn, Listener, Net, SocketAddress } from "../../runtime/runtime.ts";

function wrap(socket: Socket): Conn {
  const readable = Readable.toWeb(socket) as unknown as ReadableStream<Uint8Array>;
  return {
    readable,
    write: (bytes) =>
      new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve()))),
    close: () => socket.destroy(),
  };
}

/** `Net` on `node:net`: TCP and Unix stream sockets. */
export const nodeNet: Net = {
  connect(address) {
    return new Promise((resolve, reject) => {
      const socket = "path" in address ? createConnection(address.path) : createConnection(address.port, address.host);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(wrap(socket));
      });
    });
  },
  listen(address) {
    return new Promise((resolve, reject) => {
      const pending: Conn[] = [];
      const waiting: Array<(r: IteratorResult<Conn>) => void> = [];
      let closed = false;
      const open = new Set<Socket>();
      const server = createServer((socket) => {
        open.add(socket);
        socket.once("close", () => open.delete(socket));
        const conn = wrap(socket);
        const next = waiting.shift();
        if (next) next({ value: conn, done: false });
        else pending.push(conn);
      });
      server.once("error", reject);
      const onListening = () => {
        server.off("error", reject);
        if ("path" in address && address.mode !== undefined) {
          try {
            chmodSync(address.path, address.mode);
          } catch (error) {
            server.close();
            return reject(error);
          }
        }
        const info = server.address();
        const bound: SocketAddress =
          typeof info === "string" || info === null
            ? { path: (address as { path: string }).path }
            : { host: (info as AddressInfo).address, port: (info as AddressInfo).port };
        const listener: Listener = {
          address: bound,
          close: () =>
            new Promise<void>((done) => {
              closed = true;
              for (const w of waiting.splice(0)) w({ value: undefined, done: true });
              for (const s of open) s.destroy();
              server.close(() => done());
            }),
          [Symbol.asyncIterator]: () => ({
            next: () =>
              pending.length > 0
                ? Promise.resolve({ value: pending.shift()!, done: false })
                : closed
                  ? Promise.resolve({ value: undefined, done: true })
                  : new Promise((r) => waiting.push(r)),
          }),
        };
        resolve(listener);
      };
      if ("path" in address) server.listen(address.path, onListening);
      else server.listen(address.port, address.host, onListening);
    });
  },
};
