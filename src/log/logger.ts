/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured fields of a log line. `task` is the correlation ID for task work. Never put payloads here. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** A structured logger: an event name (`peer.join`, `broker.lost`) and fields. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Logger settings. */
export interface LoggerOptions {
  level?: LogLevel;
  /** One JSON object per line (true) or readable text (false, for terminals). */
  json: boolean;
  /** Where finished lines go. */
  write: (line: string) => void;
  now?: () => number;
}

/**
 * A logger writing JSON lines (`{"ts":"…","level":"info","event":"peer.join","peer":"abcd1234"}`)
 * or, on a terminal, `12:00:01.234 INFO  peer.join peer=abcd1234`.
 */
export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const min = LOG_LEVELS.indexOf(options.level ?? "info");
  const now = options.now ?? (() => Date.now());
  const emit = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const all = { ...base, ...fields };
    const ts = new Date(now()).toISOString();
    if (options.json) {
      options.write(JSON.stringify({ ts, level, event, ...all }));
      return;
    }
    const text = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
      .join(" ");
    options.write(`${ts.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${event}${text ? " " + text : ""}`);
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
