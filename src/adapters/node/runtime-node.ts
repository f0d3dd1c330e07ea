import { homedir } from "node:os";
import { randomFillSync } from "node:crypto";
import { systemClock, webTimers, type Runtime } from "../../runtime/runtime.ts";
import { createNodeEd25519 } from "./ed25519-node.ts";
import { nodeFiles } from "./files-node.ts";
import { nodeNet } from "./net-node.ts";

/** The Node.js runtime: `node:fs`, `node:net`, OpenSSL Ed25519 through `node:crypto`. */
export function createNodeRuntime(): Runtime {
  return {
    name: "node",
    version: process.versions.node,
    files: nodeFiles,
    net: nodeNet,
    ed25519: createNodeEd25519(),
    clock: systemClock,
    timers: webTimers,
    random: (length) => {
      if (!Number.isInteger(length) || length < 0) throw new RangeError(`"length" expected a non-negative integer, got ${length}`);
      return randomFillSync(new Uint8Array(length));
    },
    env: (name) => process.env[name],
    homeDir: () => homedir() || undefined,
  };
}
