/** The shape of `agent status --json` (see `src/agent/agent-status.ts`), as far as rendering needs it. */
export interface StatusView {
  id: string | null;
  version?: string;
  runtime?: string;
  mesh: { id: string; name: string; owner: boolean } | null;
  profile: string;
  profileReason?: string | null;
  device?: { battery: { percent: number; status: string } | null; powerWatts: number | null; limits: { accepting: boolean; reason: string } } | null;
  uptimeMs: number;
  resources?: { load: number; freeMem: number; temp: number | null; queue: number };
  broker: {
    mode: string;
    hosting: { url: string; clients: number; refusals: Record<string, number> } | null;
    connection: { connected: boolean; url: string | null; since: number; reason?: string } | null;
  };
  peers: PeerView[];
  counters: Record<string, number> | null;
  refusals: Record<string, number> | null;
}

/** One peer row. */
export interface PeerView {
  id: string;
  shortId: string;
  health: string;
  lastSeen: number;
  presence: { profile: string; roles: string[]; broker: { hosting: boolean } };
  resources: { load: number; freeMem: number; temp: number | null; queue: number } | null;
}

/** `1h02m`, `5m12s`, `3.2s`. */
export function duration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, "0")}h`;
}

function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  return `${Math.round(n / (1 << 20))} MiB`;
}

/** Lays out rows as aligned columns under a header. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The peer table as text lines. `now` is ms since the epoch. */
export function renderPeers(peers: PeerView[], now: number): string[] {
  if (peers.length === 0) return ["no peers yet"];
  return table(
    ["PEER", "PROFILE", "ROLES", "HEALTH", "LAST SEEN", "LOAD", "QUEUE", "TEMP"],
    peers.map((p) => [
      p.shortId + (p.presence.broker.hosting ? "*" : ""),
      p.presence.profile,
      p.presence.roles.join(",") || "-",
      p.health,
      `${duration(Math.max(0, now - p.lastSeen))} ago`,
      p.resources ? p.resources.load.toFixed(2) : "-",
      p.resources ? String(p.resources.queue) : "-",
      p.resources?.temp != null ? `${p.resources.temp.toFixed(0)}°C` : "-",
    ]),
  );
}

/** `agent status` as text lines. */
export function renderStatus(s: StatusView, now: number): string[] {
  const out: string[] = [];
  out.push(`agent     ${s.id ?? "(starting)"}`);
  out.push(`          version ${s.version ?? "?"} on ${s.runtime ?? "?"} · profile ${s.profile} · up ${duration(s.uptimeMs)}`);
  if (s.mesh) out.push(`mesh      ${s.mesh.name} (${s.mesh.id.slice(0, 8)}${s.mesh.owner ? ", owned by this agent" : ""})`);
  const c = s.broker.connection;
  const conn = c === null ? "not started" : c.connected ? `connected to ${c.url} for ${duration(now - c.since)}` : `disconnected${c.reason ? ` (${c.reason})` : ""}`;
  out.push(`broker    ${s.broker.mode} · ${conn}`);
  if (s.broker.hosting) {
    const r = s.broker.hosting.refusals;
    out.push(`          hosting ${s.broker.hosting.url} · ${s.broker.hosting.clients} clients · refused connect ${r.connect ?? 0}, publish ${r.publish ?? 0}, subscribe ${r.subscribe ?? 0}`);
  }
  if (s.profileReason) out.push(`          profile ${s.profile}: ${s.profileReason}`);
  if (s.device) {
    const d = s.device;
    const battery = d.battery ? `battery ${Math.round(d.battery.percent)}% ${d.battery.status.toLowerCase()}` : "mains";
    out.push(`device    ${battery} · power ${d.powerWatts === null ? "n/a" : `${d.powerWatts.toFixed(1)} W`} · ${d.limits.accepting ? "accepting work" : `NOT accepting work: ${d.limits.reason}`}`);
  }
  if (s.resources) {
    const r = s.resources;
    out.push(`resources load ${r.load.toFixed(2)}/core · free ${bytes(r.freeMem)} · temp ${r.temp === null ? "n/a" : `${r.temp.toFixed(0)}°C`} · queue ${r.queue}`);
  }
  const alive = s.peers.filter((p) => p.health === "alive").length;
  out.push(`peers     ${s.peers.length} known, ${alive} alive (* hosts the broker)`);
  for (const line of renderPeers(s.peers, now)) out.push(`  ${line}`);
  if (s.counters) out.push(`messages  ${Object.entries(s.counters).map(([k, v]) => `${k} ${v}`).join(" · ")}`);
  const refused = Object.entries(s.refusals ?? {}).filter(([, v]) => v > 0);
  out.push(`refused   ${refused.length === 0 ? "none" : refused.map(([k, v]) => `${k} ${v}`).join(" · ")}`);
  return out;
}
