import { ConfigError } from "../config/agent-config.ts";

/** The `storage` section of the agent config (used when the agent has the storage role). */
export interface StorageConfig {
  /** Copies a `store` keeps by default, this agent's included (1-16; default 2). */
  readonly replicas: number;
  /** Default retention of stored blobs, hours; null = kept until removed (default). */
  readonly retentionHours: number | null;
  /** Largest blob accepted, MiB (default 64). */
  readonly maxBlobMb: number;
  /** Disk quota: bytes of blobs this agent keeps in all, MiB (default 1024, or `maxBlobMb` when that is larger; at least `maxBlobMb`). */
  readonly maxTotalMb: number;
  /** How often expired blobs are swept and lost holders replaced, seconds (default 60; fractions allowed). */
  readonly sweepSeconds: number;
}

/** Defaults of the `storage` section. */
export const STORAGE_DEFAULTS: StorageConfig = Object.freeze({ replicas: 2, retentionHours: null, maxBlobMb: 64, maxTotalMb: 1024, sweepSeconds: 60 });

/**
 * Parses the `storage` config section (null or absent = the defaults), e.g.
 * `{"replicas": 3, "retentionHours": 720, "maxBlobMb": 256}`. A bad value throws `ConfigError`
 * naming the field (`storage.replicas`, ...); unknown keys are refused too.
 */
export function parseStorageConfig(value: unknown): StorageConfig {
  if (value === null || value === undefined) return STORAGE_DEFAULTS;
  if (typeof value !== "object" || Array.isArray(value)) throw new ConfigError("storage", `expected an object like {"replicas": 2}, got ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) if (!(key in STORAGE_DEFAULTS)) throw new ConfigError(`storage.${key}`, "unknown setting");
  const num = (field: keyof StorageConfig, min: number, max: number, integer: boolean): number => {
    const x = v[field] ?? STORAGE_DEFAULTS[field];
    if (typeof x !== "number" || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min || x > max) {
      throw new ConfigError(`storage.${field}`, `expected ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${JSON.stringify(v[field])}`);
    }
    return x;
  };
  const retention = v.retentionHours === undefined || v.retentionHours === null ? null : num("retentionHours", 1e-6, 1e6, false);
  const maxBlobMb = num("maxBlobMb", 1, 65_536, true);
  const maxTotalMb = v.maxTotalMb === undefined ? Math.max(STORAGE_DEFAULTS.maxTotalMb, maxBlobMb) : num("maxTotalMb", 1, 16_777_216, true);
  if (maxTotalMb < maxBlobMb) throw new ConfigError("storage.maxTotalMb", `expected at least storage.maxBlobMb (${maxBlobMb}), got ${maxTotalMb}`);
  return Object.freeze({ replicas: num("replicas", 1, 16, true), retentionHours: retention, maxBlobMb, maxTotalMb, sweepSeconds: num("sweepSeconds", 0.01, 86_400, false) });
}
