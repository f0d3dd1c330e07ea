import { toHex } from "../core/bytes.ts";
import { FileNotFound, type Files } from "./runtime.ts";

/** A content name: the SHA-256 of some bytes, 64 lower-case hex digits (models and blobs alike). */
export type ContentHash = string;

const HASH = /^[0-9a-f]{64}$/;

/** True when `value` is a content hash (64 lower-case hex digits). */
export function isContentHash(value: unknown): value is ContentHash {
  return typeof value === "string" && HASH.test(value);
}

/** The SHA-256 of `bytes` as 64 lower-case hex digits (Web Crypto, native on Node and Deno). */
export async function contentHash(bytes: Uint8Array): Promise<ContentHash> {
  return toHex(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/**
 * Reads the file at `path`, named by content `hash`, and hashes it again: `{bytes}` when intact,
 * `{missing}` when there is no such file, `{actual}` (what the bytes hash to) when it is corrupt.
 * Other read errors are thrown. The model store and the blob store both read this way, each
 * turning the answer into its own error codes.
 */
export async function readContent(files: Files, path: string, hash: ContentHash): Promise<{ bytes: Uint8Array } | { missing: FileNotFound } | { actual: ContentHash }> {
  let bytes: Uint8Array;
  try {
    bytes = await files.readFile(path);
  } catch (error) {
    if (error instanceof FileNotFound) return { missing: error };
    throw error;
  }
  const actual = await contentHash(bytes);
  return actual === hash ? { bytes } : { actual };
}
