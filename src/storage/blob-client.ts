import { toHex } from "../core/bytes.ts";
import { contentHash } from "../runtime/content.ts";
import type { Logger } from "../log/logger.ts";
import type { MeshNode } from "../mesh/mesh-node.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { BlobError } from "./blob-error.ts";
import { Assembly, BLOB_TYPES, parsePiece, pieces } from "./blob-wire.ts";

/** What a new holder records with a pushed blob. */
export interface PushMeta {
  replicas: number;
  expiresAt: number | null;
  holders: string[];
}

interface Waiting {
  from: string;
  assembly: Assembly | null;
  /** Largest blob accepted on this wait, bytes. */
  maxBytes: number;
  done: (result: { bytes: Uint8Array } | { error: Error }) => void;
}

/** Pieces of one blob in flight at once. */
const WINDOW = 4;

/**
 * The network side of blobs, usable on any agent, storage role or not: `push` sends a blob to a
 * storage peer in pieces (`blob.put`) and waits for its `blob.stored`; `pull` asks one peer for a
 * blob (`blob.get`) and reassembles its `blob.data` pieces, checking the hash; `fetch` tries the
 * storage peers one after another until one has an intact copy. It registers the `blob.data` and
 * `blob.stored` handlers on the node, so make one per agent. `close()` ends every wait at once.
 */
export class BlobClient {
  readonly #node: MeshNode;
  readonly #runtime: Pick<Runtime, "random" | "timers">;
  readonly #log: Logger;
  readonly #maxBytes: number;
  readonly #waiting = new Map<string, Waiting>();
  #closed = false;
  /** Copies refused because they did not match their hash, since start. */
  refused = 0;

