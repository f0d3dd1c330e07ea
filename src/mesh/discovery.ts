/**
 * Finding agents on the LAN, as a contract. Every agent advertises itself as a DNS-SD service
 * `_p2p-agent._tcp` over mDNS (RFC 6762, RFC 6763); the adapter in `src/adapters/mdns/` fills it
 * with `bonjour-service`. The TXT record (RFC 6763 §6) carries:
 *
 * | key    | value                                                  |
 * |--------|--------------------------------------------------------|
 * | id     | agent ID                                               |
 * | mesh   | mesh ID (the owner's agent ID)                         |
 * | name   | mesh name                                              |
 * | roles  | comma-separated roles                                  |
 * | broker | `1` when this agent hosts the mesh's broker, else `0`  |
 * | rank   | broker capability, 0 = never hosts (higher is better)  |
 * | v      | protocol version (`1`)                                 |
 *
 * The SRV port is the agent's broker port (where its broker listens or would listen).
 */
export const SERVICE_TYPE = "p2p-agent";

/** What one agent advertises. */
export interface Advert {
  id: string;
  mesh: string;
  meshName: string;
  roles: string[];
  hosting: boolean;
  rank: number;
  port: number;
  version: string;
}

/** An agent seen on the LAN. */
export interface Sighting extends Advert {
  /** IPv4 addresses it answered from or announced, best first. */
  addresses: string[];
}

/** mDNS discovery. */
export interface Discovery {
  /** Starts advertising `advert` and browsing. */
  start(advert: Advert): Promise<void>;
  /** Re-advertises with changed fields (e.g. it now hosts the broker). */
  update(advert: Advert): Promise<void>;
  /** Agents seen and not gone, any mesh. */
  sightings(): Sighting[];
  /** Called whenever the sightings change. */
  onChange(handler: () => void): void;
  /** Says goodbye and closes the sockets. */
  stop(): Promise<void>;
}

/** The TXT record of an advert. */
export function advertToTxt(advert: Advert): Record<string, string> {
  return {
    id: advert.id,
    mesh: advert.mesh,
    name: advert.meshName,
    roles: advert.roles.join(","),
    broker: advert.hosting ? "1" : "0",
    rank: String(advert.rank),
    v: advert.version,
  };
}

/** The advert in a TXT record, or null when it is not a well-formed one of ours. */
export function txtToAdvert(txt: Record<string, unknown>, port: number): Advert | null {
  const { id, mesh, name, roles, broker, rank, v } = txt as Record<string, unknown>;
  const agentId = /^[a-z2-7]{52}$/;
  if (typeof id !== "string" || !agentId.test(id) || typeof mesh !== "string" || !agentId.test(mesh)) return null;
  if (typeof name !== "string" || typeof roles !== "string" || (broker !== "0" && broker !== "1")) return null;
  const r = Number(rank);
  if (!Number.isInteger(r) || r < 0 || typeof v !== "string" || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { id, mesh, meshName: name, roles: roles ? roles.split(",") : [], hosting: broker === "1", rank: r, port, version: v };
}
