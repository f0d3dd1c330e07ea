import type { Logger } from "../log/logger.ts";
import { FileNotFound, type Files, type Timers } from "../runtime/runtime.ts";
import { decodeCbor, encodeCbor } from "../wire/cbor.ts";
import { crc32 } from "./crc32.ts";
import { checkId, checkMeta, VectorIndex, type VectorMeta } from "./vector-index.ts";

/** The snapshot's name inside `<data dir>/vectors/`. */
export const SNAPSHOT_FILE = "index.cbor";
/** The `format` field of a snapshot. */
export const SNAPSHOT_FORMAT = "p2p-vectors/1";

/** What an `IndexStore` needs. */
export interface IndexStoreOptions {
  files: Files;
  timers: Timers;
  clock: { now(): number };
  log: Logger;
  /** The agent's data dir; the snapshot goes to `<dataDir>/vectors/index.cbor`. */
  dataDir: string;
  /** Writes are batched: a change is saved at most this long after it was made, ms (default 1,000). */
  debounceMs?: number;
}

/**
 * Snapshot bytes of `index`: CBOR `{format, crc32, body}` where `body` is the CBOR of
 * `{dim, ids, vectors, meta}` (`vectors` the unit vectors as little-endian float32, row by row;
 * `meta` one entry per id, null where none) and `crc32` its CRC-32, so a truncated or damaged
 * file is recognised as such (a checksum against accidents, not a signature).
 */
export function encodeSnapshot(index: VectorIndex): Uint8Array {
  const ids: string[] = [];
  const meta: (VectorMeta | null)[] = [];
  for (const e of index.entries()) {
    ids.push(e.id);
    meta.push(e.meta ?? null);
  }
  const packed = index.packed();
  const vectors = new Uint8Array(packed.length * 4);
  const view = new DataView(vectors.buffer);
  for (let i = 0; i < packed.length; i++) view.setFloat32(i * 4, packed[i]!, true);
  const body = encodeCbor({ dim: index.dim ?? 0, ids, vectors, meta });
  return encodeCbor({ format: SNAPSHOT_FORMAT, crc32: crc32(body), body });
}

