import type { AgentService, ServiceContext, ServiceFactory } from "../services/service.ts";
import { KIND_ERROR_CODES, type KindErrorCode } from "../tasks/executor.ts";
import { FanOut } from "./fan-out.ts";
import { IndexStore } from "./index-store.ts";
import { checkDelete, checkDeleted, checkHits, checkQuery, mergeHits, MAX_DELETE_IDS, type HitsBody } from "./search-messages.ts";
import { checkK, VectorIndex, type VectorHit, type VectorItem } from "./vector-index.ts";

/** A `search` failure with a stable code the task machinery passes on (`bad_input`, `inference_unavailable`, ...). */
export class SearchError extends Error {
  constructor(
    readonly code: KindErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SearchError";
  }
}

/** At most this many items in one `add`. */
export const MAX_ADD_ITEMS = 10_000;
/** How long a fan-out waits for peers by default, and at most, ms. */
export const FAN_OUT_MS = { default: 3_000, max: 30_000 } as const;

/** What a `query` answers: the global top-k and who took part (counts include the runner itself). */
export interface QueryResult {
  hits: VectorHit[];
  asked: number;
  answered: number;
  /** Vector peers that did not answer in time (or could not be reached). */
  missing: string[];
  /** Peers whose index holds vectors of another width (they answered with no hits). */
  mismatched: string[];
}

const bad = (message: string, cause?: unknown) => new SearchError("bad_input", message, cause === undefined ? undefined : { cause });

/** Runs `fn`, turning its `TypeError`/`RangeError` into a `bad_input` failure with the same message. */
function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw bad(error.message, error);
    throw error;
  }
}

function fanOutMs(value: unknown): number {
  if (value === undefined) return FAN_OUT_MS.default;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > FAN_OUT_MS.max) throw bad(`"timeoutMs" expected an integer from 1 to ${FAN_OUT_MS.max}, got ${String(value)}`);
  return value;
}

/**
 * The `vector` service: this agent's share of the mesh's vector index and the `search` task kind.
 * Adds are stored on the agent that runs the task (placement spreads them); queries and deletes
 * fan out to every live peer whose roles include `vector` (`vector.query` / `vector.delete`),
 * each answers for its own index (`vector.hits` / `vector.deleted`), and the runner merges. The
 * index is kept in `<data dir>/vectors/` (see `IndexStore`). Malformed messages are counted by
 * reason and dropped.
 */
export class VectorService implements AgentService {
  readonly name = "vector";
  readonly kinds = { search: (input: unknown) => this.search(input) };
  readonly control = { vectors: () => this.status() };
  readonly #c: ServiceContext;
  readonly #store: IndexStore;
  readonly #fanOut: FanOut;
  #index: VectorIndex | null = null;
  #handlersAdded = false;
  readonly counters = { adds: 0, deletes: 0, queries: 0, answered: 0 };
  /** Messages dropped (malformed, unexpected, or after stop) by `type.reason` (e.g. `vector.query.bad_vector`, `vector.hits.unknown_qid`). */
  readonly dropped: Record<string, number> = {};

  constructor(context: ServiceContext, options: { debounceMs?: number } = {}) {
    this.#c = context;
    const { runtime, log, config, node } = context;
    this.#store = new IndexStore({ files: runtime.files, timers: runtime.timers, clock: runtime.clock, log, dataDir: config.dataDir, ...options });
    this.#fanOut = new FanOut((to, type, body, o) => node.send(to, type, body, o), runtime.timers, (n) => runtime.random(n));
  }

