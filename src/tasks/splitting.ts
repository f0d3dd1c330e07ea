/**
 * Kinds whose input can be cut into parts that run in parallel and whose outputs are put back
 * together in order. `split(input, weights)` returns one part per weight, sized in proportion to
 * it; `merge(outputs)` gets the parts' outputs in the same order.
 */
export interface Splitter {
  split(input: unknown, weights: readonly number[]): unknown[];
  merge(outputs: readonly unknown[]): unknown;
}

/** Cuts `items` into consecutive runs sized in proportion to `weights` (empty runs dropped). */
export function proportional<T>(items: readonly T[], weights: readonly number[]): T[][] {
  const total = weights.reduce((a, b) => a + Math.max(0, b), 0);
  if (!(total > 0)) throw new RangeError("weights must include a positive value");
  const out: T[][] = [];
  let start = 0;
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += Math.max(0, weights[i]!);
    const end = i === weights.length - 1 ? items.length : Math.round((acc / total) * items.length);
    if (end > start) out.push(items.slice(start, end));
    start = Math.max(start, end);
  }
  return out;
}

function list(input: unknown, kind: string): unknown[] {
  if (!Array.isArray(input)) throw new TypeError(`${kind} input must be a list to be split`);
  return input;
}

/**
 * Splittable built-in kinds: `sum` (sub-sums added up) and `echo` of a list (parts concatenated:
 * the identity, useful to test ordering).
 */
export const SPLITTERS: Record<string, Splitter> = {
  sum: {
    split: (input, weights) => proportional(list(input, "sum"), weights),
    merge: (outputs) => outputs.reduce((a: number, b) => a + (b as number), 0),
  },
  echo: {
    split: (input, weights) => proportional(list(input, "echo"), weights),
    merge: (outputs) => outputs.flatMap((o) => o as unknown[]),
  },
};
