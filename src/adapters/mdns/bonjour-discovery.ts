import { Bonjour, type Browser, type Service } from "bonjour-service";
import { advertToTxt, SERVICE_TYPE, txtToAdvert, type Advert, type Discovery, type Sighting } from "../../mesh/discovery.ts";

/** Options for mDNS discovery. */
export interface BonjourDiscoveryOptions {
  /** IPv4 address of the interface to use for multicast; all interfaces when absent. */
  interface?: string;
  /** How often to re-query and expire silent services, ms (default 3,000). */
  refreshMs?: number;
  /** Told of socket errors (mDNS keeps running where it can). */
  onError?: (error: Error) => void;
}

/**
 * `Discovery` over `bonjour-service`: publishes `_p2p-agent._tcp` with a per-agent host name
 * (`p2p-<first 16 of ID>.local`, so agents sharing a hostname do not collide) and browses for the
 * same type, re-querying every few seconds.
 */
export function createBonjourDiscovery(options: BonjourDiscoveryOptions = {}): Discovery {
  let bonjour: Bonjour | null = null;
  let browser: Browser | null = null;
  let service: Service | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let handler: () => void = () => {};
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
      publish(advert);
      browser = bonjour.find({ type: SERVICE_TYPE });
      const events = browser as unknown as { on(event: string, listener: () => void): void };
      for (const event of ["up", "down", "txt-update", "srv-update"]) events.on(event, () => handler());
      timer = setInterval(() => {
        browser?.expire();
        browser?.update();
      }, options.refreshMs ?? 3_000);
    },
    async update(advert) {
      if (!bonjour) return;
      await unpublish();
      publish(advert);
    },
    sightings() {
      const out: Sighting[] = [];
      for (const s of browser?.services ?? []) {
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
      await unpublish();
      const b = bonjour;
      bonjour = null;
      await new Promise<void>((resolve) => (b ? b.destroy(() => resolve()) : resolve()));
    },
  };
}
