import { ConfigError } from "../config/agent-config.ts";
import { TOPIC_ROOT, topicMatches } from "../mesh/topics.ts";

/**
 * One sensor pipeline as configured (docs/pipelines.md): readings on the `input` topic filter are
 * grouped into windows per source topic, each full window is scored by `model`, and the score is
 * published to `output.results`, and also to `output.alerts` when it is above `threshold`.
 */
export interface PipelineSpec {
  /** Unique name: `[A-Za-z0-9_.-]{1,64}`; it also decides which peer runs the pipeline. */
  readonly name: string;
  /** MQTT topic filter the readings arrive on (MQTT 3.1.1 §4.7 wildcards allowed), e.g. `sensors/+/temperature`. */
  readonly input: string;
  /** Where the number is in a JSON or CBOR object reading, a dotted path (default `value`); a bare number is always accepted. */
  readonly field: string;
  /** `size` readings per window; a new window every `step` readings (default `size`: no overlap). */
  readonly window: { readonly size: number; readonly step: number };
  /** A builtin model name (`sensor-anomaly`) or a model's sha256 in the agent's model store. */
  readonly model: string;
  /** A window whose score is above this raises an alert. */
  readonly threshold: number;
  /** Topic templates; `{name}` is the pipeline's name, `{sensor}` the levels the filter's wildcards matched. */
  readonly output: { readonly results: string; readonly alerts: string };
}

/** Default output topic templates. */
export const DEFAULT_OUTPUT = { results: "results/{name}/{sensor}", alerts: "alerts/{name}/{sensor}" } as const;
/** The largest window, in readings. */
export const MAX_WINDOW = 4_096;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const FIELD = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const KEYS = new Set(["name", "input", "field", "window", "model", "threshold", "output"]);
const PLACEHOLDERS = new Set(["{name}", "{sensor}"]);

/** Checks an MQTT topic filter (MQTT 3.1.1 §4.7.1): `+` fills a whole level, `#` only the last; no empty filter. */
export function isTopicFilter(filter: string): boolean {
  if (filter === "" || filter.length > 1_024 || filter.includes("\u0000")) return false;
  const levels = filter.split("/");
  return levels.every((l, i) => (l.includes("+") ? l === "+" : true) && (l.includes("#") ? l === "#" && i === levels.length - 1 : true));
}

function input(field: string, v: unknown): string {
  if (typeof v !== "string" || !isTopicFilter(v)) throw new ConfigError(field, `expected an MQTT topic filter such as "sensors/+/temperature", got ${JSON.stringify(v)}`);
  const first = v.split("/")[0]!;
  if (first === TOPIC_ROOT || first === "+" || first === "#" || first.startsWith("$")) {
    throw new ConfigError(field, `must start with a fixed level outside ${TOPIC_ROOT}/ (e.g. "sensors/..."), got ${JSON.stringify(v)}`);
  }
  return v;
}

function template(field: string, v: unknown): string {
  if (typeof v !== "string" || v === "") throw new ConfigError(field, `expected a topic template such as "results/{name}/{sensor}", got ${JSON.stringify(v)}`);
  for (const p of v.match(/\{[^}]*\}/g) ?? []) if (!PLACEHOLDERS.has(p)) throw new ConfigError(field, `unknown placeholder ${p}`);
  const levels = v.split("/");
  const bare = v.replace(/\{name\}|\{sensor\}/g, "x");
  if (levels.some((l) => l === "") || /[+#{}\u0000]/.test(bare)) {
    throw new ConfigError(field, `expected levels of plain text, {name} and {sensor} (no wildcards, no empty level), got ${JSON.stringify(v)}`);
  }
  const first = levels[0]!;
  if (first === TOPIC_ROOT || first === "sensors" || first.startsWith("$") || first.includes("{")) {
    throw new ConfigError(field, `must start with a fixed level other than ${TOPIC_ROOT}, sensors or $..., got ${JSON.stringify(v)}`);
  }
  return v;
}

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(field, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks one pipeline; `at` is its field path in the config (e.g. `pipelines[0]`). */
export function parsePipeline(at: string, raw: unknown): PipelineSpec {
  if (!isObject(raw)) throw new ConfigError(at, `expected a pipeline object {name, input, window, model, threshold}, got ${JSON.stringify(raw)}`);
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) throw new ConfigError(`${at}.${key}`, "unknown setting");
  const { name, field = "value", window, model, threshold, output = {} } = raw;
  if (typeof name !== "string" || !NAME.test(name)) throw new ConfigError(`${at}.name`, `expected 1 to 64 of A-Z a-z 0-9 _ . -, got ${JSON.stringify(name)}`);
  if (typeof field !== "string" || !FIELD.test(field)) throw new ConfigError(`${at}.field`, `expected a field name or dotted path such as "value" or "data.temp", got ${JSON.stringify(field)}`);
  if (!isObject(window)) throw new ConfigError(`${at}.window`, `expected {size, step}, got ${JSON.stringify(window)}`);
  for (const key of Object.keys(window)) if (key !== "size" && key !== "step") throw new ConfigError(`${at}.window.${key}`, "unknown setting");
  const size = int(`${at}.window.size`, window.size, 2, MAX_WINDOW);
  const step = window.step === undefined ? size : int(`${at}.window.step`, window.step, 1, size);
  if (typeof model !== "string" || (!SHA256.test(model) && !NAME.test(model))) {
    throw new ConfigError(`${at}.model`, `expected a builtin model name such as "sensor-anomaly" or a model's sha256 (64 lower-case hex digits), got ${JSON.stringify(model)}`);
  }
  if (typeof threshold !== "number" || !Number.isFinite(threshold)) throw new ConfigError(`${at}.threshold`, `expected a finite number, got ${JSON.stringify(threshold)}`);
  if (!isObject(output)) throw new ConfigError(`${at}.output`, `expected {results, alerts} topic templates, got ${JSON.stringify(output)}`);
  for (const key of Object.keys(output)) if (key !== "results" && key !== "alerts") throw new ConfigError(`${at}.output.${key}`, "unknown setting");
  const spec: PipelineSpec = Object.freeze({
    name,
    input: input(`${at}.input`, raw.input),
    field,
    window: Object.freeze({ size, step }),
    model,
    threshold,
    output: Object.freeze({
      results: template(`${at}.output.results`, output.results ?? DEFAULT_OUTPUT.results),
      alerts: template(`${at}.output.alerts`, output.alerts ?? DEFAULT_OUTPUT.alerts),
    }),
  });
  refuseLoop(at, spec, at, spec);
  return spec;
}

