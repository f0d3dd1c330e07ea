import { arch, availableParallelism, platform } from "node:os";
import { createWorkerExecutor } from "../../adapters/node/worker-executor.ts";
import type { Runtime } from "../../runtime/runtime.ts";
import { EnvelopeReceiver } from "../../wire/receiver.ts";
import { EnvelopeSender } from "../../wire/sender.ts";
import { stringFlag, UsageError } from "../args.ts";
import type { Command } from "../context.ts";

/** Flags of `agent bench`. */
export const BENCH_FLAGS = { seconds: "string", json: "boolean" } as const;

/** Default and largest `--seconds`: how long each figure is measured. */
export const BENCH_SECONDS = { default: 1, max: 60 } as const;
/** Bytes signed per Ed25519 operation: about one small envelope's Sig_structure. */
const MESSAGE_BYTES = 200;
/** Heap limit of each echo worker thread, MB (echo needs next to nothing). */
const WORKER_MEMORY_MB = 64;

/** This device's figures, as `agent bench --json` prints them. Rates are per second of wall-clock time, rounded. */
export interface BenchFigures {
  runtime: string;
  runtimeVersion: string;
  platform: string;
  arch: string;
  cores: number;
  /** How long each figure was measured, seconds. */
  seconds: number;
  /** The Ed25519 path measured: this runtime's fastest (`node` is OpenSSL; `webcrypto`, `noble`). */
  ed25519: string;
  signPerSec: number;
  verifyPerSec: number;
  /** Signed envelopes built by `EnvelopeSender` and then checked by `EnvelopeReceiver`, per second. */
  envelopesPerSec: number;
  envelopeBytes: number;
  /** `echo` jobs completed per second by the worker-thread executor, one job per thread at a time. */
  echoJobsPerSec: number;
  workerThreads: number;
}

function parseSeconds(text: string | undefined): number {
  if (text === undefined) return BENCH_SECONDS.default;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0 || seconds > BENCH_SECONDS.max) {
    throw new UsageError(`--seconds expected a number above 0 and at most ${BENCH_SECONDS.max}, got ${JSON.stringify(text)}`);
  }
  return seconds;
}

/**
 * Calls `op` one at a time (each promise awaited before the next call) for `seconds`, after a
 * warm-up of a tenth of that, and returns the calls completed per second.
 */
async function perSecond(seconds: number, op: () => Promise<unknown>): Promise<number> {
  const warmUntil = performance.now() + (seconds * 1000) / 10;
  while (performance.now() < warmUntil) await op();
  const start = performance.now();
  let calls = 0;
  let elapsed = 0;
  do {
    await op();
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < seconds * 1000);
  return (calls * 1000) / elapsed;
}

async function ed25519Rates(runtime: Runtime, seconds: number): Promise<{ sign: number; verify: number }> {
  const { ed25519 } = runtime;
  const seed = runtime.random(32);
  const message = runtime.random(MESSAGE_BYTES);
  const publicKey = await ed25519.publicKey(seed);
  const signature = await ed25519.sign(seed, message);
  const sign = await perSecond(seconds, () => ed25519.sign(seed, message));
  const verify = await perSecond(seconds, async () => {
    if (!(await ed25519.verify(publicKey, message, signature))) throw new Error(`Ed25519 (${ed25519.name}) refused a valid signature`);
  });
  return { sign, verify };
}

async function envelopeRate(runtime: Runtime, seconds: number): Promise<{ rate: number; bytes: number }> {
  const seed = runtime.random(32);
  const signer = { seed, publicKey: await runtime.ed25519.publicKey(seed) };
  const sender = new EnvelopeSender({ ed25519: runtime.ed25519, clock: runtime.clock, random: (n) => runtime.random(n) }, signer);
  const receiver = new EnvelopeReceiver({ ed25519: runtime.ed25519, clock: runtime.clock });
  const message = { type: "task.submit", taskId: "bench-1", payload: { kind: "echo", input: "a typical small task message" } };
  const bytes = (await sender.seal(message)).length;
  // Each envelope has a fresh nonce, so the receiver's replay check passes every one.
  const rate = await perSecond(seconds, async () => receiver.open(await sender.seal(message)));
  return { rate, bytes };
}

async function echoRate(threads: number, seconds: number): Promise<number> {
  const executor = createWorkerExecutor({ concurrency: threads, memoryMb: WORKER_MEMORY_MB });
  try {
    const job = (input: number) => ({ kind: "echo", input, params: {}, timeoutMs: 10_000 });
    const run = async (input: number) => {
      const result = await executor.run(job(input));
      if (!result.ok) throw new Error(`an echo job failed (${result.code}): ${result.error}`);
    };
    await Promise.all(Array.from({ length: threads }, (_, i) => run(i))); // starts the threads
    // One sequential stream of jobs per thread, so every thread stays busy.
    const rates = await Promise.all(Array.from({ length: threads }, (_, i) => perSecond(seconds, () => run(i))));
    return rates.reduce((a, b) => a + b, 0);
  } finally {
    await executor.close();
  }
}

const rate = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * `agent bench`: a quick self-test of this device, about one second per figure (`--seconds N`):
 * Ed25519 signatures and verifications per second on the runtime's fastest path, signed envelopes
 * built and opened per second through the real wire code, and `echo` jobs per second through the
 * task executor's worker threads (one per core). `--json` prints one object ({@link BenchFigures}).
 * It needs no repository: it runs from the bundle and the single executables alike.
 */
export const benchCommand: Command = async ({ runtime, args, output }) => {
  if (args.positionals.length > 0) throw new UsageError(`bench takes no arguments, got ${args.positionals.join(" ")}`);
  const seconds = parseSeconds(stringFlag(args, "seconds"));
  const json = Boolean(args.flags.json);
  const cores = Math.max(1, availableParallelism());
  const show = (label: string, value: number) => {
    if (!json) output.out(`${label.padEnd(40)} ${rate(value).padStart(9)} /s`);
  };
  if (!json) output.out(`agent bench: ${runtime.name} ${runtime.version}, ${platform()} ${arch()}, ${cores} cores; ${seconds} s per figure`);
  const { sign, verify } = await ed25519Rates(runtime, seconds);
  show(`Ed25519 sign (${runtime.ed25519.name})`, sign);
  show(`Ed25519 verify (${runtime.ed25519.name})`, verify);
  const envelopes = await envelopeRate(runtime, seconds);
  show(`envelopes sealed+opened (${envelopes.bytes} bytes)`, envelopes.rate);
  const echo = await echoRate(cores, seconds);
  show(`echo jobs, ${cores} worker thread${cores === 1 ? "" : "s"}`, echo);
  if (json) {
    const figures: BenchFigures = {
      runtime: runtime.name,
      runtimeVersion: runtime.version,
      platform: platform(),
      arch: arch(),
      cores,
      seconds,
      ed25519: runtime.ed25519.name,
      signPerSec: Math.round(sign),
      verifyPerSec: Math.round(verify),
      envelopesPerSec: Math.round(envelopes.rate),
      envelopeBytes: envelopes.bytes,
      echoJobsPerSec: Math.round(echo),
      workerThreads: cores,
    };
    output.out(JSON.stringify(figures));
  }
  return 0;
};
