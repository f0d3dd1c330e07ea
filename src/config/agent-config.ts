import type { Profile } from "../profiles/profile.ts";
import { parsePipelines, type PipelineSpec } from "../pipelines/pipeline-config.ts";
import { parseStorageConfig, type StorageConfig } from "../storage/storage-config.ts";

/** The agent's settings after defaults, profile, config file, environment and flags are merged. Frozen. */
export interface AgentConfig {
  readonly dataDir: string;
  /** Hardware profile name (`auto` detects). */
  readonly profile: string;
  /** Human name of the mesh this agent founds when it has no membership yet. */
  readonly mesh: string;
  /** `embedded` (host a broker here), `auto` (find one by mDNS or elect one), or an `mqtt://`/`mqtts://` URL. */
  readonly broker: string;
  /** Where the embedded broker listens. */
  readonly listen: { readonly host: string; readonly port: number };
  /** A broker URL to try when mDNS finds nothing (networks without multicast). */
  readonly bootstrap: string | null;
  readonly mdns: boolean;
  /** Load onnxruntime and offer the `infer` kind (when this agent runs tasks). */
  readonly inference: boolean;
  /** Network interface address mDNS binds to; null = all. */
  readonly mdnsInterface: string | null;
  readonly roles: readonly string[];
  /** How suited this device is to host the broker in an election; 0 = never (the profile sets it). */
  readonly brokerRank: number;
  readonly heartbeatMs: number;
  /** Tasks run at once here (the profile sets it). */
  readonly concurrency: number;
  /** Heap limit per running task, MB (the profile sets it). */
  readonly taskMemoryMb: number;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** Where to serve Prometheus metrics (`GET /metrics`); null = not served. */
  readonly metrics: { readonly host: string; readonly port: number } | null;
  /** PEM files for the embedded broker's TLS listener. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** PEM file of a CA (or the self-signed certificate) to trust when connecting to an `mqtts://` broker. */
  readonly tlsCa: string | null;
  /** How long task inputs and outputs are kept after use, seconds (0 = dropped at once; see src/tasks/retention.ts). */
  readonly retention: { readonly inputSeconds: number; readonly outputSeconds: number };
  /** Blob storage settings (replicas, retention, size limit): see docs/storage.md. */
  readonly storage: StorageConfig;
  /** Sensor pipelines this agent can run (docs/pipelines.md). */
  readonly pipelines: readonly PipelineSpec[];
  /** The hardware profile in force (power model, thermal and battery limits, inference settings), once resolved. */
  readonly hardware?: Profile;
  /** Why that profile (detected, named, or a file). */
  readonly hardwareReason?: string;
}

/** A setting was refused; the message names the field and the reason. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`config ${field}: ${reason}`);
    this.name = "ConfigError";
  }
}

/** Defaults for every field but `dataDir`. */
export const DEFAULTS = {
  profile: "auto",
  mesh: "home",
  broker: "embedded",
  listen: "0.0.0.0:1883",
  bootstrap: null,
  mdns: true,
  inference: true,
  mdnsInterface: null,
  roles: ["processing"],
  brokerRank: 1,
  heartbeatMs: 2_000,
  concurrency: 2,
  taskMemoryMb: 256,
  logLevel: "info",
  metrics: null,
  retention: { inputSeconds: 0, outputSeconds: 0 },
  tls: null,
  tlsCa: null,
  storage: null,
  pipelines: [],
} as const;

const ROLES = new Set(["processing", "vector", "storage", "coordinator", "gateway"]);

