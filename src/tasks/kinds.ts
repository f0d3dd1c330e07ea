import { sha256 } from "@noble/hashes/sha2.js";
import { toHex, utf8 } from "../core/bytes.ts";
import { chunkKind } from "./chunk.ts";

/** A task kind's code: a pure function of input and params, run inside an isolated worker. */
export type KindFn = (input: unknown, params: Record<string, unknown>) => unknown | Promise<unknown>;

function asBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === "string") return utf8(input);
  throw new TypeError(`input expected bytes or text, got ${input === null ? "null" : typeof input}`);
}

/**
 * The built-in kinds every processing agent runs. The AI kinds (chunk, vectorize, infer, search,
 * store/fetch) come with the inference runtime.
 * - `echo`: returns its input (for tests and benchmarks: the cost of the task machinery itself).
 * - `sha256`: hex SHA-256 of the input (bytes or text).
 * - `sum`: sum of a list of numbers (splittable: sub-sums add up).
 * - `chunk`: a text cut into overlapping chunks at sentence boundaries (src/tasks/chunk.ts).
 */
export const BUILTIN_KINDS: Record<string, KindFn> = {
  echo: (input) => input,
  sha256: (input) => toHex(sha256(asBytes(input))),
  sum: (input) => {
    if (!Array.isArray(input) || !input.every((n) => typeof n === "number")) throw new TypeError("sum expects a list of numbers");
    return input.reduce((a: number, b: number) => a + b, 0);
  },
  chunk: chunkKind,
};

/**
 * Kinds that misbehave on purpose, for tests of isolation: `fault.throw` throws, `fault.loop`
 * never returns, `fault.alloc` allocates without bound. They exist only in an agent started with
 * the test-only fault switch (environment `P2P_AGENT_TEST_FAULTS=1`), never from the network.
 */
export const FAULT_KINDS: Record<string, KindFn> = {
  "fault.throw": () => {
    throw new Error("this task throws on purpose");
  },
  "fault.loop": () => {
    for (;;) {
      // spin until the worker is terminated
    }
  },
  "fault.alloc": () => {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(1 << 20).fill(1));
  },
};
