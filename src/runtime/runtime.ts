import type { Ed25519 } from "../crypto/ed25519.ts";

/**
 * The seam between the core and the runtime it runs on. The core takes one `Runtime`, built once
 * at start by `selectRuntime()`, and reaches files, sockets, native crypto, time and randomness
 * only through it. Node and Deno each fill it in `src/adapters/`; tests fill parts with fakes.
 */
export interface Runtime {
  /** `node` or `deno`. */
  readonly name: string;
  /** The runtime's own version, e.g. `20.20.2`. */
  readonly version: string;
  readonly files: Files;
  readonly net: Net;
  /** The fastest Ed25519 path this runtime has (native where available, noble otherwise). */
  readonly ed25519: Ed25519;
  readonly clock: Clock;
  readonly timers: Timers;
  /** `length` cryptographically random bytes. */
  random(length: number): Uint8Array;
  /** The environment variable `name`, or undefined. */
  env(name: string): string | undefined;
  /** The user's home directory, or undefined when the runtime cannot tell. */
  homeDir(): string | undefined;
}

/** Wall-clock time in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** Timers, injectable so tests can fake time. Handles are opaque. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Files by absolute or working-directory-relative path, `/`-separated. */
export interface Files {
  /** The whole file; rejects with a `FileNotFound` error when it does not exist. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Writes `data` so that readers see either the old file or the whole new one: a temporary file
   * beside `path` created with `mode`, flushed, renamed over `path`, then the directory flushed.
   */
  writeFileAtomic(path: string, data: Uint8Array, mode: number): Promise<void>;
  /** Creates `path` and its parents (no error when it exists). New directories get `mode`. */
  mkdirp(path: string, mode: number): Promise<void>;
  /** The permission bits of `path` (e.g. `0o600`), or `null` when it does not exist. */
  mode(path: string): Promise<number | null>;
  /** Removes a file; no error when it does not exist. */
  remove(path: string): Promise<void>;
  /** The names of the entries in directory `path`, sorted; `[]` when it does not exist. */
  list(path: string): Promise<string[]>;
}

/**
 * A stream socket address: TCP host and port, or a Unix socket path. For `listen` on a path,
 * `mode` sets the socket file's permission bits (e.g. `0o600`: only this user may connect).
 */
export type SocketAddress = { host: string; port: number } | { path: string; mode?: number };

/** One stream connection. */
export interface Conn {
  readonly readable: ReadableStream<Uint8Array>;
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
}

/** A listening socket; `address` has the real port when 0 was asked for. */
export interface Listener extends AsyncIterable<Conn> {
  readonly address: SocketAddress;
  close(): Promise<void>;
}

/** Stream sockets (TCP and Unix). */
export interface Net {
  connect(address: SocketAddress): Promise<Conn>;
  listen(address: SocketAddress): Promise<Listener>;
}

/** Error thrown by `Files.readFile` for a missing file; `code` is stable. */
export class FileNotFound extends Error {
  readonly code = "file_not_found";
  constructor(readonly path: string, options?: { cause?: unknown }) {
    super(`file not found: ${path}`, options);
    this.name = "FileNotFound";
  }
}

/** The standard Web timers, as both runtimes provide them. */
export const webTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as number),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (h) => globalThis.clearInterval(h as number),
};

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Random bytes from the Web Crypto API, in chunks of at most 65,536 as it requires. */
export function webRandom(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`"length" expected a non-negative integer, got ${length}`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}
