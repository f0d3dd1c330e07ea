import type { Logger } from "../log/logger.ts";
import type { Clock, Timers } from "../runtime/runtime.ts";
import type { Discovery } from "./discovery.ts";
import type { Peer } from "./peer-table.ts";

/** A possible broker host: an agent of this mesh with its rank and the URLs its broker would have. */
export interface Candidate {
  id: string;
  rank: number;
  hosting: boolean;
  urls: string[];
}

/** Why the last connection ended, as the mesh node reports it. */
export interface ConnectionFailure {
  url: string;
  /** `lost`: it was up and went down; `failed`: it never came up. */
  kind: "lost" | "failed";
}

/** What the locator needs. */
export interface LocatorDeps {
  self: { id: string; rank: number; urls: () => string[] };
  meshId: string;
  discovery: Discovery | null;
  bootstrap: string | null;
  /** The peer table's rows (the mesh node is built after the locator, so this is late-bound). */
  peers: () => Peer[];
  /** Starts the embedded broker here; resolves with a URL this agent can reach it on. */
  host: () => Promise<string>;
  /** Stops the embedded broker here (its clients move elsewhere). */
  unhost: () => Promise<void>;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** How long to listen for an existing broker before the first election, ms (default 2,000). */
  windowMs?: number;
}

/** Orders candidates best first: higher rank, then lower agent ID — the same on every agent. */
export function byRank(a: Candidate, b: Candidate): number {
  return b.rank - a.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const DEAD_FOR_MS = 30_000;
const FAILURES_BEFORE_DEAD = 5;

/**
 * Decides where this agent's broker is, for `--broker auto`. In order: a broker this agent hosts;
 * the best-ranked broker of this mesh seen hosting (mDNS or presence); the bootstrap URL; else an
 * election among the broker-capable agents it knows — itself, mDNS sightings, live peers — which
 * every agent decides the same way ({@link byRank}). The winner starts its broker; the others
 * connect to it. A host whose broker was lost is left out for 30 s, so after the broker's host dies
 * the survivors elect the next one. While hosting, it steps down when it sees a better-ranked
 * broker of the same mesh (two brokers after a partition heals or a simultaneous start). With a
 * bootstrap URL that is not its own, an agent that knows no other agent of its mesh keeps trying
 * that URL rather than hosting a broker nobody could find.
 */
export class BrokerLocator {
  readonly #d: LocatorDeps;
  readonly #dead = new Map<string, number>(); // agent ID -> until (ms)
  readonly #failures = new Map<string, number>(); // agent ID -> consecutive connect failures
  readonly #urlOwner = new Map<string, string>(); // URL -> agent ID
  #hostedUrl: string | null = null;
  #waited = false;
  #watch: unknown = null;

  constructor(deps: LocatorDeps) {
    this.#d = deps;
  }

  /** True while this agent hosts the broker. */
  get hosting(): boolean {
    return this.#hostedUrl !== null;
  }

  /** Starts watching for a better broker to step down to. */
  start(): void {
    this.#watch ??= this.#d.timers.setInterval(() => void this.#checkStepDown(), 1_000);
    this.#d.discovery?.onChange(() => void this.#checkStepDown());
  }

  /** Stops watching (the broker itself is stopped by whoever owns it). */
  stop(): void {
    if (this.#watch !== null) this.#d.timers.clearInterval(this.#watch);
    this.#watch = null;
  }

  /** The broker URL to connect to now. `failure` says how the previous attempt ended. */
  async locate(failure?: ConnectionFailure): Promise<string> {
    const now = this.#d.clock.now();
    if (failure) this.#noteFailure(failure, now);
    if (this.#hostedUrl) return this.#hostedUrl;
    if (!this.#waited) {
      this.#waited = true;
      if (this.#d.discovery) await this.#waitForBroker(this.#d.windowMs ?? 2_000);
    }
    const hosting = this.#candidates(now).filter((c) => c.hosting && c.id !== this.#d.self.id);
    const best = hosting.sort(byRank)[0];
    if (best) return this.#urlOf(best);
    if (this.#d.bootstrap && !this.#isDead(`bootstrap`, now)) {
      this.#urlOwner.set(this.#d.bootstrap, "bootstrap");
      return this.#d.bootstrap;
    }
    const pool = this.#candidates(now).filter((c) => c.rank > 0);
    if (this.#d.self.rank > 0) pool.push({ id: this.#d.self.id, rank: this.#d.self.rank, hosting: false, urls: [] });
    const winner = pool.sort(byRank)[0];
    if (!winner) throw new Error("no broker found and no broker-capable agent to elect (this agent has rank 0)");
    const bootstrap = this.#d.bootstrap;
    if (winner.id === this.#d.self.id && bootstrap && this.#candidates(now).length === 0 && !this.#d.self.urls().includes(bootstrap)) {
      // Knowing no other agent, a broker here would be an island: agents without mDNS find the
      // mesh only through the bootstrap URL, and nobody would find this one. Keep trying it.
      this.#urlOwner.set(bootstrap, "bootstrap");
      return bootstrap;
    }
    if (winner.id === this.#d.self.id) {
      this.#d.log.info("broker.elected", { winner: "self", candidates: pool.length });
      this.#hostedUrl = await this.#d.host();
      this.#urlOwner.set(this.#hostedUrl, this.#d.self.id);
      return this.#hostedUrl;
    }
    this.#d.log.info("broker.elected", { winner: winner.id.slice(0, 8), candidates: pool.length });
    return this.#urlOf(winner);
  }

  #noteFailure(failure: ConnectionFailure, now: number): void {
    const owner = this.#urlOwner.get(failure.url);
    if (owner === undefined || owner === this.#d.self.id) return;
    if (failure.kind === "lost") {
      this.#dead.set(owner, now + DEAD_FOR_MS);
      this.#failures.delete(owner);
      return;
    }
    const count = (this.#failures.get(owner) ?? 0) + 1;
    this.#failures.set(owner, count);
    if (count >= FAILURES_BEFORE_DEAD) {
      this.#dead.set(owner, now + DEAD_FOR_MS);
      this.#failures.delete(owner);
      this.#d.log.warn("broker.candidate_unreachable", { candidate: owner.slice(0, 8), attempts: count });
    }
  }

  #isDead(id: string, now: number): boolean {
    const until = this.#dead.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#dead.delete(id);
    return false;
  }

  #urlOf(candidate: Candidate): string {
    const tries = this.#failures.get(candidate.id) ?? 0;
    const url = candidate.urls[tries % Math.max(1, candidate.urls.length)];
    if (url === undefined) throw new Error(`candidate ${candidate.id.slice(0, 8)} has no reachable address`);
    this.#urlOwner.set(url, candidate.id);
    return url;
  }

  /** Every other agent of this mesh known from mDNS or presence and not left out as dead. */
  #candidates(now: number): Candidate[] {
    const byId = new Map<string, Candidate>();
    for (const s of this.#d.discovery?.sightings() ?? []) {
      if (s.mesh !== this.#d.meshId || s.id === this.#d.self.id) continue;
      byId.set(s.id, { id: s.id, rank: s.rank, hosting: s.hosting, urls: s.addresses.map((a) => `mqtt://${a}:${s.port}`) });
    }
    for (const p of this.#d.peers()) {
      if (p.health === "gone") continue;
      const b = p.presence.broker;
      const known = byId.get(p.id);
      byId.set(p.id, {
        id: p.id,
        rank: b.rank,
        hosting: b.hosting || (known?.hosting ?? false),
        urls: [...new Set([...(known?.urls ?? []), ...b.urls])],
      });
    }
    return [...byId.values()].filter((c) => !this.#isDead(c.id, now));
  }

  async #waitForBroker(windowMs: number): Promise<void> {
    const deadline = this.#d.clock.now() + windowMs;
    while (this.#d.clock.now() < deadline) {
      if (this.#candidates(this.#d.clock.now()).some((c) => c.hosting)) return;
      await new Promise<void>((resolve) => this.#d.timers.setTimeout(resolve, 100));
    }
  }

  async #checkStepDown(): Promise<void> {
    if (!this.#hostedUrl) return;
    const self: Candidate = { id: this.#d.self.id, rank: this.#d.self.rank, hosting: true, urls: [] };
    const better = this.#candidates(this.#d.clock.now()).filter((c) => c.hosting && byRank(c, self) < 0);
    if (better.length === 0) return;
    this.#d.log.info("broker.step_down", { to: better.sort(byRank)[0]!.id.slice(0, 8) });
    this.#hostedUrl = null;
    await this.#d.unhost();
  }
}
