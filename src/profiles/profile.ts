/**
 * A hardware profile: what one kind of device can take on and when it must stop. Profiles are
 * JSON files in `profiles/` (described by `profiles/schema.json`), checked by `validateProfile`
 * and loaded by `loadProfile`; `docs/profiles.md` explains every field and value.
 */

/** onnxruntime execution providers a profile may ask for, tried in the order listed. */
export const EXECUTION_PROVIDERS = ["tensorrt", "cuda", "cpu"] as const;

/** One onnxruntime execution provider. */
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** The roles an agent can take on (capabilities, not separate programs). */
export const PROFILE_ROLES = ["processing", "vector", "storage", "coordinator", "gateway"] as const;

/** One role. */
export type Role = (typeof PROFILE_ROLES)[number];

/** How inference sessions are set up on this device. */
export interface InferenceSettings {
  /** Providers to try, best first; always ends with `cpu`, the fallback every build has. */
  readonly executionProviders: readonly ExecutionProvider[];
  /** Threads inside one operator (onnxruntime `intraOpNumThreads`); 0 = onnxruntime's default. */
  readonly intraOpThreads: number;
  /** Threads across independent operators (`interOpNumThreads`); 0 = onnxruntime's default. */
  readonly interOpThreads: number;
}

/** Published power draw of the whole board, watts, for energy-aware placement. */
export interface PowerFigures {
  readonly idleWatts: number;
  /** At full load; at least `idleWatts`. */
  readonly busyWatts: number;
}

/** Thermal limits: no new work at `maxC`, accepted again below `resumeC` (hysteresis). */
export interface ThermalLimits {
  readonly maxC: number;
  /** Below `maxC`. */
  readonly resumeC: number;
}

/** Battery limits: no new work below `minPercent` while discharging, again above `resumePercent`. */
export interface BatteryLimits {
  readonly minPercent: number;
  /** Above `minPercent`. */
  readonly resumePercent: number;
}

/** A validated, frozen hardware profile. */
export interface Profile {
  /** Lower-case letters, digits and dashes, 1 to 32; `auto` is reserved for detection. */
  readonly name: string;
  readonly description: string;
  /** Most tasks run at once. */
  readonly concurrency: number;
  /** Memory one task may use, MiB. */
  readonly memoryLimitMb: number;
  readonly inference: InferenceSettings;
  /** Interval between heartbeats, ms. */
  readonly heartbeatMs: number;
  readonly power: PowerFigures;
  readonly thermal: ThermalLimits;
  /** Null for devices that only run on mains power. */
  readonly battery: BatteryLimits | null;
  readonly roles: readonly Role[];
  /** How suited the device is to host the MQTT broker, 0 to 100; 0 = never. */
  readonly brokerRank: number;
}
