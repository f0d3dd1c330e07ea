import { toHex } from "../core/bytes.ts";
import type { MeshNode } from "../mesh/mesh-node.ts";
import type { Runtime } from "../runtime/runtime.ts";

/**
 * `agent status --peer ID`: asks another member for its status over the mesh. The request and
 * the answer are ordinary signed direct messages (`status.request`, `status.response`), so only
 * members can ask and the answer is authenticated; the answer is encrypted end to end.
 */
export class RemoteStatus {
  readonly #node: MeshNode;
  readonly #runtime: Pick<Runtime, "random" | "timers">;
  readonly #pending = new Map<string, { resolve: (status: unknown) => void; from: string }>();

  constructor(node: MeshNode, runtime: Pick<Runtime, "random" | "timers">, local: () => unknown) {
    this.#node = node;
    this.#runtime = runtime;
    node.handle("status.request", async (m) => {
      const rid = (m.body as { rid?: unknown } | null)?.rid;
      if (typeof rid !== "string") return;
      void node.send(m.senderId, "status.response", { rid, status: local() }, { private: true }).catch(() => {});
    });
    node.handle("status.response", (m) => {
      const body = m.body as { rid?: unknown; status?: unknown } | null;
      const waiting = typeof body?.rid === "string" ? this.#pending.get(body.rid) : undefined;
      if (waiting && waiting.from === m.senderId) waiting.resolve(body!.status);
    });
  }

  /** The status of peer `peerId`; rejects after `timeoutMs` (default 5,000). */
  ask(peerId: string, timeoutMs = 5_000): Promise<unknown> {
    const rid = toHex(this.#runtime.random(8));
    return new Promise((resolve, reject) => {
      const timer = this.#runtime.timers.setTimeout(() => {
        this.#pending.delete(rid);
        reject(new Error(`peer ${peerId.slice(0, 8)} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, {
        from: peerId,
        resolve: (status) => {
          this.#runtime.timers.clearTimeout(timer);
          this.#pending.delete(rid);
          resolve(status);
        },
      });
      this.#node.send(peerId, "status.request", { rid }, { timeoutMs }).catch((error: Error) => {
        this.#runtime.timers.clearTimeout(timer);
        this.#pending.delete(rid);
        reject(error);
      });
    });
  }
}
