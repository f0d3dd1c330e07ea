import { networkInterfaces } from "node:os";

/** This host's non-internal IPv4 addresses, in interface order. */
export function nodeAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) out.push(a.address);
  }
  return out;
}
