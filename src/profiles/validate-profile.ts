import { EXECUTION_PROVIDERS, PROFILE_ROLES, type BatteryLimits, type Profile } from "./profile.ts";

/** Why a profile was refused; `code` is stable, `field` is the dotted path of the bad field. */
export type ProfileErrorCode = "bad_profile" | "profile_not_found";

/**
 * A profile was refused or could not be found. `field` is the path of the offending field
 * (`thermal.resumeC`, `roles[2]`), empty when the whole document is at fault; `reason` says what
 * is wrong and shows the value; `source` names the file when there is one. Callers branch on
 * `code`, never on the message.
 */
export class ProfileError extends Error {
  readonly code: ProfileErrorCode;
  readonly field: string;
  readonly reason: string;
  readonly source: string | undefined;

  constructor(field: string, reason: string, options: { source?: string; code?: ProfileErrorCode; cause?: unknown } = {}) {
    const where = options.source === undefined ? "" : `profile ${options.source}: `;
    super(`${where}${field === "" ? "" : `${field}: `}${reason}`, { cause: options.cause });
    this.name = "ProfileError";
    this.code = options.code ?? "bad_profile";
    this.field = field;
    this.reason = reason;
    this.source = options.source;
  }
}

/** Profile names: lower-case letters, digits and dashes, as the config's `profile` setting takes. */
export const PROFILE_NAME = /^[a-z0-9-]{1,32}$/;

/** The name `--profile` uses for detection; no profile may take it. */
export const RESERVED_PROFILE_NAME = "auto";

/** Required fields of each object in a profile, keyed by its path ("" = the top level). */
export const PROFILE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  "": ["name", "description", "concurrency", "memoryLimitMb", "inference", "heartbeatMs", "power", "thermal", "battery", "roles", "brokerRank"],
  inference: ["executionProviders", "intraOpThreads", "interOpThreads"],
  power: ["idleWatts", "busyWatts"],
  thermal: ["maxC", "resumeC"],
  battery: ["minPercent", "resumePercent"],
};

/** Optional top-level fields: `$schema` lets editors find `profiles/schema.json`. */
const OPTIONAL_TOP = ["$schema"];

const show = (value: unknown): string => {
  const text = value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};
const join = (parent: string, key: string) => (parent === "" ? key : `${parent}.${key}`);

/**
 * Checks `value` (parsed JSON) against the profile rules, the same ones `profiles/schema.json`
 * states, plus the relations between fields a JSON Schema cannot express (resume below max,
 * busy at least idle). Returns a frozen `Profile`, or throws a `ProfileError` for the first bad
 * field, naming it. `source` (a file name) goes into the error message.
 */
