import type { BlobManifest } from "./blob-store.ts";

/** One blob this agent must copy to more peers. */
export interface RepairStep {
  hash: string;
  /** Holders that are gone (dropped from the holders list). */
  lost: string[];
  /** Holders still there, this agent included. */
  survivors: string[];
  /** Copies still missing. */
  missing: number;
  /**
   * Peers to try, in order (live storage peers not holding it and not backed off): the first
   * `missing` that accept get a copy; one that refuses is passed over for the next.
   */
  targets: string[];
}

/**
 * Which of the blobs held here this agent should re-replicate now, and where to. A blob needs
 * repair when fewer than its `replicas` holders survive (a holder is gone, or the blob was stored
 * when too few storage peers were live). Among the surviving holders only the one with the lowest
 * ID acts, so two survivors never both copy the same blob; it picks targets from `candidates`
 * (live storage peers, in the order given) that are not holders and not backed off (`backedOff(hash,
 * peer)`: that peer refused this blob lately). `isLost(id)` says whether a holder other than this
 * agent is gone; `skip` names blobs already being worked on.
 */
export function planRepairs(
  manifests: readonly BlobManifest[],
  self: string,
  isLost: (id: string) => boolean,
  candidates: readonly string[],
  skip: ReadonlySet<string> = new Set(),
  backedOff: (hash: string, peer: string) => boolean = () => false,
): RepairStep[] {
  const steps: RepairStep[] = [];
  for (const m of manifests) {
    if (skip.has(m.hash)) continue;
    const holders = m.holders.includes(self) ? m.holders : [...m.holders, self];
    const lost = holders.filter((h) => h !== self && isLost(h));
    const survivors = holders.filter((h) => !lost.includes(h)).sort();
    if (survivors[0] !== self) continue; // the lowest surviving ID acts; the others wait for its holders update
    const missing = m.replicas - survivors.length;
    const targets = missing > 0 ? candidates.filter((c) => c !== self && !holders.includes(c) && !backedOff(m.hash, c)) : [];
    if (targets.length > 0 || lost.length > 0) steps.push({ hash: m.hash, lost, survivors, missing: Math.max(0, missing), targets });
  }
  return steps;
}

/**
 * Per (blob, peer) memory of failed copies: after the n-th failure in a row that peer is not tried
 * for that blob for `baseMs` · 2^(n-1), at most `capMs`; a success forgets it.
 */
export class RepairBackoff {
  readonly #failures = new Map<string, { n: number; until: number }>();

  constructor(
    readonly baseMs: number,
    readonly capMs: number,
  ) {}

  /** True while `peer` is backed off for blob `hash` at `now`. */
  blocked(hash: string, peer: string, now: number): boolean {
    const f = this.#failures.get(`${hash}/${peer}`);
    return f !== undefined && now < f.until;
  }

  /** Records a failed copy of `hash` to `peer` at `now`; returns the wait before the next try, ms. */
  failed(hash: string, peer: string, now: number): number {
    const key = `${hash}/${peer}`;
    const n = (this.#failures.get(key)?.n ?? 0) + 1;
    const wait = Math.min(this.capMs, this.baseMs * 2 ** Math.min(n - 1, 30));
    this.#failures.set(key, { n, until: now + wait });
    return wait;
  }

  /** Forgets the failures of `hash` to `peer`. */
  succeeded(hash: string, peer: string): void {
    this.#failures.delete(`${hash}/${peer}`);
  }

  /** Forgets every blob but those in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.#failures.keys()) if (!keep.has(key.slice(0, key.indexOf("/")))) this.#failures.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.#failures.clear();
  }
}
