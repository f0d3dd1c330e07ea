import { Bonjour, type Browser, type Service } from "bonjour-service";
import { advertToTxt, SERVICE_TYPE, txtToAdvert, type Advert, type Discovery, type Sighting } from "../../mesh/discovery.ts";

/** Options for mDNS discovery. */
export interface BonjourDiscoveryOptions {
  /** IPv4 address of the interface to use for multicast; all interfaces when absent. */
  interface?: string;
  /** How often to re-query and expire silent services, ms (default 3,000). */
  refreshMs?: number;
  /**
   * A sighting whose agent has not answered for this long is dropped, though its records' TTLs
   * (hours, for bonjour-service's PTR) say otherwise, ms (default 3 × refreshMs).
   */
  staleMs?: number;
  /** Told of socket errors (mDNS keeps running where it can). */
  onError?: (error: Error) => void;
  /** The clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
}

/** The part of a multicast-dns response packet read here. */
interface ResponsePacket {
  answers?: { name: string; type: string; ttl?: number }[];
  additionals?: { name: string; type: string; ttl?: number }[];
}

/**
 * `Discovery` over `bonjour-service`: publishes `_p2p-agent._tcp` with a per-agent host name
 * (`p2p-<first 16 of ID>.local`, so agents sharing a hostname do not collide) and browses for the
 * same type, re-querying every few seconds.
 *
 * An agent that dies without saying goodbye (SIGKILL, power loss) would otherwise stay in the
 * browser's list for the PTR record's TTL (8 hours), still claiming to host the broker. So this
 * follows RFC 6762 §10.5 (Passive Observation Of Failures): each response carrying an instance's
 * SRV or TXT record marks it as answering, and an instance that has not answered the queries of
 * the last `staleMs` (several refresh rounds, each of which every live agent answers) is no longer
 * sighted.
 */
export function createBonjourDiscovery(options: BonjourDiscoveryOptions = {}): Discovery {
  let bonjour: Bonjour | null = null;
  let browser: Browser | null = null;
  let service: Service | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let handler: () => void = () => {};
  const now = options.now ?? (() => Date.now());
  const refreshMs = options.refreshMs ?? 3_000;
  const staleMs = options.staleMs ?? 3 * refreshMs;
  const answered = new Map<string, number>(); // instance FQDN, lower case -> when it last answered
  let mdns: { on(e: "response", l: (p: ResponsePacket) => void): void; removeListener(e: "response", l: (p: ResponsePacket) => void): void } | null = null;
  const onResponse = (packet: ResponsePacket) => {
    const at = now();
    for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
      if ((rr.type === "SRV" || rr.type === "TXT") && (rr.ttl ?? 0) > 0) answered.set(rr.name.toLowerCase(), at);
    }
  };
  const fresh = (s: Service): boolean => {
    const last = Math.max(answered.get((s.fqdn ?? "").toLowerCase()) ?? 0, s.lastSeen ?? 0);
    return now() - last <= staleMs;
  };
  let freshKey = "";
  const publish = (advert: Advert) => {
    service = bonjour!.publish({
      name: advert.id,
      type: SERVICE_TYPE,
      port: advert.port,
      host: `p2p-${advert.id.slice(0, 16)}.local`,
      txt: advertToTxt(advert),
      disableIPv6: true,
      // The instance name is the agent ID, unique by construction; probing (RFC 6762 §8.1) would
      // only find our own previous record when re-advertising after a change.
      probe: false,
    });
    service.on("error", (error: Error) => options.onError?.(error));
  };
  const unpublish = () =>
    new Promise<void>((resolve) => {
      const s = service;
      service = null;
      if (!s) return resolve();
      s.stop?.(() => resolve());
    });
  return {
    async start(advert) {
      if (bonjour) return;
      // multicast-dns options pass through Bonjour's constructor, though its type names service fields.
      bonjour = new Bonjour((options.interface ? { interface: options.interface } : {}) as never, (error: Error) => options.onError?.(error));
      // Bonjour keeps its multicast-dns instance private; its responses are needed for §10.5.
      mdns = (bonjour as unknown as { server: { mdns: NonNullable<typeof mdns> } }).server.mdns;
      mdns.on("response", onResponse);
      publish(advert);
      browser = bonjour.find({ type: SERVICE_TYPE });
      const events = browser as unknown as { on(event: string, listener: () => void): void };
      for (const event of ["up", "down", "txt-update", "srv-update"]) events.on(event, () => handler());
      timer = setInterval(() => {
        browser?.expire();
        browser?.update();
        // Staleness changes no browser event; tell the listener when the fresh set changed.
        const key = (browser?.services ?? []).filter(fresh).map((s) => s.fqdn).sort().join(" ");
        if (key !== freshKey) {
          freshKey = key;
          handler();
        }
      }, refreshMs);
    },
    async update(advert) {
      if (!bonjour) return;
      await unpublish();
      publish(advert);
    },
    sightings() {
      const out: Sighting[] = [];
      for (const s of browser?.services ?? []) {
        if (!fresh(s)) continue;
        const advert = txtToAdvert((s.txt ?? {}) as Record<string, unknown>, s.port);
        if (advert === null) continue;
        const v4 = (s.addresses ?? []).filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
        const referer = s.referer?.family === "IPv4" ? [s.referer.address] : [];
        out.push({ ...advert, addresses: [...new Set([...referer, ...v4])] });
      }
      return out;
    },
    onChange(h) {
      handler = h;
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      browser?.stop();
      browser = null;
      mdns?.removeListener("response", onResponse);
      mdns = null;
      answered.clear();
      await unpublish();
      const b = bonjour;
      bonjour = null;
      await new Promise<void>((resolve) => (b ? b.destroy(() => resolve()) : resolve()));
    },
  };
}
