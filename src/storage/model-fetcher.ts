import type { Logger } from "../log/logger.ts";
import { ModelStore, modelsDirIn } from "../inference/model-store.ts";
import type { MeshNode } from "../mesh/mesh-node.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { BlobClient } from "./blob-client.ts";
import type { StorageService } from "./storage-service.ts";

/** What `modelFetcher` needs: the agent's parts, and its storage service when it has the role. */
export interface ModelFetcherOptions {
  runtime: Pick<Runtime, "files" | "random" | "timers">;
  node: MeshNode;
  log: Logger;
  dataDir: string;
  /** Largest model fetched, bytes. */
  maxBytes: number;
  /** This agent's storage service, or null (then a `BlobClient` of its own asks the storage peers). */
  storage: StorageService | null;
}

/**
 * The `missingModel` hook of `routedExecutor`: fetches model `hash` from the storage peers (as the
 * blob of that hash), checks its hash, adds it to `<data dir>/models` and resolves true; false
 * when no storage peer has an intact copy (logged as `storage.model_unavailable`). A model is a
 * blob under the same name, so `agent store model.onnx` is how a user shares a model with the mesh.
 * `close()` ends the fetches under way (they resolve false), for the agent's stop.
 */
export function modelFetcher(o: ModelFetcherOptions): ((hash: string) => Promise<boolean>) & { close(): void } {
  const client = o.storage ? null : new BlobClient({ node: o.node, runtime: o.runtime, log: o.log, maxBytes: o.maxBytes });
  const models = new ModelStore(o.runtime.files, modelsDirIn(o.dataDir));
  const inFlight = new Map<string, Promise<boolean>>();
  const fetchOne = async (hash: string): Promise<boolean> => {
    try {
      const bytes = o.storage ? await o.storage.fetchBytes(hash) : (await client!.fetch(hash)).bytes;
      if ((await models.add(bytes)) !== hash) return false; // cannot happen: both sides check the hash
      o.log.info("storage.model_fetched", { model: hash.slice(0, 16), size: bytes.byteLength });
      return true;
    } catch (error) {
      o.log.warn("storage.model_unavailable", { model: hash.slice(0, 16), reason: (error as Error).message });
      return false;
    }
  };
  const fetch = (hash: string) => {
    let p = inFlight.get(hash);
    if (!p) {
      p = fetchOne(hash).finally(() => inFlight.delete(hash));
      inFlight.set(hash, p);
    }
    return p;
  };
  return Object.assign(fetch, { close: () => client?.close() });
}
