import { encodeCbor } from "../wire/cbor.ts";
import { toHex } from "../core/bytes.ts";

/**
 * Tolerance for float results in quorum comparison: two numbers agree when
 * |a − b| ≤ ABS_TOLERANCE + REL_TOLERANCE × max(|a|, |b|). Integers and everything that is not a
 * float compare exactly. Float tensors from different hardware (CPU vs GPU, other thread counts)
 * differ in the last bits; 1e-4 relative accepts that and still catches wrong answers.
 */
export const REL_TOLERANCE = 1e-4;
export const ABS_TOLERANCE = 1e-6;

function isFloatArray(v: unknown): v is Float32Array | Float64Array {
  return v instanceof Float32Array || v instanceof Float64Array;
}

function closeNumbers(a: number, b: number): boolean {
  if (Number.isInteger(a) && Number.isInteger(b)) return a === b;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= ABS_TOLERANCE + REL_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** True when two task outputs agree: exact for everything but floats, which agree within the tolerance. */
export function outputsAgree(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return closeNumbers(a, b);
  if (isFloatArray(a) && isFloatArray(b)) return a.length === b.length && a.every((x, i) => closeNumbers(x, b[i]!));
  if (a instanceof Uint8Array || b instanceof Uint8Array || ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    return ArrayBuffer.isView(a) && ArrayBuffer.isView(b) && toHex(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) === toHex(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => outputsAgree(x, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && outputsAgree((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  if (typeof a === typeof b && (typeof a !== "object" || a === null)) return a === b;
  return toHex(encodeCbor(a)) === toHex(encodeCbor(b));
}

/** The result of a vote: the winning output and who voted for and against it. */
export interface Vote {
  output: unknown;
  majority: string[];
  minority: string[];
}

/**
 * The majority among `results` (peer → output) for a quorum of `k`: the largest group of
 * agreeing outputs, if it has more than k/2 members; null when no group does (yet).
 */
export function majority(results: ReadonlyMap<string, unknown>, k: number): Vote | null {
  const groups: Array<{ output: unknown; peers: string[] }> = [];
  for (const [peer, output] of results) {
    const group = groups.find((g) => outputsAgree(g.output, output));
    if (group) group.peers.push(peer);
    else groups.push({ output, peers: [peer] });
  }
  groups.sort((a, b) => b.peers.length - a.peers.length);
  const best = groups[0];
  if (!best || best.peers.length <= k / 2) return null;
  return { output: best.output, majority: best.peers, minority: groups.slice(1).flatMap((g) => g.peers) };
}