/** The index in snapshot `bytes`; throws an `Error` saying what is wrong with them. */
export function decodeSnapshot(bytes: Uint8Array): VectorIndex {
  const outer = decodeCbor(bytes) as { format?: unknown; crc32?: unknown; body?: unknown } | null;
  if (typeof outer !== "object" || outer === null || outer.format !== SNAPSHOT_FORMAT) throw new Error(`not a ${SNAPSHOT_FORMAT} snapshot`);
  if (!(outer.body instanceof Uint8Array) || typeof outer.crc32 !== "number") throw new Error("snapshot without body or checksum");
  if (crc32(outer.body) !== outer.crc32) throw new Error("snapshot body does not match its crc32");
  const body = decodeCbor(outer.body) as { dim?: unknown; ids?: unknown; vectors?: unknown; meta?: unknown } | null;
  const { dim, ids, vectors, meta } = body ?? {};
  if (typeof dim !== "number" || !Array.isArray(ids) || !(vectors instanceof Uint8Array) || !Array.isArray(meta)) throw new Error("snapshot body lacks dim, ids, vectors or meta");
  if (meta.length !== ids.length || vectors.length !== ids.length * dim * 4) throw new Error(`snapshot sizes disagree: ${ids.length} ids, ${meta.length} meta, ${vectors.length} vector bytes of width ${dim}`);
  const view = new DataView(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  const index = new VectorIndex();
  const items = ids.map((id, i) => {
    const vector = new Float32Array(dim);
    for (let j = 0; j < dim; j++) vector[j] = view.getFloat32((i * dim + j) * 4, true);
    const m = meta[i];
    return m === null ? { id: checkId(id, `ids[${i}]`), vector } : { id: checkId(id, `ids[${i}]`), vector, meta: checkMeta(m, `meta[${i}]`) };
  });
  const { added } = index.add(items); // re-checks every vector (finite, same width, non-zero)
  if (added !== ids.length) throw new Error(`snapshot repeats ids (${ids.length} listed, ${added} distinct)`);
  return index;
}

/**
 * Keeps one `VectorIndex` on disk in `<data dir>/vectors/`: loads it at start, saves a whole
 * snapshot atomically (`Files.writeFileAtomic`) at most `debounceMs` after a change, one write at
 * a time, and once more at `close()`. A snapshot that cannot be read as one (damaged, truncated,
 * another format) is moved aside to `index.cbor.corrupt-<ms>` with a warning and the agent starts
 * with an empty index instead of failing. A full rewrite per batch is simple and crash-safe; its
 * cost grows with the index (about 1.3 MB for 10,000 × 32), which is fine at the sizes a
 * device here holds.
 */
export class IndexStore {
  readonly #o: IndexStoreOptions;
  readonly dir: string;
  readonly path: string;
  #index: VectorIndex | null = null;
  #timer: unknown = null;
  #writing: Promise<void> | null = null;
  #dirty = false;
  #again = false;
  #closed = false;
  /** Saves done and failed, and the last save's size in bytes. */
  readonly stats = { saves: 0, failures: 0, bytes: 0 };

  constructor(options: IndexStoreOptions) {
    this.#o = options;
    this.dir = `${options.dataDir}/vectors`;
    this.path = `${this.dir}/${SNAPSHOT_FILE}`;
  }

  /** Reads the snapshot (an empty index when there is none, or when it was corrupt and moved aside). */
  async load(): Promise<VectorIndex> {
    const { files, log } = this.#o;
    this.#closed = false;
    await files.mkdirp(this.dir, 0o700);
    let bytes: Uint8Array;
    try {
      bytes = await files.readFile(this.path);
    } catch (error) {
      if (!(error instanceof FileNotFound) && (error as { code?: unknown }).code !== "file_not_found") throw error;
      return (this.#index = new VectorIndex());
    }
    try {
      this.#index = decodeSnapshot(bytes);
      log.info("vectors.loaded", { items: this.#index.size, dim: this.#index.dim ?? 0, bytes: bytes.length });
    } catch (error) {
      const aside = `${this.path}.corrupt-${this.#o.clock.now()}`;
      await files.writeFileAtomic(aside, bytes, 0o600);
      await files.remove(this.path);
      log.warn("vectors.corrupt", { file: this.path, movedTo: aside, reason: (error as Error).message });
      this.#index = new VectorIndex();
    }
    return this.#index;
  }

  /** Notes that the index changed: a save follows within `debounceMs`. */
  changed(): void {
    this.#dirty = true;
    if (this.#writing) this.#again = true;
    if (this.#timer !== null || this.#writing || this.#closed) return;
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.#o.debounceMs ?? 1_000);
  }

  /** Saves now if anything changed since the last save; resolves when it is on disk. */
  async flush(): Promise<void> {
    if (this.#timer !== null) {
      this.#o.timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#writing) await this.#writing;
    if (!this.#dirty || !this.#index) return;
    this.#dirty = false;
    this.#writing = this.#save(this.#index).finally(() => {
      this.#writing = null;
      if (this.#again) {
        this.#again = false;
        this.changed(); // changes made during the write get their own save
      }
    });
    await this.#writing;
  }

  /** Saves what is pending and schedules no more saves (until the next `load()`). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  async #save(index: VectorIndex): Promise<void> {
    const bytes = encodeSnapshot(index);
    try {
      await this.#o.files.writeFileAtomic(this.path, bytes, 0o600);
      this.stats.saves++;
      this.stats.bytes = bytes.length;
    } catch (error) {
      this.stats.failures++;
      this.#dirty = true; // try again with the next change or at close
      this.#o.log.warn("vectors.save_failed", { file: this.path, reason: (error as Error).message });
    }
  }
}
