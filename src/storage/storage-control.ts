import { ControlError } from "../control/control-protocol.ts";
import type { ControlHandler } from "../control/control-server.ts";
import { isContentHash } from "../runtime/content.ts";
import { FileNotFound } from "../runtime/runtime.ts";
import type { StorageService, StoreResult } from "./storage-service.ts";

/**
 * Control commands of an agent with the storage role, for `agent store` / `agent fetch` on the
 * same device: they name files by path instead of carrying the bytes, so a blob up to
 * `storage.maxBlobMb` never has to fit in one control line or one task envelope.
 * `storage.store` {path, replicas?, retentionHours?} → StoreResult (stored here, pushed to peers);
 * `storage.fetch` {hash, out} → {hash, size, out} (bytes checked, written atomically to `out`).
 * Failures are `ControlError`s with the kind's code (`bad_input`, `blob_not_found`, ...).
 */
export function storageControl(service: StorageService, store: (bytes: Uint8Array, params: Record<string, unknown>) => Promise<StoreResult>): Record<string, ControlHandler> {
  const files = service.store.files;
  const fail = (error: unknown): never => {
    if (error instanceof ControlError) throw error;
    throw new ControlError((error as { code?: string }).code ?? "storage_failed", (error as Error).message);
  };
  return {
    async "storage.store"(args) {
      if (typeof args.path !== "string" || args.path === "") throw new ControlError("bad_request", "storage.store needs a file path");
      try {
        const bytes = await files.readFile(args.path).catch((error: unknown) => {
          throw error instanceof FileNotFound ? new ControlError("bad_request", `file ${args.path} does not exist`) : error;
        });
        const params: Record<string, unknown> = {};
        if (args.replicas !== undefined) params.replicas = args.replicas;
        if (args.retentionHours !== undefined) params.retentionHours = args.retentionHours;
        return await store(bytes, params);
      } catch (error) {
        return fail(error);
      }
    },
    async "storage.fetch"(args) {
      if (!isContentHash(args.hash) || typeof args.out !== "string" || args.out === "") throw new ControlError("bad_request", "storage.fetch needs {hash, out}");
      try {
        const bytes = await service.fetchBytes(args.hash);
        await files.writeFileAtomic(args.out, bytes, 0o644);
        return { hash: args.hash, size: bytes.byteLength, out: args.out };
      } catch (error) {
        return fail(error);
      }
    },
  };
}
