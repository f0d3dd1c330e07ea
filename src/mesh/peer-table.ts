import { shortId } from "../identity/agent-id.ts";

/** What an agent announces in its retained presence message. */
export interface PresenceInfo {
  /** Hardware profile name, e.g. `pi4`, `x86`. */
  profile: string;
  /** Roles: processing, vector, storage, coordinator, gateway. */
  roles: string[];
  /** Capabilities: task kinds, models and anything placement needs. */
  caps: Record<string, unknown>;
  /** The agent as a broker host: whether it hosts the mesh's broker now, its rank (0 = never), and where its broker listens or would listen. */
  broker: { hosting: boolean; rank: number; urls: string[] };
  /** Agent software version. */
  version: string;
  /** Milliseconds between this agent's heartbeats. */
  heartbeatMs: number;
}

/** What each heartbeat carries. */
export interface HeartbeatInfo {
  /** 1-minute load average per core, 0..n. */
  load: number;
  /** Free memory, bytes. */
  freeMem: number;
  /** Hottest thermal zone, °C, or null when unknown. */
  temp: number | null;
  /** Tasks waiting in this agent's queue. */
  queue: number;
}

/** Health of a peer as this agent sees it. */
export type PeerHealth = "alive" | "suspect" | "gone";

/** One row of the peer table. */
export interface Peer {
  id: string;
  shortId: string;
  presence: PresenceInfo;
  resources: HeartbeatInfo | null;
  health: PeerHealth;
  /** ms since the epoch of the last presence or heartbeat. */
  lastSeen: number;
  /** Why it is gone, when it is. */
  goneReason?: string;
}

/** Peer table settings. */
export interface PeerTableOptions {
  /** A peer is suspect after this many of its heartbeat intervals without news (default 3). */
  suspectAfter?: number;
  /** ...and gone after this many (default 6). */
  goneAfter?: number;
  /** Gone peers are forgotten after this long, ms (default 10 minutes). */
  forgetAfterMs?: number;
  /** Told of every change of health, including joins (`alive` from nothing) and leaves (`gone`). */
  onChange?: (peer: Peer, previous: PeerHealth | null) => void;
}

/**
 * The peers this agent knows, fed by presence and heartbeat messages. `sweep(now)`, run on a
 * timer, moves silent peers to suspect and then gone; a last will (empty presence) marks a peer
 * gone at once.
 */
export class PeerTable {
  readonly #peers = new Map<string, Peer>();
  readonly #options: Required<Omit<PeerTableOptions, "onChange">> & Pick<PeerTableOptions, "onChange">;

  constructor(options: PeerTableOptions = {}) {
    this.#options = { suspectAfter: 3, goneAfter: 6, forgetAfterMs: 600_000, ...options };
  }

  /** Records a presence announcement from `id` at `now`. */
  presence(id: string, info: PresenceInfo, now: number): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) {
      const fresh: Peer = { id, shortId: shortId(id), presence: info, resources: null, health: "alive", lastSeen: now };
      this.#peers.set(id, fresh);
      this.#options.onChange?.(fresh, null);
      return;
    }
    peer.presence = info;
    this.#seen(peer, now);
  }

  /** Records a heartbeat from a known peer; returns false for an unknown one (its presence is needed first). */
  heartbeat(id: string, info: HeartbeatInfo, now: number): boolean {
    const peer = this.#peers.get(id);
    if (peer === undefined) return false;
    peer.resources = info;
    this.#seen(peer, now);
    return true;
  }

  /** Marks `id` gone now (its last will arrived, or it said goodbye). */
  gone(id: string, reason: string): void {
    const peer = this.#peers.get(id);
    if (peer === undefined || peer.health === "gone") return;
    const previous = peer.health;
    peer.health = "gone";
    peer.goneReason = reason;
    this.#options.onChange?.(peer, previous);
  }

  /** Updates health from silence at `now`; forgets long-gone peers. */
  sweep(now: number): void {
    const { suspectAfter, goneAfter, forgetAfterMs } = this.#options;
    for (const peer of this.#peers.values()) {
      const silent = (now - peer.lastSeen) / peer.presence.heartbeatMs;
      if (peer.health === "gone") {
        if (now - peer.lastSeen > forgetAfterMs) this.#peers.delete(peer.id);
        continue;
      }
      const previous = peer.health;
      if (silent >= goneAfter) {
        peer.health = "gone";
        peer.goneReason = `no heartbeat for ${Math.round(now - peer.lastSeen)} ms`;
      } else if (silent >= suspectAfter) peer.health = "suspect";
      if (peer.health !== previous) this.#options.onChange?.(peer, previous);
    }
  }

  /** The peer `id`, or undefined. */
  get(id: string): Peer | undefined {
    return this.#peers.get(id);
  }

  /** Every known peer, alive first, then by ID. */
  list(): Peer[] {
    const rank = { alive: 0, suspect: 1, gone: 2 } as const;
    return [...this.#peers.values()].sort((a, b) => rank[a.health] - rank[b.health] || (a.id < b.id ? -1 : 1));
  }

  /** Peers that are not gone. */
  live(): Peer[] {
    return [...this.#peers.values()].filter((p) => p.health !== "gone");
  }

  #seen(peer: Peer, now: number): void {
    peer.lastSeen = Math.max(peer.lastSeen, now);
    if (peer.health !== "alive") {
      const previous = peer.health;
      peer.health = "alive";
      delete peer.goneReason;
      this.#options.onChange?.(peer, previous);
    }
  }
}