/** Parses `HOST:PORT` (IPv6 as `[addr]:port`). */
export function parseHostPort(field: string, text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(field, `expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/**
 * Merges `layers` (lowest priority first: config file, environment, flags) over the defaults,
 * checks every field, and returns a frozen config. Unknown fields and bad values throw
 * `ConfigError` naming the field.
 */
export function buildConfig(dataDir: string, ...layers: Record<string, unknown>[]): AgentConfig {
  const merged: Record<string, unknown> = { ...DEFAULTS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (!(key in DEFAULTS)) throw new ConfigError(key, "unknown setting");
      merged[key] = value;
    }
  }
  const str = (field: string, pattern?: RegExp): string => {
    const v = merged[field];
    if (typeof v !== "string" || v === "" || (pattern && !pattern.test(v))) throw new ConfigError(field, `expected ${pattern ? `a value matching ${pattern}` : "a non-empty string"}, got ${JSON.stringify(v)}`);
    return v;
  };
  const broker = str("broker");
  if (broker !== "embedded" && broker !== "auto" && !/^mqtts?:\/\/[^/]+/.test(broker)) {
    throw new ConfigError("broker", `expected embedded, auto or an mqtt:// or mqtts:// URL, got ${JSON.stringify(broker)}`);
  }
  const bootstrap = merged.bootstrap;
  if (bootstrap !== null && (typeof bootstrap !== "string" || !/^mqtts?:\/\/[^/]+/.test(bootstrap))) {
    throw new ConfigError("bootstrap", `expected an mqtt:// or mqtts:// URL, got ${JSON.stringify(bootstrap)}`);
  }
  const rolesRaw = typeof merged.roles === "string" ? merged.roles.split(",").map((r) => r.trim()) : merged.roles;
  if (!Array.isArray(rolesRaw) || !rolesRaw.every((r) => typeof r === "string" && ROLES.has(r))) {
    throw new ConfigError("roles", `expected a list of ${[...ROLES].join(", ")}, got ${JSON.stringify(merged.roles)}`);
  }
  // A number, or the decimal text of one; not null, "", true or [5], which Number() would coerce.
  const int = (field: string, min: number, max: number): number => {
    const v = merged[field];
    const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(field, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  const heartbeatMs = int("heartbeatMs", 100, 600_000);
  const brokerRank = int("brokerRank", 0, 100);
  const concurrency = int("concurrency", 1, 256);
  const taskMemoryMb = int("taskMemoryMb", 16, 65_536);
  const inference = merged.inference;
  if (typeof inference !== "boolean") throw new ConfigError("inference", `expected true or false, got ${JSON.stringify(inference)}`);
  const mdns = merged.mdns;
  if (typeof mdns !== "boolean") throw new ConfigError("mdns", `expected true or false, got ${JSON.stringify(mdns)}`);
  const tls = merged.tls as { certFile?: unknown; keyFile?: unknown } | null;
  if (tls !== null && (typeof tls !== "object" || typeof tls.certFile !== "string" || typeof tls.keyFile !== "string")) {
    throw new ConfigError("tls", "expected {certFile, keyFile} paths to PEM files");
  }
  const metrics = merged.metrics === null ? null : parseHostPort("metrics", String(merged.metrics));
  const tlsCa = merged.tlsCa;
  if (tlsCa !== null && (typeof tlsCa !== "string" || tlsCa === "")) throw new ConfigError("tlsCa", `expected a path to a PEM file, got ${JSON.stringify(tlsCa)}`);
  const retention = parseRetention(merged.retention);
  const iface = merged.mdnsInterface;
  if (iface !== null && typeof iface !== "string") throw new ConfigError("mdnsInterface", `expected an address, got ${JSON.stringify(iface)}`);
  return Object.freeze({
    dataDir,
    profile: str("profile", /^[a-z0-9-]{1,32}$/),
    mesh: str("mesh", /^[A-Za-z0-9_.-]{1,63}$/),
    broker,
    listen: Object.freeze(parseHostPort("listen", str("listen"))),
    bootstrap: bootstrap as string | null,
    mdns,
    inference,
    mdnsInterface: iface as string | null,
    roles: Object.freeze([...new Set(rolesRaw as string[])]),
    brokerRank,
    heartbeatMs,
    concurrency,
    taskMemoryMb,
    logLevel: str("logLevel", /^(debug|info|warn|error)$/) as AgentConfig["logLevel"],
    metrics: metrics === null ? null : Object.freeze(metrics),
    tls: tls === null ? null : Object.freeze({ certFile: tls.certFile as string, keyFile: tls.keyFile as string }),
    tlsCa: tlsCa as string | null,
    retention,
    storage: parseStorageConfig(merged.storage),
    pipelines: parsePipelines(merged.pipelines),
  });
}

/** `retention`: `{inputSeconds, outputSeconds}`, each a whole number of seconds from 0 to 10 years. */
function parseRetention(value: unknown): AgentConfig["retention"] {
  const r = value as { inputSeconds?: unknown; outputSeconds?: unknown } | null;
  if (typeof r !== "object" || r === null || Array.isArray(r)) throw new ConfigError("retention", `expected {inputSeconds, outputSeconds}, got ${JSON.stringify(value)}`);
  const field = (name: "inputSeconds" | "outputSeconds"): number => {
    const v = r[name] ?? 0;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 315_360_000) throw new ConfigError(`retention.${name}`, `expected whole seconds from 0 to 315360000, got ${JSON.stringify(r[name])}`);
    return v;
  };
  return Object.freeze({ inputSeconds: field("inputSeconds"), outputSeconds: field("outputSeconds") });
}
