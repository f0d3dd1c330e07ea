import { cpus, freemem, loadavg } from "node:os";
import type { HeartbeatInfo } from "../../mesh/peer-table.ts";

/**
 * Resource readings from `node:os`: 1-minute load per core and free memory. Temperature is
 * unknown here (null); the sysfs readers of the device issue fill it where a board has sensors.
 */
export function nodeResources(queue: () => number = () => 0): () => HeartbeatInfo {
  const cores = Math.max(1, cpus().length);
  return () => ({ load: loadavg()[0]! / cores, freeMem: freemem(), temp: null, queue: queue() });
}