  /** The local index (throws before `start()`). */
  get index(): VectorIndex {
    if (!this.#index) throw new Error("vector service is not started");
    return this.#index;
  }

  async start(): Promise<void> {
    if (this.#index) return;
    this.#index = await this.#store.load();
    if (this.#handlersAdded) return;
    this.#handlersAdded = true; // the node has no way to remove handlers; they check #index instead
    const { node } = this.#c;
    node.handle("vector.query", (m) => {
      const q = checkQuery(m.body);
      if (!q.ok || !this.#index) return this.#drop("vector.query", q.ok ? "stopped" : q.reason);
      const answer = this.#localHits(q.body.vector, q.body.k);
      this.counters.answered++;
      void node.send(m.senderId, "vector.hits", { qid: q.body.qid, ...answer }, { private: true, timeoutMs: FAN_OUT_MS.max }).catch(() => {});
    });
    node.handle("vector.delete", (m) => {
      const d = checkDelete(m.body);
      if (!d.ok || !this.#index) return this.#drop("vector.delete", d.ok ? "stopped" : d.reason);
      const deleted = this.#delete(d.body.ids);
      void node.send(m.senderId, "vector.deleted", { qid: d.body.qid, deleted }, { private: true, timeoutMs: FAN_OUT_MS.max }).catch(() => {});
    });
    node.handle("vector.hits", (m) => {
      const qid = (m.body as { qid?: unknown } | null)?.qid;
      if (typeof qid !== "string" || !this.#fanOut.reply(qid, m.senderId, m.body)) this.#drop("vector.hits", "unknown_qid");
    });
    node.handle("vector.deleted", (m) => {
      const qid = (m.body as { qid?: unknown } | null)?.qid;
      if (typeof qid !== "string" || !this.#fanOut.reply(qid, m.senderId, m.body)) this.#drop("vector.deleted", "unknown_qid");
    });
  }

  async stop(): Promise<void> {
    if (!this.#index) return;
    this.#index = null;
    this.#fanOut.close();
    await this.#store.close();
  }

  /** Presence caps: the local index's size and width. */
  caps(): { items: number; dim: number | null } {
    return { items: this.#index?.size ?? 0, dim: this.#index?.dim ?? null };
  }

  /** Status and the `vectors` control command: index, counters, dropped messages, saves. */
  status() {
    return { ...this.caps(), ...this.counters, dropped: { ...this.dropped }, store: { ...this.#store.stats } };
  }

  /** The `search` task kind: `{op: "add" | "delete" | "query", ...}` (see docs/search.md). */
  async search(input: unknown): Promise<unknown> {
    const index = this.index;
    if (typeof input !== "object" || input === null || Array.isArray(input)) throw bad(`search expects an object {op, ...}, got ${input === null ? "null" : typeof input}`);
    const i = input as Record<string, unknown>;
    if (i.op === "add") return this.#add(index, i.items);
    if (i.op === "delete") return this.#fanDelete(i.ids, fanOutMs(i.timeoutMs));
    if (i.op === "query") return this.#query(i, fanOutMs(i.timeoutMs));
    throw bad(`"op" expected "add", "delete" or "query", got ${JSON.stringify(i.op)}`);
  }

  async #add(index: VectorIndex, raw: unknown): Promise<unknown> {
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_ADD_ITEMS) throw bad(`"items" expected 1 to ${MAX_ADD_ITEMS} items`);
    const texts: { at: number; text: string }[] = [];
    raw.forEach((item, at) => {
      if (typeof item !== "object" || item === null) throw bad(`"items[${at}]" expected an object`);
      const { vector, text } = item as { vector?: unknown; text?: unknown };
      if (vector !== undefined) return;
      if (typeof text !== "string" || text.length === 0) throw bad(`"items[${at}]" needs a "vector" or a non-empty "text"`);
      texts.push({ at, text });
    });
    const vectors = await this.#embed(texts.map((t) => t.text));
    const items: VectorItem[] = raw.map((item: Record<string, unknown>) => ({ id: item.id as string, vector: item.vector as number[], ...(item.meta !== undefined ? { meta: item.meta as VectorItem["meta"] } : {}) }));
    texts.forEach((t, j) => (items[t.at]!.vector = vectors[j]!));
    const { added, updated } = checked(() => index.add(items));
    this.counters.adds += added + updated;
    this.#store.changed();
    return { added, updated, size: index.size, agent: this.#c.node.id };
  }

  async #query(i: Record<string, unknown>, timeoutMs: number): Promise<QueryResult> {
    const k = checked(() => checkK(i.k ?? 10));
    let vector: number[];
    if (i.vector !== undefined) {
      const v = i.vector;
      if (!Array.isArray(v) && !(v instanceof Float32Array) && !(v instanceof Float64Array)) throw bad(`"vector" expected an array of numbers`);
      vector = Array.from(v as ArrayLike<number>);
    } else if (typeof i.text === "string" && i.text.length > 0) {
      vector = (await this.#embed([i.text]))[0]!;
    } else throw bad(`a query needs a "vector" or a non-empty "text"`);
    const local = checked(() => this.#localHits(vector, k, true));
    this.counters.queries++;
    const qid = this.#fanOut.qid();
    const peers = this.#vectorPeers();
    const { replies, missing } = await this.#fanOut.ask<unknown>(qid, peers, "vector.query", { qid, vector: [...vector], k }, timeoutMs);
    const lists: VectorHit[][] = [local.hits];
    const mismatched: string[] = [];
    const refused: string[] = [];
    for (const [peer, body] of replies) {
      const h = checkHits(body, k);
      if (!h.ok) {
        this.#drop("vector.hits", h.reason);
        refused.push(peer);
        continue;
      }
      lists.push(h.body.hits);
      if (h.body.dim !== null && local.dim !== null && h.body.dim !== local.dim) mismatched.push(peer);
    }
    const gone = [...missing, ...refused].sort();
    return { hits: mergeHits(lists, k), asked: peers.length + 1, answered: peers.length + 1 - gone.length, missing: gone, mismatched: mismatched.sort() };
  }

  async #fanDelete(raw: unknown, timeoutMs: number): Promise<unknown> {
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_DELETE_IDS) throw bad(`"ids" expected 1 to ${MAX_DELETE_IDS} ids`);
    const ids = raw as string[];
    let deleted = checked(() => this.#delete(ids));
    const qid = this.#fanOut.qid();
    const peers = this.#vectorPeers();
    const { replies, missing } = await this.#fanOut.ask<unknown>(qid, peers, "vector.delete", { qid, ids }, timeoutMs);
    const refused: string[] = [];
    for (const [peer, body] of replies) {
      const d = checkDeleted(body);
      if (d.ok) deleted += d.body.deleted;
      else {
        this.#drop("vector.deleted", d.reason);
        refused.push(peer);
      }
    }
    const gone = [...missing, ...refused].sort();
    return { deleted, asked: peers.length + 1, answered: peers.length + 1 - gone.length, missing: gone };
  }

  /**
   * This index's top-k for `vector`. A vector of another width than the index holds gives no
   * hits for a peer's query (its index is just not comparable), but is bad input on the runner
   * (`strict`), where the asker can fix it.
   */
  #localHits(vector: number[], k: number, strict = false): Omit<HitsBody, "qid"> {
    const index = this.index;
    const mismatch = index.dim !== null && vector.length !== index.dim;
    if (mismatch && strict) throw new RangeError(`"vector" has ${vector.length} dimensions, this agent's index holds ${index.dim}`);
    const hits = mismatch ? [] : index.query(vector, k);
    return { hits, size: index.size, dim: index.dim };
  }

  #delete(ids: string[]): number {
    const n = this.index.delete(ids);
    if (n > 0) {
      this.counters.deletes += n;
      this.#store.changed();
    }
    return n;
  }

  /** Live peers (not this agent) whose presence roles include `vector`, sorted by id. */
  #vectorPeers(): string[] {
    const self = this.#c.node.id;
    return this.#c.node.peers
      .live()
      .filter((p) => p.id !== self && p.presence.roles.includes("vector"))
      .map((p) => p.id)
      .sort();
  }

  /**
   * Embeddings for `texts` from this agent's own `vectorize` kind (input `string[]`, output
   * `{model, dim, vectors}`). An agent without it fails `inference_unavailable`, which sends the
   * task to another peer.
   */
  async #embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const r = await this.#c.runLocal({ kind: "vectorize", input: texts, params: {}, timeoutMs: 60_000 });
    if (!r.ok) {
      if (r.code === "unknown_kind") throw new SearchError("inference_unavailable", "this agent cannot embed text: it runs no vectorize kind");
      const code = (KIND_ERROR_CODES as readonly string[]).includes(r.code) ? (r.code as KindErrorCode) : "inference_failed";
      throw new SearchError(code, `vectorize failed: ${r.code}: ${r.error}`);
    }
    const vectors = (r.output as { vectors?: unknown } | null)?.vectors;
    if (!Array.isArray(vectors) || vectors.length !== texts.length) throw new SearchError("inference_failed", `vectorize returned ${Array.isArray(vectors) ? vectors.length : "no"} vectors for ${texts.length} texts`);
    return vectors as number[][];
  }

  #drop(type: string, reason: string): void {
    const key = `${type}.${reason}`;
    this.dropped[key] = (this.dropped[key] ?? 0) + 1;
  }
}

/** Builds the vector service on agents whose roles include `vector`. */
export const vectorService: ServiceFactory = (context) => (context.config.roles.includes("vector") ? new VectorService(context) : null);
