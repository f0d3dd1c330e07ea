import { isContentHash } from "../runtime/content.ts";

/**
 * The storage messages (direct, signed, encrypted end to end). Bodies are checked here before any
 * handler uses them; anything else is dropped by the caller and counted.
 *
 * - `blob.put` holder → new holder, one per piece: {rid, hash, size, offset, data, replicas, expiresAt, holders}
 * - `blob.stored` new holder → sender, once all pieces arrived: {rid, hash, ok, code?, error?}
 * - `blob.get` anyone → storage peer: {rid, hash}
 * - `blob.data` storage peer → asker, one per piece: {rid, hash, size, offset, data} or {rid, hash, found: false, code}
 * - `blob.holders` holder → holders: {hash, holders} (who holds a copy now)
 */
export const BLOB_TYPES = { put: "blob.put", stored: "blob.stored", get: "blob.get", data: "blob.data", holders: "blob.holders" } as const;

/** Bytes per `blob.put` / `blob.data` piece: well under the 1 MiB envelope limit, with room for the rest. */
export const PIECE_BYTES = 256 * 1024;

/** One piece of a blob on the wire. */
export interface Piece {
  rid: string;
  hash: string;
  size: number;
  offset: number;
  data: Uint8Array;
}

/** A `blob.put` piece: the piece and what the new holder records in its manifest. */
export interface PutPiece extends Piece {
  replicas: number;
  expiresAt: number | null;
  holders: string[];
}

const isRid = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 64;
const isSize = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** The piece in `body`, or null when it is malformed (offset and length inside `size`). */
export function parsePiece(body: unknown): Piece | null {
  const b = body as Partial<Piece> | null;
  if (!b || !isRid(b.rid) || !isContentHash(b.hash) || !isSize(b.size) || !isSize(b.offset) || !(b.data instanceof Uint8Array)) return null;
  if (b.offset + b.data.byteLength > b.size || b.data.byteLength > PIECE_BYTES) return null;
  return { rid: b.rid, hash: b.hash, size: b.size, offset: b.offset, data: b.data };
}

/** The `blob.put` piece in `body`, or null when it is malformed. */
export function parsePutPiece(body: unknown): PutPiece | null {
  const piece = parsePiece(body);
  const b = body as Partial<PutPiece>;
  if (!piece || !Number.isInteger(b.replicas) || (b.replicas as number) < 1) return null;
  if (!(b.expiresAt === null || typeof b.expiresAt === "number") || !Array.isArray(b.holders) || !b.holders.every((h) => typeof h === "string")) return null;
  return { ...piece, replicas: b.replicas as number, expiresAt: b.expiresAt, holders: b.holders };
}

/** `{rid, hash}` of a `blob.get`, or null. */
export function parseGet(body: unknown): { rid: string; hash: string } | null {
  const b = body as { rid?: unknown; hash?: unknown } | null;
  return b && isRid(b.rid) && isContentHash(b.hash) ? { rid: b.rid, hash: b.hash } : null;
}

/** `{hash, holders}` of a `blob.holders`, or null. */
export function parseHolders(body: unknown): { hash: string; holders: string[] } | null {
  const b = body as { hash?: unknown; holders?: unknown } | null;
  if (!b || !isContentHash(b.hash) || !Array.isArray(b.holders) || !b.holders.every((h) => typeof h === "string")) return null;
  return { hash: b.hash, holders: b.holders as string[] };
}

/** Slices `bytes` into pieces of at most `PIECE_BYTES` (one empty piece for empty bytes). */
export function pieces(bytes: Uint8Array): Array<{ offset: number; data: Uint8Array }> {
  const out: Array<{ offset: number; data: Uint8Array }> = [];
  for (let offset = 0; offset < bytes.byteLength || out.length === 0; offset += PIECE_BYTES) out.push({ offset, data: bytes.subarray(offset, offset + PIECE_BYTES) });
  return out;
}

/**
 * Reassembles one blob from pieces that may arrive out of order or twice. `add` returns the whole
 * bytes once every byte has arrived, else null.
 */
export class Assembly {
  readonly bytes: Uint8Array;
  readonly #offsets = new Set<number>();
  #received = 0;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
  }

  add(offset: number, data: Uint8Array): Uint8Array | null {
    if (!this.#offsets.has(offset)) {
      this.#offsets.add(offset);
      this.bytes.set(data, offset);
      this.#received += data.byteLength;
    }
    return this.#received >= this.size ? this.bytes : null;
  }
}
