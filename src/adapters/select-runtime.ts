import type { Runtime } from "../runtime/runtime.ts";
import { denoGlobal } from "./deno/deno-api.ts";

/**
 * The runtime adapter for where this code runs, chosen once at start: Deno when the `Deno` global
 * exists, Node otherwise. Each adapter is imported only when chosen, so neither runtime loads the
 * other's modules.
 */
export async function selectRuntime(): Promise<Runtime> {
  const deno = denoGlobal();
  if (deno) {
    const { createDenoRuntime } = await import("./deno/runtime-deno.ts");
    return createDenoRuntime(deno);
  }
  const { createNodeRuntime } = await import("./node/runtime-node.ts");
  return createNodeRuntime();
}
