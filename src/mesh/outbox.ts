/** A direct message waiting for its application-level acknowledgement. */
export interface Pending {
  /** Message ID, hex; the receiver acknowledges and deduplicates by it. */
  mid: string;
  to: string;
  type: string;
  taskId: string;
  body: unknown;
  private: boolean;
  /** ms since the epoch after which the send fails with a timeout. */
  deadline: number;
  /** When it was last published; 0 = never. */
  sentAt: number;
  attempts: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A send that could not be completed; `code` is stable. */
export class DeliveryError extends Error {
  constructor(
    readonly code: "timeout" | "stopped",
    message: string,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/**
 * Direct messages a sender has handed to the mesh and not yet seen acknowledged. They are
 * published, re-published every `resendMs` and after each reconnect, until the recipient's `ack`
 * arrives or the deadline passes. Nothing the sender was told is accepted leaves here unacknowledged
 * except by an explicit failure.
 */
export class Outbox {
  readonly #pending = new Map<string, Pending>();

  /** Number of unacknowledged messages. */
  get size(): number {
    return this.#pending.size;
  }

  /** Adds a message to keep until acknowledged. */
  add(pending: Pending): void {
    this.#pending.set(pending.mid, pending);
  }

  /** Settles `mid` as delivered; false when unknown (a late or duplicate ack). */
  ack(mid: string): boolean {
    const pending = this.#pending.get(mid);
    if (pending === undefined) return false;
    this.#pending.delete(mid);
    pending.resolve();
    return true;
  }

  /** Messages never sent, or sent more than `resendMs` ago. */
  due(now: number, resendMs: number): Pending[] {
    return [...this.#pending.values()].filter((p) => p.sentAt === 0 || now - p.sentAt >= resendMs);
  }

  /** Every pending message (after a reconnect, all are re-sent). */
  all(): Pending[] {
    return [...this.#pending.values()];
  }

  /** Fails the messages past their deadline. */
  expire(now: number): void {
    for (const p of this.#pending.values()) {
      if (now <= p.deadline) continue;
      this.#pending.delete(p.mid);
      p.reject(new DeliveryError("timeout", `no acknowledgement from ${p.to.slice(0, 8)} for ${p.type} after ${p.attempts} attempts`));
    }
  }

  /** Fails everything (the node is stopping). */
  clear(): void {
    for (const p of this.#pending.values()) p.reject(new DeliveryError("stopped", "mesh node stopped before acknowledgement"));
    this.#pending.clear();
  }
}

/** A bounded set of recently seen message IDs, oldest forgotten first; receivers drop duplicates with it. */
export class SeenSet {
  readonly #seen = new Set<string>();
  constructor(readonly capacity = 100_000) {}

  /** Adds `key`; false when it was already there. */
  add(key: string): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.capacity) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(key);
    return true;
  }
}
