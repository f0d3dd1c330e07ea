import { Assembly, type PutPiece } from "./blob-wire.ts";

/** Limits on the `blob.put` transfers a storage peer accepts at once. */
export interface IntakeLimits {
  /** Largest blob, bytes (`storage.maxBlobMb`). */
  maxBlobBytes: number;
  /** Open transfers per sender. */
  perSender: number;
  /** Bytes reserved across every open transfer (each reserves the size it claims). */
  budgetBytes: number;
  /** A transfer without a new piece for this long is dropped, ms. */
  stallMs: number;
}

/** Open transfers per sender (default). */
export const PUTS_PER_SENDER = 4;
/** A transfer without a piece for this long is dropped (default), ms. */
export const PUT_STALL_MS = 30_000;

/** Why a piece was refused; also the key of `refusedBy`. */
export type IntakeRefusal = "not_storage_peer" | "blob_too_large" | "too_many_puts" | "storage_busy" | "storage_full";

/** What `offer` decided about one piece. */
export type IntakeResult = { whole: Uint8Array } | { refused: IntakeRefusal; error: string } | null;

interface Open {
  sender: string;
  assembly: Assembly;
  lastPieceAt: number;
}

/**
 * The transfers (`blob.put` pieces being reassembled) a storage peer has open. Each transfer
 * allocates the size it claims, so they are bounded: at most `perSender` per sender, at most
 * `budgetBytes` claimed in total, and dropped after `stallMs` without a piece. A piece that would
 * open a transfer beyond those limits is refused (`too_many_puts`, `storage_busy`) and counted in
 * `refusedBy`, as are the refusals the caller decides (`count`).
 */
export class PutIntake {
  readonly #open = new Map<string, Open>();
  /** Refused pieces since start, by reason. */
  readonly refusedBy: Record<IntakeRefusal, number> = { not_storage_peer: 0, blob_too_large: 0, too_many_puts: 0, storage_busy: 0, storage_full: 0 };
  /** Transfers dropped because they stalled, since start. */
  stalled = 0;

  constructor(readonly limits: IntakeLimits) {}

  /** Bytes claimed by the open transfers. */
  reserved(): number {
    let n = 0;
    for (const o of this.#open.values()) n += o.assembly.size;
    return n;
  }

  /** Open transfers. */
  get size(): number {
    return this.#open.size;
  }

  /** True when `sender` has transfer `rid` open. */
  isOpen(sender: string, rid: string): boolean {
    return this.#open.has(`${sender}/${rid}`);
  }

  /** Counts a refusal decided by the caller and returns it. */
  count(refused: IntakeRefusal, error: string): { refused: IntakeRefusal; error: string } {
    this.refusedBy[refused]++;
    return { refused, error };
  }

  /**
   * Adds `piece` from `sender` at `now`: the whole bytes once complete, null while more are
   * expected (or for a piece whose size disagrees with its transfer), or the refusal.
   * `fits(size)` says whether a new transfer of `size` bytes fits the disk quota.
   */
  offer(sender: string, piece: PutPiece, now: number, fits: (size: number) => boolean): IntakeResult {
    this.prune(now);
    const key = `${sender}/${piece.rid}`;
    let open = this.#open.get(key);
    if (!open) {
      const { maxBlobBytes, perSender, budgetBytes } = this.limits;
      if (piece.size > maxBlobBytes) return this.count("blob_too_large", `blob is ${piece.size} bytes, limit ${maxBlobBytes} (storage.maxBlobMb)`);
      let mine = 0;
      for (const o of this.#open.values()) if (o.sender === sender) mine++;
      if (mine >= perSender) return this.count("too_many_puts", `${mine} transfers from this sender are open already (limit ${perSender})`);
      const reserved = this.reserved();
      if (reserved + piece.size > budgetBytes) return this.count("storage_busy", `${reserved} bytes are being received already; ${piece.size} more would pass ${budgetBytes}`);
      if (!fits(piece.size)) return this.count("storage_full", `no room for ${piece.size} more bytes (storage.maxTotalMb)`);
      this.#open.set(key, (open = { sender, assembly: new Assembly(piece.size), lastPieceAt: now }));
    }
    if (open.assembly.size !== piece.size) return null;
    open.lastPieceAt = now;
    const whole = open.assembly.add(piece.offset, piece.data);
    if (whole) this.#open.delete(key);
    return whole ? { whole } : null;
  }

  /** Drops the transfers without a piece for `stallMs`; returns how many. */
  prune(now: number): number {
    let n = 0;
    for (const [key, o] of this.#open) {
      if (now - o.lastPieceAt <= this.limits.stallMs) continue;
      this.#open.delete(key);
      n++;
    }
    this.stalled += n;
    return n;
  }

  /** Drops every open transfer. */
  clear(): void {
    this.#open.clear();
  }
}
