// The single executables' main script, bundled as CommonJS by build/build.ts. Node 24 runs a SEA's
// main script only as CommonJS, with a require() that reaches builtins only; the agent is an ES
// module that needs its own file (import.meta.url: task worker threads load the bundle itself).
// So the ESM bundle travels as a SEA asset, and this loader unpacks it to the cache (once,
// atomically: src/adapters/node/sea-assets.ts) and imports it from there. The executable then
// runs exactly the dist/agent.mjs that `node` and `deno` run. onnxruntime (onnxruntime-node's and
// onnxruntime-common's JavaScript, and this architecture's native files) is unpacked beside it
// under node_modules/, where the bundle's plain `import("onnxruntime-node")` finds it, in the
// main thread and in the task worker threads alike.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { unpackSeaAssets } from "../src/adapters/node/sea-assets.ts";

/** The bundle's asset key, `agent.<content hash>.mjs` (set by the build with esbuild `define`). */
declare const __P2P_BUNDLE_ASSET__: string;
/** The agent version, for the cache folder (set by the build). */
declare const __P2P_VERSION__: string;
/** The other assets to unpack first: onnxruntime's `node_modules/...` files (set by the build). */
declare const __P2P_UNPACK_ASSETS__: readonly string[];

async function start(): Promise<void> {
  const names = [...__P2P_UNPACK_ASSETS__, __P2P_BUNDLE_ASSET__];
  let dir: string | undefined;
  try {
    dir = await unpackSeaAssets(names, { version: __P2P_VERSION__ });
  } catch {
    // No writable cache (read-only home, a service user without one): a private folder for this
    // run, made fresh (never a shared, guessable path whose file someone else could have put there).
    const temp = mkdtempSync(join(tmpdir(), "p2p-agent-"));
    process.once("exit", () => rmSync(temp, { recursive: true, force: true }));
    dir = await unpackSeaAssets(names, { version: __P2P_VERSION__, cacheHome: temp });
  }
  if (dir === undefined) throw new Error("this loader runs only inside the single executable");
  await import(pathToFileURL(join(dir, __P2P_BUNDLE_ASSET__)).href);
}

start().catch((error: unknown) => {
  console.error(`agent: cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
