/** What happened on one attempt, as the coordinator saw it. */
export type Outcome = "success" | "failure" | "timeout" | "disagreement";

/** One peer's record. */
export interface PeerRecord {
  /** Satisfaction-weighted feedback sums, see {@link Reputation}. */
  good: number;
  bad: number;
  /** Count of observations, for display. */
  observations: number;
}

const WEIGHT: Record<Outcome, { good: number; bad: number }> = {
  success: { good: 1, bad: 0 },
  failure: { good: 0, bad: 1 },
  timeout: { good: 0, bad: 1 },
  disagreement: { good: 0, bad: 2 }, // a wrong answer is worse than none
};

/**
 * Per-peer reputation in the manner of PeerTrust (Xiong & Liu, 2004): a peer's trust is the
 * satisfaction it earned, where each piece of feedback is weighted by the credibility of whoever
 * gave it. Here the feedback comes from this agent's own observations (credibility 1) and from
 * quorum peers' agreement: when k peers run a task, the peers in the majority vouch against the
 * disagreeing ones with a weight equal to their own current trust, so a low-trust peer's votes
 * count little.
 *
 * trust(p) = (good + 1) / (good + bad + 2)  — a Beta(1,1) prior: 0.5 for a newcomer.
 * Older feedback decays by `decay` per observation so a peer can recover. Scores below `floor`
 * (default 0.2) get no work; placement weighs the rest by score. Persisted as JSON by the caller.
 */
export class Reputation {
  readonly #records = new Map<string, PeerRecord>();
  readonly floor: number;
  readonly #decay: number;

  constructor(options: { floor?: number; decay?: number; records?: Record<string, PeerRecord> } = {}) {
    this.floor = options.floor ?? 0.2;
    this.#decay = options.decay ?? 0.98;
    for (const [id, r] of Object.entries(options.records ?? {})) this.#records.set(id, { ...r });
  }

  /** Trust in `peer`, 0..1 (0.5 when unknown). */
  score(peer: string): number {
    const r = this.#records.get(peer);
    return r === undefined ? 0.5 : (r.good + 1) / (r.good + r.bad + 2);
  }

  /** False when `peer` is below the floor and must get no work. */
  eligible(peer: string): boolean {
    return this.score(peer) >= this.floor;
  }

  /** Records an outcome for `peer`; `credibility` (0..1) weighs feedback that comes from other peers. */
  record(peer: string, outcome: Outcome, credibility = 1): void {
    const r = this.#records.get(peer) ?? { good: 0, bad: 0, observations: 0 };
    r.good *= this.#decay;
    r.bad *= this.#decay;
    r.good += WEIGHT[outcome].good * credibility;
    r.bad += WEIGHT[outcome].bad * credibility;
    r.observations++;
    this.#records.set(peer, r);
  }

  /**
   * Quorum feedback: every peer in `majority` earns a success, every peer in `minority` a
   * disagreement weighted by the mean trust of the majority that outvoted it.
   */
  quorum(majority: string[], minority: string[]): void {
    const credibility = majority.length === 0 ? 0 : majority.reduce((s, p) => s + this.score(p), 0) / majority.length;
    for (const p of majority) this.record(p, "success");
    for (const p of minority) this.record(p, "disagreement", Math.max(0.5, credibility));
  }

  /** Every record, for persistence and status. */
  snapshot(): Record<string, PeerRecord & { score: number }> {
    return Object.fromEntries([...this.#records].map(([id, r]) => [id, { ...r, score: this.score(id) }]));
  }
}
