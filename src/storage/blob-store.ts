import type { Files } from "../runtime/runtime.ts";
import { contentHash, isContentHash, readContent } from "../runtime/content.ts";
import { BlobError } from "./blob-error.ts";

/** What this agent knows about one blob it holds; kept beside it as `<hash>.json`. */
export interface BlobManifest {
  hash: string;
  size: number;
  /** ms since the epoch when this copy was written. */
  storedAt: number;
  /** ms since the epoch after which the retention sweep deletes it; null = kept until removed. */
  expiresAt: number | null;
  /** How many copies the mesh should keep (the `replicas` it was stored with). */
  replicas: number;
  /** Agent IDs known to hold a copy, this agent included, sorted. */
  holders: string[];
}

/** The folder blobs live in under an agent's data dir. */
export function blobsDirIn(dataDir: string): string {
  return `${dataDir}/blobs`;
}

/**
 * Content-addressed blobs on this agent's disk: `<dir>/<sha256 hex>` holds the bytes and
 * `<dir>/<sha256 hex>.json` the manifest (holders, size, stored-at, expires-at), each written
 * atomically. A blob's name is the SHA-256 of its bytes (the same hash a model has, so a model
 * stored as a blob is the same bytes under the same name), and every read hashes the bytes again:
 * a copy that no longer matches is refused with `blob_corrupt`, deleted and counted, so that a
 * good copy can be fetched from a peer in its place. Manifests are cached in memory after `load()`.
 */
export class BlobStore {
  readonly files: Files;
  readonly dir: string;
  /** Copies found corrupt (and deleted) since start. */
  corrupt = 0;
  readonly #manifests = new Map<string, BlobManifest>();

  constructor(files: Files, dir: string) {
    this.files = files;
    this.dir = dir;
  }

  /** Reads every manifest in the folder; blobs without one get a manifest naming only `self`. */
  async load(self: string, now: number): Promise<void> {
    await this.files.mkdirp(this.dir, 0o755);
    const names = await this.files.list(this.dir);
    for (const name of names) {
      if (!isContentHash(name)) continue;
      let manifest: BlobManifest | null = null;
      try {
        manifest = parseManifest(JSON.parse(new TextDecoder().decode(await this.files.readFile(`${this.dir}/${name}.json`))), name);
      } catch {
        manifest = null; // missing or unreadable: rebuilt below
      }
      this.#manifests.set(name, manifest ?? { hash: name, size: -1, storedAt: now, expiresAt: null, replicas: 1, holders: [self] });
    }
  }

  /** The path of blob `hash`; `TypeError` for anything but 64 lower-case hex digits. */
  path(hash: string): string {
    if (!isContentHash(hash)) throw new TypeError(`"hash" expected 64 lower-case hex digits (a sha256), got ${JSON.stringify(hash)}`);
    return `${this.dir}/${hash}`;
  }

