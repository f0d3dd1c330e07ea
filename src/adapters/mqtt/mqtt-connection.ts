import mqtt from "mqtt";
import { ConnectError, type BrokerConnection, type Connect } from "../../mesh/transport.ts";

/**
 * `Connect` over MQTT.js v5, MQTT 3.1.1. MQTT.js's own reconnect is off (`reconnectPeriod: 0`):
 * each connection lives once, and the mesh decides where to reconnect (the broker may have moved).
 */
export const connectMqtt: Connect = async (options) => {
  const client = mqtt.connect(options.url, {
    protocolVersion: 4,
    clientId: options.clientId,
    clean: true,
    keepalive: options.keepaliveSeconds ?? 10,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    reconnectPeriod: 0,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: Buffer.from(options.password) } : {}),
    ...(options.will
      ? { will: { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: options.will.qos, retain: options.will.retain } }
      : {}),
    ...(options.tls?.ca ? { ca: Buffer.from(options.tls.ca) } : {}),
    ...(options.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  });
  let lastError: Error | undefined;
  client.on("error", (error) => {
    lastError = error;
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => {
      client.end(true);
      const refused = (cause as { code?: number } | undefined)?.code;
      reject(
        typeof refused === "number"
          ? new ConnectError("refused", `broker ${options.url} refused the connection: ${why}`, { cause })
          : new ConnectError("unreachable", `cannot reach broker ${options.url}: ${why}`, { cause }),
      );
    };
    client.once("connect", () => resolve());
    client.once("error", (error) => fail(error.message, error));
    client.once("close", () => fail(lastError?.message ?? "connection closed", lastError));
  });
  (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true); // see embedded-broker.ts
  client.removeAllListeners("error");
  client.on("error", (error) => {
    lastError = error; // errors after connect end in "close", reported through `closed`
  });
  const closed = new Promise<string>((resolve) => client.once("close", () => resolve(lastError?.message ?? "connection closed")));
  let handler: (m: { topic: string; payload: Uint8Array; retain: boolean }) => void = () => {};
  client.on("message", (topic, payload, packet) => {
    handler({ topic, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), retain: packet.retain });
  });
  const connection: BrokerConnection = {
    publish: (topic, payload, { qos, retain = false }) =>
      new Promise((resolve, reject) => {
        // Once the connection is down MQTT.js would queue the message for a reconnect that never
        // comes (or throw from its closed store): the promise would never settle.
        if (!client.connected) return reject(new Error(`not connected to ${options.url}`));
        client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos, retain }, (error) =>
          error ? reject(error) : resolve(),
        );
      }),
    subscribe: (filters, qos) =>
      new Promise((resolve, reject) =>
        client.subscribe(filters, { qos }, (error, granted) => {
          // A SUBACK return code 0x80 refuses that filter [MQTT-3.9.3]. MQTT.js 5 reports it as an
          // error carrying the SUBACK packet (earlier versions as a grant of QoS 128); name the filter.
          const codes = (error as { packet?: { granted?: unknown } } | null)?.packet?.granted ?? granted?.map((g) => g.qos);
          const refused = Array.isArray(codes) ? codes.findIndex((c) => typeof c === "number" && (c & 0x80) !== 0) : -1;
          if (refused >= 0) return reject(new Error(`broker refused subscription to ${filters[refused] ?? filters.join(", ")}`));
          if (error) return reject(error);
          resolve();
        }),
      ),
    unsubscribe: (filters) => new Promise((resolve, reject) => client.unsubscribe(filters, (error) => (error ? reject(error) : resolve()))),
    onMessage: (h) => {
      handler = h;
    },
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        // A clean DISCONNECT first waits for outstanding acknowledgements, which a broker that
        // stopped answering never sends; after 2 s the socket is dropped instead.
        const timer = setTimeout(() => {
          client.stream?.destroy();
          resolve();
        }, 2_000);
        client.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
  return connection;
};
