/** A peer that could run pipelines: its agent ID and the pipeline names its presence lists. */
export interface PipelineCandidate {
  id: string;
  names: readonly string[];
}

/**
 * A 53-bit hash of `text` (cyrb53: two 32-bit multiply-xorshift lanes). Integer operations only,
 * so every runtime and CPU agrees on it; not cryptographic, only well spread.
 */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The peer that runs pipeline `name`, by rendezvous (highest random weight) hashing: of the
 * candidates that list `name`, the one whose `hash53(name + "\n" + id)` is highest (ties: the
 * lower ID). Every agent computes the same answer from the same peer list, with no messages; when
 * the owner leaves, only its pipelines move, each to the next-highest candidate. Null when no
 * candidate lists `name`.
 */
export function ownerOf(name: string, candidates: readonly PipelineCandidate[]): string | null {
  let best: string | null = null;
  let bestWeight = -1;
  for (const c of candidates) {
    if (!c.names.includes(name)) continue;
    const weight = hash53(`${name}\n${c.id}`);
    if (weight > bestWeight || (weight === bestWeight && best !== null && c.id < best)) {
      best = c.id;
      bestWeight = weight;
    }
  }
  return best;
}