  /**
   * Stores `bytes` with `meta` and returns the manifest written. When `hash` is given the bytes
   * must hash to it (`blob_corrupt` otherwise: a copy that changed on its way here is refused).
   */
  async put(bytes: Uint8Array, meta: Omit<BlobManifest, "hash" | "size">, hash?: string): Promise<BlobManifest> {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`"bytes" expected a Uint8Array, got ${typeof bytes}`);
    const actual = await contentHash(bytes);
    if (hash !== undefined && actual !== hash) throw new BlobError("blob_corrupt", `blob bytes hash to ${actual}, not ${hash}; refused`);
    await this.files.mkdirp(this.dir, 0o755);
    await this.files.writeFileAtomic(this.path(actual), bytes, 0o644);
    const manifest = { ...meta, hash: actual, size: bytes.byteLength, holders: [...new Set(meta.holders)].sort() };
    await this.#saveManifest(manifest);
    return manifest;
  }

  /**
   * The bytes of blob `hash`, hashed again on this read. `blob_not_found` when it is not here;
   * `blob_corrupt` when its bytes hash to something else (the copy is then deleted and counted).
   */
  async get(hash: string): Promise<Uint8Array> {
    const path = this.path(hash);
    const read = await readContent(this.files, path, hash);
    if ("missing" in read) throw new BlobError("blob_not_found", `blob ${hash} is not stored here`, { cause: read.missing });
    if ("actual" in read) {
      this.corrupt++;
      await this.remove(hash);
      throw new BlobError("blob_corrupt", `blob file ${path} is corrupt: its bytes hash to ${read.actual}, not ${hash}; deleted`);
    }
    return read.bytes;
  }


  /** True when blob `hash` is here and intact (a corrupt copy is deleted by the check). */
  async has(hash: string): Promise<boolean> {
    try {
      await this.get(hash);
      return true;
    } catch (error) {
      if (error instanceof BlobError) return false;
      throw error;
    }
  }

  /** The manifest of blob `hash`, or null when this agent does not hold it. */
  manifest(hash: string): BlobManifest | null {
    const m = this.#manifests.get(hash);
    return m ? { ...m, holders: [...m.holders] } : null;
  }

  /** Every manifest held, by hash. */
  list(): BlobManifest[] {
    return [...this.#manifests.values()].map((m) => ({ ...m, holders: [...m.holders] })).sort((a, b) => (a.hash < b.hash ? -1 : 1));
  }

  /** Replaces the holders list of blob `hash` (no-op when it is not held here). */
  async setHolders(hash: string, holders: readonly string[]): Promise<void> {
    const m = this.#manifests.get(hash);
    if (!m) return;
    await this.#saveManifest({ ...m, holders: [...new Set(holders)].sort() });
  }

  /**
   * Folds what a peer says about blob `hash` (pushing a copy of bytes held here already) into its
   * manifest: holders are joined, and retention and `replicas` only ever grow (a later `expiresAt`,
   * or null = kept, and a higher `replicas` are taken; an earlier or lower one is ignored), so no
   * peer can get a blob deleted early by pushing it again. Returns the manifest, or null when the
   * blob is not held here.
   */
  async merge(hash: string, from: Pick<BlobManifest, "expiresAt" | "replicas" | "holders">): Promise<BlobManifest | null> {
    const m = this.#manifests.get(hash);
    if (!m) return null;
    const expiresAt = m.expiresAt === null || from.expiresAt === null ? null : Math.max(m.expiresAt, from.expiresAt);
    const merged = { ...m, expiresAt, replicas: Math.max(m.replicas, from.replicas), holders: [...new Set([...m.holders, ...from.holders])].sort() };
    await this.#saveManifest(merged);
    return { ...merged, holders: [...merged.holders] };
  }

  /** Deletes blob `hash` and its manifest; no error when it is not there. */
  async remove(hash: string): Promise<void> {
    this.#manifests.delete(hash);
    await this.files.remove(this.path(hash));
    await this.files.remove(`${this.path(hash)}.json`);
  }

  /** Bytes held (by manifest sizes). */
  bytes(): number {
    let total = 0;
    for (const m of this.#manifests.values()) total += Math.max(0, m.size);
    return total;
  }

  async #saveManifest(manifest: BlobManifest): Promise<void> {
    this.#manifests.set(manifest.hash, manifest);
    await this.files.writeFileAtomic(`${this.path(manifest.hash)}.json`, new TextEncoder().encode(JSON.stringify(manifest)), 0o644);
  }
}

function parseManifest(value: unknown, hash: string): BlobManifest | null {
  const m = value as Partial<BlobManifest> | null;
  if (!m || m.hash !== hash || typeof m.size !== "number" || typeof m.storedAt !== "number") return null;
  if (!(m.expiresAt === null || typeof m.expiresAt === "number") || typeof m.replicas !== "number" || !Array.isArray(m.holders)) return null;
  if (!m.holders.every((h) => typeof h === "string")) return null;
  return { hash, size: m.size, storedAt: m.storedAt, expiresAt: m.expiresAt, replicas: m.replicas, holders: [...m.holders] };
}
