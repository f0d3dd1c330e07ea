/** Stable codes of the storage errors a caller may catch (also task failure codes, see KIND_ERROR_CODES). */
export type BlobErrorCode = "blob_not_found" | "blob_corrupt" | "blob_too_large" | "storage_full" | "blob_refused";

/**
 * A blob could not be stored or read: `blob_not_found` (no intact copy here, or on any storage
 * peer asked), `blob_corrupt` (bytes that no longer hash to their name; refused), `blob_too_large`
 * (over the configured `storage.maxBlobMb`, or over what a task envelope carries), `storage_full`
 * (past the disk quota `storage.maxTotalMb`), `blob_refused` (a peer refused a pushed copy for
 * another reason: busy, too many transfers open; only seen by the pusher).
 */
export class BlobError extends Error {
  constructor(
    readonly code: BlobErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "BlobError";
  }
}