  constructor(options: { node: MeshNode; runtime: Pick<Runtime, "random" | "timers">; log: Logger; maxBytes: number }) {
    this.#node = options.node;
    this.#runtime = options.runtime;
    this.#log = options.log;
    this.#maxBytes = options.maxBytes;
    this.#node.handle(BLOB_TYPES.data, (m) => this.#onData(m.senderId, m.body));
    this.#node.handle(BLOB_TYPES.stored, (m) => {
      const b = m.body as { rid?: unknown; ok?: unknown; code?: unknown; error?: unknown } | null;
      const w = typeof b?.rid === "string" ? this.#waiting.get(b.rid) : undefined;
      if (!w || w.from !== m.senderId) return;
      if (b!.ok === true) w.done({ bytes: new Uint8Array(0) });
      else {
        const code = b!.code === "blob_corrupt" || b!.code === "blob_too_large" || b!.code === "storage_full" ? b!.code : "blob_refused";
        w.done({ error: new BlobError(code, `peer ${m.senderId.slice(0, 8)} refused the blob (${String(b!.code)}): ${String(b!.error)}`) });
      }
    });
  }

  /** Live storage peers other than this agent, by ID. */
  storagePeers(): string[] {
    return this.#node.peers
      .live()
      .filter((p) => p.presence.roles.includes("storage") && p.id !== this.#node.id)
      .map((p) => p.id)
      .sort();
  }

  /** Waits not settled yet (pushes and pulls in flight). */
  get pending(): number {
    return this.#waiting.size;
  }

  /** Ends every wait with an error (pushes and pulls in flight reject) and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#waiting.values()]) w.done({ error: new Error("blob client closed (storage stopped)") });
  }

  /**
   * Sends blob `hash` (`bytes`) to storage peer `peer`; resolves once it stored an intact copy.
   * Once the peer refused (`blob.stored` with ok false) no further piece is sent.
   */
  async push(peer: string, hash: string, bytes: Uint8Array, meta: PushMeta, timeoutMs = 60_000): Promise<void> {
    const rid = toHex(this.#runtime.random(8));
    const stored = this.#wait(rid, peer, timeoutMs, this.#maxBytes);
    stored.catch(() => {}); // awaited below; a refusal may come while pieces are still being sent
    const parts = pieces(bytes);
    const send = async (i: number): Promise<void> => {
      if (!this.#waiting.has(rid)) return; // settled: refused, timed out or closed
      const { offset, data } = parts[i]!;
      await this.#node.send(peer, BLOB_TYPES.put, { rid, hash, size: bytes.byteLength, offset, data, ...meta }, { private: true, timeoutMs });
    };
    try {
      for (let i = 0; i < parts.length && this.#waiting.has(rid); i += WINDOW) await Promise.all(parts.slice(i, i + WINDOW).map((_, j) => send(i + j)));
    } catch (error) {
      this.#waiting.get(rid)?.done({ error: error as Error });
    }
    await stored;
  }

  /**
   * Blob `hash` from `peer`, checked against its hash; `BlobError` when the peer lacks it or sent a
   * bad copy, `blob_too_large` as soon as the first piece says it is over `maxBytes` (default: the
   * client's limit, `storage.maxBlobMb`).
   */
  async pull(peer: string, hash: string, timeoutMs = 60_000, maxBytes = this.#maxBytes): Promise<Uint8Array> {
    const rid = toHex(this.#runtime.random(8));
    const result = this.#wait(rid, peer, timeoutMs, Math.min(maxBytes, this.#maxBytes));
    this.#node.send(peer, BLOB_TYPES.get, { rid, hash }, { timeoutMs }).catch((error: Error) => this.#waiting.get(rid)?.done({ error }));
    const bytes = await result;
    const actual = await contentHash(bytes);
    if (actual !== hash) {
      this.refused++;
      this.#log.warn("storage.refused_copy", { hash: hash.slice(0, 16), peer: peer.slice(0, 8), actual: actual.slice(0, 16) });
      throw new BlobError("blob_corrupt", `peer ${peer.slice(0, 8)} sent bytes hashing to ${actual}, not ${hash}; refused`);
    }
    return bytes;
  }

  /**
   * Blob `hash` from the first of `peers` (default: every live storage peer) that has an intact
   * copy; a corrupt copy or a silent peer moves on to the next. `blob_not_found` when none had it;
   * `blob_too_large` at once when a peer says the blob is over `maxBytes` (every copy has the same
   * size, so no other peer is asked).
   */
  async fetch(hash: string, peers: readonly string[] = this.storagePeers(), timeoutMs = 60_000, maxBytes = this.#maxBytes): Promise<{ bytes: Uint8Array; from: string }> {
    const reasons: string[] = [];
    for (const peer of peers) {
      try {
        return { bytes: await this.pull(peer, hash, timeoutMs, maxBytes), from: peer };
      } catch (error) {
        if (error instanceof BlobError && error.code === "blob_too_large") throw error;
        if (this.#closed) throw error;
        reasons.push(`${peer.slice(0, 8)}: ${(error as Error).message}`);
      }
    }
    throw new BlobError("blob_not_found", `no storage peer has an intact copy of blob ${hash}${reasons.length ? ` (${reasons.join("; ")})` : " (no storage peer is live)"}`);
  }

  #wait(rid: string, from: string, timeoutMs: number, maxBytes: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error("blob client closed (storage stopped)"));
      const timer = this.#runtime.timers.setTimeout(() => done({ error: new Error(`peer ${from.slice(0, 8)} did not answer within ${timeoutMs} ms`) }), timeoutMs);
      const done: Waiting["done"] = (result) => {
        if (!this.#waiting.has(rid)) return;
        this.#waiting.delete(rid);
        this.#runtime.timers.clearTimeout(timer);
        if ("error" in result) reject(result.error);
        else resolve(result.bytes);
      };
      this.#waiting.set(rid, { from, assembly: null, maxBytes, done });
    });
  }

  #onData(sender: string, body: unknown): void {
    const b = body as { rid?: unknown; found?: unknown; code?: unknown; hash?: unknown } | null;
    const w = typeof b?.rid === "string" ? this.#waiting.get(b.rid) : undefined;
    if (!w || w.from !== sender) return;
    if (b!.found === false) {
      const code = b!.code === "blob_corrupt" ? "blob_corrupt" : "blob_not_found";
      return w.done({ error: new BlobError(code, `peer ${sender.slice(0, 8)} has no intact copy (${code})`) });
    }
    const piece = parsePiece(body);
    if (!piece) return;
    if (piece.size > w.maxBytes) return w.done({ error: new BlobError("blob_too_large", `blob ${piece.hash.slice(0, 16)} is ${piece.size} bytes, limit ${w.maxBytes}`) });
    w.assembly ??= new Assembly(piece.size);
    if (w.assembly.size !== piece.size) return;
    const whole = w.assembly.add(piece.offset, piece.data);
    if (whole) w.done({ bytes: whole });
  }
}
