import type { BlobManifest } from "./blob-store.ts";

/** One blob this agent must copy to more peers. */
export interface RepairStep {
  hash: string;
  /** Holders that are gone (dropped from the holders list). */
  lost: string[];
  /** Holders still there, this agent included. */
  survivors: string[];
  /** Peers to push a copy to now (live storage peers not holding it), at most what is missing. */
  targets: string[];
}

/**
 * Which of the blobs held here this agent should re-replicate now, and where to. A blob needs
 * repair when fewer than its `replicas` holders survive (a holder is gone, or the blob was stored
 * when too few storage peers were live). Among the surviving holders only the one with the lowest
 * ID acts, so two survivors never both copy the same blob; it picks targets from `candidates`
 * (live storage peers, in the order given) that are not holders. `isLost(id)` says whether a
 * holder other than this agent is gone; `skip` names blobs already being worked on.
 */
export function planRepairs(manifests: readonly BlobManifest[], self: string, isLost: (id: string) => boolean, candidates: readonly string[], skip: ReadonlySet<string> = new Set()): RepairStep[] {
  const steps: RepairStep[] = [];
  for (const m of manifests) {
    if (skip.has(m.hash)) continue;
    const holders = m.holders.includes(self) ? m.holders : [...m.holders, self];
    const lost = holders.filter((h) => h !== self && isLost(h));
    const survivors = holders.filter((h) => !lost.includes(h)).sort();
    if (survivors[0] !== self) continue; // the lowest surviving ID acts; the others wait for its holders update
    const missing = m.replicas - survivors.length;
    const targets = missing > 0 ? candidates.filter((c) => c !== self && !holders.includes(c)).slice(0, missing) : [];
    if (targets.length > 0 || lost.length > 0) steps.push({ hash: m.hash, lost, survivors, targets });
  }
  return steps;
}
