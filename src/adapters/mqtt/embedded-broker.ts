import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import { AuthError, type BrokerPolicy, type Principal } from "../../mesh/broker-policy.ts";

/** Settings for the embedded broker. */
export interface EmbeddedBrokerOptions {
  /** Address to listen on (default `0.0.0.0`). */
  host?: string;
  /** TCP port (default 1883; 0 picks a free one). */
  port?: number;
  /** PEM files for a TLS listener instead of plain TCP. */
  tls?: { certFile: string; keyFile: string };
  /** Admission rules; without one the broker is open (used only by benchmarks and tests). */
  policy?: BrokerPolicy;
  /** Called for each refused CONNECT, publish or subscribe. */
  onRefusal?: (event: { kind: "connect" | "publish" | "subscribe"; who: string; reason: string }) => void;
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  /** `mqtt://` or `mqtts://` URL that reaches it from this host. */
  readonly url: string;
  /** Refusals so far, by kind. */
  readonly refusals: { connect: number; publish: number; subscribe: number };
  /** Number of connected clients. */
  clients(): number;
  /** Stops listening, disconnects every client (their wills fire) and closes aedes. */
  close(): Promise<void>;
}

/**
 * Starts aedes on a TCP (or TLS) listener. With a `BrokerPolicy`, each CONNECT is authenticated by
 * the agent's key or a sensor token, and each publish and subscribe is authorized, through aedes's
 * `authenticate`/`authorizePublish`/`authorizeSubscribe` hooks.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const policy = options.policy;
  const principals = new WeakMap<Client, Principal>();
  const refusals = { connect: 0, publish: 0, subscribe: 0 };
  const refuse = (kind: keyof typeof refusals, who: string, reason: string) => {
    refusals[kind]++;
    options.onRefusal?.({ kind, who, reason });
  };
  const aedes = await Aedes.createBroker({
    ...(policy
      ? {
          authenticate(client, username, password, done) {
            policy.authenticate(username, password && new Uint8Array(password)).then(
              (principal) => {
                principals.set(client, principal);
                done(null, true);
              },
              (error: unknown) => {
                const reason = error instanceof Error ? error.message : String(error);
                refuse("connect", username ?? "(none)", reason);
                // [MQTT-3.2.2.3] return code 4: bad user name or password; 5: not authorized
                const failure = new Error(reason) as AuthenticateError;
                failure.returnCode = error instanceof AuthError && error.code === "not_member" ? 5 : 4;
                done(failure, false);
              },
            );
          },
          authorizePublish(client, packet, callback) {
            if (client === null) return callback(null); // the broker's own messages
            const principal = principals.get(client);
            const payload = packet.payload instanceof Uint8Array ? packet.payload : new TextEncoder().encode(String(packet.payload));
            if (principal && policy.canPublish(principal, packet.topic, payload)) return callback(null);
            refuse("publish", client.id, `may not publish to ${packet.topic}`);
            callback(new Error(`not authorized to publish to ${packet.topic}`));
          },
          authorizeSubscribe(client, subscription, callback) {
            const principal = principals.get(client);
            if (principal && policy.canSubscribe(principal, subscription.topic)) return callback(null, subscription);
            refuse("subscribe", client.id, `may not subscribe to ${subscription.topic}`);
            callback(null, null); // [MQTT-3.9.3] SUBACK return code 0x80 for this filter
          },
        }
      : {}),
  });
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    // Small request/answer messages: without this, Nagle's algorithm and delayed ACKs hold each
    // one back for up to 40 ms.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    aedes.handle(socket);
  };
  let server: Server;
  if (options.tls) {
    const [cert, key] = await Promise.all([readFile(options.tls.certFile), readFile(options.tls.keyFile)]);
    server = createTlsServer({ cert, key }, onConnection);
  } else {
    server = createServer(onConnection);
  }
  const host = options.host ?? "0.0.0.0";
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => {
      aedes.close();
      reject(error);
    });
    server.listen(options.port ?? 1883, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `${options.tls ? "mqtts" : "mqtt"}://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`,
    refusals,
    clients: () => aedes.connectedClients,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close();
        for (const socket of sockets) socket.destroy();
        aedes.close(() => resolve());
      })),
  };
}
