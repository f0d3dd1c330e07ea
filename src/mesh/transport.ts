/**
 * The broker connection the mesh talks through, as a contract. The MQTT.js adapter
 * (`src/adapters/mqtt/mqtt-connection.ts`) fills it; tests may fill it with an in-memory bus.
 */

/** MQTT QoS levels the mesh uses (MQTT 3.1.1 §4.3): at most once and at least once. */
export type Qos = 0 | 1;

/** One message as delivered by the broker. */
export interface InboundMessage {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
}

/** A message the broker publishes for us if we vanish (MQTT 3.1.1 §3.1.2.5). */
export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: Qos;
  retain: boolean;
}

/** How to reach a broker and who we are to it. */
export interface ConnectOptions {
  /** `mqtt://host:port` or `mqtts://host:port`. */
  url: string;
  clientId: string;
  username?: string;
  password?: Uint8Array;
  will?: Will;
  /** MQTT keep-alive, seconds (default 10): how soon the broker notices we are gone. */
  keepaliveSeconds?: number;
  /** Give up connecting after this many ms (default 5,000). */
  connectTimeoutMs?: number;
  /** For `mqtts://`: PEM CA to trust instead of the system's, and whether to check the certificate. */
  tls?: { ca?: Uint8Array; rejectUnauthorized?: boolean };
}

/** A live connection. After `closed` resolves it is dead for good; connect again for a new one. */
export interface BrokerConnection {
  /** Resolves once the broker has the message: PUBACK for QoS 1, written for QoS 0. */
  publish(topic: string, payload: Uint8Array, options: { qos: Qos; retain?: boolean }): Promise<void>;
  /** Resolves once SUBACK arrives; rejects naming the filter the broker refused. */
  subscribe(filters: string[], qos: Qos): Promise<void>;
  /** Ends subscriptions (MQTT 3.1.1 §3.10); optional for connections that never need it. */
  unsubscribe?(filters: string[]): Promise<void>;
  /** The handler for every inbound message (one handler; setting again replaces it). */
  onMessage(handler: (message: InboundMessage) => void): void;
  /** Resolves with the reason when the connection ends, whoever ended it. */
  readonly closed: Promise<string>;
  /** Disconnects cleanly (no will) and resolves when done. */
  close(): Promise<void>;
}

/** Opens a connection; rejects with a `ConnectError` when the broker refuses or cannot be reached. */
export type Connect = (options: ConnectOptions) => Promise<BrokerConnection>;

/** Connecting failed; `code` is stable. */
export class ConnectError extends Error {
  constructor(
    readonly code: "refused" | "unreachable",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ConnectError";
  }
}