export function validateProfile(value: unknown, source?: string): Profile {
  const fail = (field: string, reason: string): never => {
    throw new ProfileError(field, reason, source === undefined ? {} : { source });
  };

  const object = (v: unknown, path: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(path, `expected an object, got ${show(v)}`);
    const o = v as Record<string, unknown>;
    const known = PROFILE_FIELDS[path]!;
    for (const key of known) if (!(key in o)) fail(join(path, key), "required field is missing");
    for (const key of Object.keys(o)) {
      if (!known.includes(key) && !(path === "" && OPTIONAL_TOP.includes(key))) fail(join(path, key), "unknown field");
    }
    return o;
  };

  const integer = (o: Record<string, unknown>, path: string, key: string, min: number, max: number): number => {
    const v = o[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) fail(join(path, key), `expected an integer from ${min} to ${max}, got ${show(v)}`);
    return v as number;
  };

  /** A finite number in [min, max], or (min, max] when `aboveMin`. */
  const number = (o: Record<string, unknown>, path: string, key: string, min: number, max: number, aboveMin = false): number => {
    const v = o[key];
    const low = aboveMin ? `above ${min}` : `at least ${min}`;
    if (typeof v !== "number" || !Number.isFinite(v) || (aboveMin ? v <= min : v < min) || v > max) fail(join(path, key), `expected a number ${low} and at most ${max}, got ${show(v)}`);
    return v as number;
  };

  /** A non-empty list of distinct values from `allowed`. */
  const list = <T extends string>(v: unknown, path: string, allowed: readonly T[], what: string): T[] => {
    if (!Array.isArray(v) || v.length === 0) return fail(path, `expected a non-empty list of ${allowed.join(", ")}, got ${show(v)}`);
    v.forEach((item, i) => {
      if (typeof item !== "string" || !(allowed as readonly string[]).includes(item)) fail(`${path}[${i}]`, `unknown ${what} ${show(item)}; expected one of ${allowed.join(", ")}`);
      if (v.indexOf(item) !== i) fail(`${path}[${i}]`, `${show(item)} is listed twice`);
    });
    return v as T[];
  };

  const top = object(value, "");
  if ("$schema" in top && typeof top.$schema !== "string") fail("$schema", `expected a string, got ${show(top.$schema)}`);

  const name = top.name;
  if (typeof name !== "string" || !PROFILE_NAME.test(name)) fail("name", `expected 1 to 32 lower-case letters, digits and dashes, got ${show(name)}`);
  if (name === RESERVED_PROFILE_NAME) fail("name", `"${RESERVED_PROFILE_NAME}" is reserved for detection`);
  const description = top.description;
  if (typeof description !== "string" || description.trim() === "" || description.length > 300) fail("description", `expected a non-empty string of at most 300 characters, got ${show(description)}`);

  const concurrency = integer(top, "", "concurrency", 1, 256);
  const memoryLimitMb = integer(top, "", "memoryLimitMb", 32, 1_048_576);

  const inf = object(top.inference, "inference");
  const executionProviders = list(inf.executionProviders, "inference.executionProviders", EXECUTION_PROVIDERS, "execution provider");
  if (executionProviders[executionProviders.length - 1] !== "cpu") fail("inference.executionProviders", `must end with "cpu", the fallback every onnxruntime build has; got ${show(executionProviders)}`);
  const intraOpThreads = integer(inf, "inference", "intraOpThreads", 0, 256);
  const interOpThreads = integer(inf, "inference", "interOpThreads", 0, 256);

  const heartbeatMs = integer(top, "", "heartbeatMs", 100, 600_000);

  const pow = object(top.power, "power");
  const idleWatts = number(pow, "power", "idleWatts", 0, 10_000, true);
  const busyWatts = number(pow, "power", "busyWatts", 0, 10_000, true);
  if (busyWatts < idleWatts) fail("power.busyWatts", `must be at least power.idleWatts (${idleWatts}), got ${busyWatts}`);

  const th = object(top.thermal, "thermal");
  const maxC = number(th, "thermal", "maxC", 30, 125);
  const resumeC = number(th, "thermal", "resumeC", 0, 125);
  if (resumeC >= maxC) fail("thermal.resumeC", `must be below thermal.maxC (${maxC}), got ${resumeC}`);

  let battery: BatteryLimits | null = null;
  if (top.battery !== null) {
    const bat = object(top.battery, "battery");
    const minPercent = number(bat, "battery", "minPercent", 0, 100);
    const resumePercent = number(bat, "battery", "resumePercent", 0, 100);
    if (resumePercent <= minPercent) fail("battery.resumePercent", `must be above battery.minPercent (${minPercent}), got ${resumePercent}`);
    battery = Object.freeze({ minPercent, resumePercent });
  }

  const roles = list(top.roles, "roles", PROFILE_ROLES, "role");
  const brokerRank = integer(top, "", "brokerRank", 0, 100);

  return Object.freeze({
    name: name as string,
    description: description as string,
    concurrency,
    memoryLimitMb,
    inference: Object.freeze({ executionProviders: Object.freeze([...executionProviders]), intraOpThreads, interOpThreads }),
    heartbeatMs,
    power: Object.freeze({ idleWatts, busyWatts }),
    thermal: Object.freeze({ maxC, resumeC }),
    battery,
    roles: Object.freeze([...roles]),
    brokerRank,
  });
}
