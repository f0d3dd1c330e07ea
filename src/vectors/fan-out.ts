import { toHex } from "../core/bytes.ts";
import type { Timers } from "../runtime/runtime.ts";

/** What a fan-out sends through: the mesh node's `send` (signed, acknowledged direct messages). */
export type Send = (to: string, type: string, body: unknown, options: { private?: boolean; timeoutMs?: number }) => Promise<void>;

/** How a fan-out ended: the replies by peer, and the peers that sent none in time (or could not be reached). */
export interface FanOutResult<T> {
  replies: Map<string, T>;
  missing: string[];
}

interface Pending {
  waiting: Set<string>;
  replies: Map<string, unknown>;
  finish: () => void;
}

/**
 * Asks several peers the same question and collects one reply from each, correlated by a fresh
 * query id (`qid`, 16 hex digits) that the caller puts in the body and the peers echo. It ends
 * when every peer answered, or at `timeoutMs`, whichever comes first; a peer whose message could
 * not be delivered counts as missing at once. Replies from peers not asked, for unknown or
 * finished queries, or a second reply from the same peer, are refused (`reply` returns false).
 */
export class FanOut {
  readonly #send: Send;
  readonly #timers: Timers;
  readonly #random: (n: number) => Uint8Array;
  readonly #pending = new Map<string, Pending>();

  constructor(send: Send, timers: Timers, random: (n: number) => Uint8Array) {
    this.#send = send;
    this.#timers = timers;
    this.#random = random;
  }

  /** A fresh query id. */
  qid(): string {
    return toHex(this.#random(8));
  }

  /** Sends `body` (which carries `qid`) as `type` to each of `peers` and gathers their replies. */
  ask<T>(qid: string, peers: readonly string[], type: string, body: unknown, timeoutMs: number): Promise<FanOutResult<T>> {
    if (peers.length === 0) return Promise.resolve({ replies: new Map(), missing: [] });
    return new Promise((resolve) => {
      const waiting = new Set(peers);
      const replies = new Map<string, unknown>();
      let timer: unknown = null;
      const pending: Pending = {
        waiting,
        replies,
        finish: () => {
          if (this.#pending.get(qid) !== pending) return;
          this.#pending.delete(qid);
          this.#timers.clearTimeout(timer);
          resolve({ replies: replies as Map<string, T>, missing: peers.filter((p) => !replies.has(p)) });
        },
      };
      this.#pending.set(qid, pending);
      timer = this.#timers.setTimeout(pending.finish, timeoutMs);
      for (const peer of peers) {
        this.#send(peer, type, body, { private: true, timeoutMs }).catch(() => {
          waiting.delete(peer);
          if (waiting.size === 0) pending.finish();
        });
      }
    });
  }

  /** Hands in `from`'s reply to query `qid`; false when it was not expected (counted by the caller). */
  reply(qid: string, from: string, value: unknown): boolean {
    const pending = this.#pending.get(qid);
    if (!pending || !pending.waiting.has(from)) return false;
    pending.waiting.delete(from);
    pending.replies.set(from, value);
    if (pending.waiting.size === 0) pending.finish();
    return true;
  }

  /** Ends every open query now with the replies it has (at stop). */
  close(): void {
    for (const pending of [...this.#pending.values()]) pending.finish();
  }
}