/**
 * The topic filter matching every topic `template` can give for `spec`: `{name}` filled in, a
 * level holding `{sensor}` as `+`, or as `#` from there on when `{sensor}` can span several levels
 * (an input filter with `#` or more than one `+`).
 */
export function outputFilter(template: string, spec: Pick<PipelineSpec, "name" | "input">): string {
  const inputLevels = spec.input.split("/");
  const multi = inputLevels.includes("#") || inputLevels.filter((l) => l === "+").length > 1;
  const levels: string[] = [];
  for (const level of template.replaceAll("{name}", spec.name).split("/")) {
    if (!level.includes("{sensor}")) levels.push(level);
    else if (multi) return [...levels, "#"].join("/");
    else levels.push("+");
  }
  return levels.join("/");
}

/** True when some topic matches both MQTT topic filters: built level by level, then checked with `topicMatches`. */
export function filtersOverlap(a: string, b: string): boolean {
  const fa = a.split("/");
  const fb = b.split("/");
  const plain = (levels: string[]) => levels.filter((l) => l !== "#").map((l) => (l === "+" ? "x" : l));
  const topic: string[] = [];
  for (let i = 0; i < Math.max(fa.length, fb.length); i++) {
    const x = fa[i];
    const y = fb[i];
    if (x === "#") topic.push(...plain(fb.slice(i)));
    else if (y === "#") topic.push(...plain(fa.slice(i)));
    else if (x === undefined || y === undefined) break;
    else topic.push(x !== "+" ? x : y !== "+" ? y : "x");
    if (x === "#" || y === "#") break;
  }
  const t = topic.join("/");
  return topicMatches(a, t) && topicMatches(b, t);
}

/** Refuses `spec` (at `at`) when its results or alerts could land on `other`'s input (at `otherAt`): a pipeline reading output. */
function refuseLoop(at: string, spec: PipelineSpec, otherAt: string, other: PipelineSpec): void {
  for (const key of ["results", "alerts"] as const) {
    const filter = outputFilter(spec.output[key], spec);
    if (!filtersOverlap(filter, other.input)) continue;
    const whose = other === spec ? "its own input" : `${otherAt}.input`;
    throw new ConfigError(
      `${at}.output.${key}`,
      `topics of ${JSON.stringify(spec.output[key])} (${filter}) can match ${whose} ${JSON.stringify(other.input)}, so a pipeline would read its own output; use output topics outside every pipeline's input`,
    );
  }
}

/**
 * The `pipelines` config setting: a list of pipelines (default none). Throws `ConfigError` naming
 * the field, e.g. `pipelines[0].window.size`, for any bad value, and for two pipelines with one name.
 */
export function parsePipelines(raw: unknown): readonly PipelineSpec[] {
  if (raw === undefined || raw === null) return Object.freeze([]);
  if (!Array.isArray(raw)) throw new ConfigError("pipelines", `expected a list of pipelines, got ${JSON.stringify(raw)}`);
  const seen = new Set<string>();
  const specs = raw.map((p, i) => {
    const spec = parsePipeline(`pipelines[${i}]`, p);
    if (seen.has(spec.name)) throw new ConfigError(`pipelines[${i}].name`, `another pipeline is already named ${JSON.stringify(spec.name)}`);
    seen.add(spec.name);
    return spec;
  });
  specs.forEach((spec, i) => specs.forEach((other, j) => i !== j && refuseLoop(`pipelines[${i}]`, spec, `pipelines[${j}]`, other)));
  return Object.freeze(specs);
}

/**
 * The output topic for one window: `template` with `{name}` and `{sensor}` filled in. `{sensor}` is
 * the source topic's levels that the input filter's wildcards matched, joined by `/` (for
 * `sensors/+/temperature` and `sensors/kitchen/temperature`, `kitchen`), or its last level when
 * the filter has no wildcard.
 */
export function outputTopic(template: string, spec: Pick<PipelineSpec, "name" | "input">, topic: string): string {
  return template.replaceAll("{name}", spec.name).replaceAll("{sensor}", sensorOf(spec.input, topic));
}

/** The levels of `topic` that `filter`'s wildcards matched, joined by `/`; the last level when none did. */
export function sensorOf(filter: string, topic: string): string {
  const f = filter.split("/");
  const t = topic.split("/");
  const matched: string[] = [];
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") {
      matched.push(...t.slice(i));
      break;
    }
    if (f[i] === "+") matched.push(t[i]!);
  }
  const parts = matched.filter((l) => l !== "");
  return parts.length > 0 ? parts.join("/") : t[t.length - 1] || "_";
}
