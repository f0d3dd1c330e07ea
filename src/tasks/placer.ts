/** What placement knows about one candidate peer (or this agent itself). */
export interface Candidate {
  id: string;
  alive: boolean;
  kinds: readonly string[];
  /** Can open end-to-end encrypted tasks. */
  e2e: boolean;
  /** Accepting new work (not stopped by thermal or battery limits). */
  accepting: boolean;
  queue: number;
  capacity: number;
  concurrency: number;
  /** °C now, and the profile's limit; null when unknown. */
  temp: number | null;
  maxTemp: number | null;
  battery: { percent: number; charging: boolean } | null;
  /** Profile power model, watts. */
  power: { idleWatts: number; busyWatts: number } | null;
  /** Mean duration of this kind on this peer, ms, learned from past completions; null = none yet. */
  speedMs: number | null;
  reputation: number;
  eligible: boolean;
  /** ms epoch until which the peer said it was busy. */
  busyUntil: number;
}

/** The weights of the score's parts; they sum to 1. */
export const WEIGHTS = { queue: 0.25, speed: 0.2, thermal: 0.1, battery: 0.1, energy: 0.1, reputation: 0.25 } as const;
type Part = keyof typeof WEIGHTS;

/** One candidate's line in a placement record. */
export interface Ranked {
  id: string;
  score: number;
  parts: Record<Part, number>;
  /** Why it could not be chosen at all, or null. */
  excluded: string | null;
  /** Why it lost (for candidates not chosen), or null for the chosen. */
  lost: string | null;
}

/** A placement decision and its reasons, kept for `agent explain`. */
export interface Placement {
  at: number;
  chosen: string[];
  ranking: Ranked[];
}

function clamp(x: number): number {
  return Math.max(0, Math.min(1, x));
}

/** Why `c` cannot take this task now, or null. */
function exclusion(c: Candidate, task: { kind: string; private: boolean }, avoid: ReadonlySet<string>, now: number): string | null {
  if (avoid.has(c.id)) return "already tried or running this task";
  if (!c.alive) return "not alive";
  if (!c.kinds.includes(task.kind)) return `does not run kind ${task.kind}`;
  if (task.private && !c.e2e) return "cannot decrypt private tasks";
  if (!c.eligible) return `reputation ${c.reputation.toFixed(2)} below the floor`;
  if (!c.accepting) return "not accepting work (thermal or battery limit)";
  if (c.busyUntil > now) return `said busy ${Math.round((c.busyUntil - now) / 1000)} s ago or less`;
  if (c.queue >= c.capacity + c.concurrency) return `queue full (${c.queue})`;
  return null;
}

/**
 * Scores candidates for a task and picks the best `count` distinct ones. Each part of the score
 * is 0..1, higher is better: queue (free capacity), speed (learned, relative to the fastest),
 * thermal headroom, battery, energy per task (profile watts × learned duration, relative to the
 * cheapest) and reputation. Unknowns score a neutral middle. Every candidate's parts, exclusion
 * and reason for losing are returned, so any decision can be explained afterwards.
 */
export function place(candidates: readonly Candidate[], task: { kind: string; private: boolean }, count: number, avoid: ReadonlySet<string>, now: number): Placement {
  const known = candidates.filter((c) => c.speedMs !== null).map((c) => c.speedMs!);
  const fastest = known.length ? Math.min(...known) : null;
  const energy = (c: Candidate) => (c.power && c.speedMs !== null ? (c.power.busyWatts * c.speedMs) / 3.6e6 : null);
  const energies = candidates.map(energy).filter((e): e is number => e !== null && e > 0);
  const cheapest = energies.length ? Math.min(...energies) : null;
  const ranking: Ranked[] = candidates.map((c) => {
    const e = energy(c);
    const parts: Record<Part, number> = {
      queue: clamp(1 / (1 + c.queue / Math.max(1, c.concurrency))),
      speed: c.speedMs === null || fastest === null ? 0.5 : clamp(fastest / Math.max(1, c.speedMs)),
      thermal: c.temp === null || c.maxTemp === null ? 0.7 : clamp((c.maxTemp - c.temp) / 20),
      battery: c.battery === null ? 1 : clamp((c.battery.percent / 100) * (c.battery.charging ? 1 : 0.7)),
      energy: e === null || cheapest === null || e <= 0 ? 0.5 : clamp(cheapest / e),
      reputation: clamp(c.reputation),
    };
    const score = (Object.keys(WEIGHTS) as Part[]).reduce((s, k) => s + WEIGHTS[k] * parts[k], 0);
    return { id: c.id, score: Math.round(score * 1000) / 1000, parts, excluded: exclusion(c, task, avoid, now), lost: null };
  });
  const eligible = ranking.filter((r) => r.excluded === null).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  const chosen = eligible.slice(0, count);
  const last = chosen[chosen.length - 1];
  for (const r of ranking) {
    if (chosen.includes(r)) continue;
    if (r.excluded) r.lost = `excluded: ${r.excluded}`;
    else if (last) {
      const worst = (Object.keys(WEIGHTS) as Part[]).sort((a, b) => WEIGHTS[b] * (last.parts[b] - r.parts[b]) - WEIGHTS[a] * (last.parts[a] - r.parts[a]))[0]!;
      r.lost = `score ${r.score} below ${last.id.slice(0, 8)}'s ${last.score} (mostly ${worst}: ${r.parts[worst].toFixed(2)} vs ${last.parts[worst].toFixed(2)})`;
    }
  }
  ranking.sort((a, b) => b.score - a.score);
  return { at: now, chosen: chosen.map((c) => c.id), ranking };
}
