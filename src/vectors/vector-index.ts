/** Plain JSON-able data kept beside a vector and returned with its hits. */
export type VectorMeta = { [key: string]: JsonValue };
/** A JSON value (finite numbers only). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One item to add: `vector` is any list of finite numbers with a non-zero norm. */
export interface VectorItem {
  id: string;
  vector: ArrayLike<number>;
  meta?: VectorMeta;
}

/** One query hit: cosine similarity in [-1, 1], higher is closer. */
export interface VectorHit {
  id: string;
  score: number;
  meta?: VectorMeta;
}

/** Limits every index enforces (and the network side relies on: they bound message sizes). */
export const VECTOR_LIMITS = Object.freeze({
  /** Longest id, UTF-16 code units. */
  idLength: 256,
  /** Widest vector. */
  maxDim: 4096,
  /** Largest `meta`, as JSON text, characters (with `maxK` and `idLength`, keeps a hits message well under the 1 MiB envelope limit). */
  metaChars: 2048,
  /** Largest `k` of a query. */
  maxK: 100,
});

/** Orders hits best first: higher score, then smaller id (so equal scores come out the same everywhere). */
export function compareHits(a: { id: string; score: number }, b: { id: string; score: number }): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Checks an item id; throws a `TypeError`/`RangeError` naming `field`. */
export function checkId(id: unknown, field = "id"): string {
  if (typeof id !== "string") throw new TypeError(`"${field}" expected a string, got ${id === null ? "null" : typeof id}`);
  if (id.length === 0 || id.length > VECTOR_LIMITS.idLength) throw new RangeError(`"${field}" expected 1 to ${VECTOR_LIMITS.idLength} characters, got ${id.length}`);
  return id;
}

/**
 * `vector` scaled to unit length as a fresh `Float32Array`; throws a `TypeError`/`RangeError`
 * naming `field` when it is not a list of finite numbers, is empty, too wide, of the wrong width
 * (`dim`, when given) or all zeros (no direction, so no cosine).
 */
export function unitVector(vector: unknown, field = "vector", dim: number | null = null): Float32Array {
  const list = vector as ArrayLike<unknown> | null;
  const ok = Array.isArray(vector) || vector instanceof Float32Array || vector instanceof Float64Array;
  if (!ok) throw new TypeError(`"${field}" expected an array of numbers, got ${vector === null ? "null" : typeof vector}`);
  const n = list!.length;
  if (n === 0) throw new RangeError(`"${field}" is empty`);
  if (n > VECTOR_LIMITS.maxDim) throw new RangeError(`"${field}" has ${n} dimensions, at most ${VECTOR_LIMITS.maxDim} allowed`);
  if (dim !== null && n !== dim) throw new RangeError(`"${field}" has ${n} dimensions, the index holds ${dim}`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = list![i];
    if (typeof x !== "number" || !Number.isFinite(x)) throw new TypeError(`"${field}[${i}]" expected a finite number, got ${String(x)}`);
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  if (!(norm > 0) || !Number.isFinite(norm)) throw new RangeError(`"${field}" has norm ${norm}; it needs a direction`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (list![i] as number) / norm;
  return out;
}

/** Checks `meta` is a plain JSON object within `VECTOR_LIMITS.metaChars`; returns a deep copy. */
export function checkMeta(meta: unknown, field = "meta"): VectorMeta {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta) || meta instanceof Uint8Array) {
    throw new TypeError(`"${field}" expected a plain object, got ${meta === null ? "null" : Array.isArray(meta) ? "an array" : typeof meta}`);
  }
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > 16) throw new RangeError(`"${path}" nests deeper than 16 levels`);
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new TypeError(`"${path}" expected a finite number, got ${v}`);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, depth + 1);
      return;
    }
    throw new TypeError(`"${path}" is not JSON data (${typeof v})`);
  };
  walk(meta, field, 0);
  const text = JSON.stringify(meta);
  if (text.length > VECTOR_LIMITS.metaChars) throw new RangeError(`"${field}" is ${text.length} characters as JSON, at most ${VECTOR_LIMITS.metaChars} allowed`);
  return JSON.parse(text) as VectorMeta;
}

/** Checks a query's `k`: an integer from 1 to `VECTOR_LIMITS.maxK`. */
export function checkK(k: unknown, field = "k"): number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k > VECTOR_LIMITS.maxK) throw new RangeError(`"${field}" expected an integer from 1 to ${VECTOR_LIMITS.maxK}, got ${String(k)}`);
  return k;
}

/**
 * An in-memory vector index: items by id, each a unit vector of one width (fixed by the first
 * add) and optional JSON meta; top-k by cosine similarity. Vectors live in one contiguous
 * `Float32Array` and a query is a brute-force scan (a dot product per item, since all are unit
 * length) with a k-sized selection: exact, no training, and fast enough for the tens of thousands
 * of items a small device holds (about 1 ms per 10,000 × 32 on a laptop core). An index emptied by
 * deletes forgets its width.
 */
export class VectorIndex {
  #dim: number | null = null;
  #data = new Float32Array(0);
  #ids: string[] = [];
  #meta: (VectorMeta | undefined)[] = [];
  readonly #pos = new Map<string, number>();

  /** The width of every vector, or null while empty. */
  get dim(): number | null {
    return this.#dim;
  }

  /** How many items. */
  get size(): number {
    return this.#ids.length;
  }

  /** True when `id` is here. */
  has(id: string): boolean {
    return this.#pos.has(id);
  }

  /**
   * Adds `items`, replacing any with the same id. All are checked before any is stored, so a bad
   * item (named by its index in the batch) leaves the index as it was. Returns how many were new
   * and how many replaced.
   */
  add(items: readonly VectorItem[]): { added: number; updated: number } {
    if (!Array.isArray(items)) throw new TypeError(`"items" expected an array, got ${typeof items}`);
    let dim = this.#dim;
    const checked = items.map((item, i) => {
      if (typeof item !== "object" || item === null) throw new TypeError(`"items[${i}]" expected an object`);
      const id = checkId(item.id, `items[${i}].id`);
      const vector = unitVector(item.vector, `items[${i}].vector`, dim);
      dim ??= vector.length;
      const meta = item.meta === undefined ? undefined : checkMeta(item.meta, `items[${i}].meta`);
      return { id, vector, meta };
    });
    let added = 0;
    let updated = 0;
    for (const { id, vector, meta } of checked) {
      this.#dim ??= vector.length;
      const at = this.#pos.get(id);
      if (at !== undefined) {
        this.#data.set(vector, at * vector.length);
        this.#meta[at] = meta;
        updated++;
        continue;
      }
      this.#reserve(this.#ids.length + 1);
      const slot = this.#ids.length;
      this.#data.set(vector, slot * vector.length);
      this.#ids.push(id);
      this.#meta.push(meta);
      this.#pos.set(id, slot);
      added++;
    }
    return { added, updated };
  }

  /** Removes the items with these ids (unknown ids are ignored); returns how many were removed. */
  delete(ids: readonly string[]): number {
    if (!Array.isArray(ids)) throw new TypeError(`"ids" expected an array, got ${typeof ids}`);
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    let removed = 0;
    for (const id of ids) {
      const at = this.#pos.get(id);
      if (at === undefined) continue;
      // Swap-remove: the last item moves into the hole, so the vectors stay contiguous.
      const last = this.#ids.length - 1;
      const dim = this.#dim!;
      if (at !== last) {
        this.#data.copyWithin(at * dim, last * dim, (last + 1) * dim);
        this.#ids[at] = this.#ids[last]!;
        this.#meta[at] = this.#meta[last];
        this.#pos.set(this.#ids[at]!, at);
      }
      this.#ids.pop();
      this.#meta.pop();
      this.#pos.delete(id);
      removed++;
    }
    if (this.#ids.length === 0) this.#dim = null;
    return removed;
  }

  /**
   * The `k` items most similar to `vector` by cosine, best first (ties by id). An empty index
   * answers `[]` for any vector; otherwise the vector must have the index's width.
   */
  query(vector: ArrayLike<number>, k: number): VectorHit[] {
    checkK(k);
    const q = unitVector(vector, "vector", this.#dim);
    const n = this.#ids.length;
    if (n === 0) return [];
    const dim = q.length;
    const data = this.#data;
    // The best k so far, kept sorted worst first so the common case (not better than the worst) is
    // one comparison; k is small (≤ 100), so insertion beats a heap here.
    const ids = this.#ids;
    const worse = (aScore: number, aSlot: number, b: { slot: number; score: number }) => aScore < b.score || (aScore === b.score && ids[aSlot]! > ids[b.slot]!);
    const best: { slot: number; score: number }[] = [];
    for (let s = 0; s < n; s++) {
      let dot = 0;
      const base = s * dim;
      for (let j = 0; j < dim; j++) dot += data[base + j]! * q[j]!;
      if (best.length === k) {
        if (worse(dot, s, best[0]!)) continue;
        best.shift();
      }
      let i = 0;
      while (i < best.length && !worse(dot, s, best[i]!)) i++;
      best.splice(i, 0, { slot: s, score: dot });
    }
    return best.reverse().map(({ slot, score }) => {
      const meta = this.#meta[slot];
      return meta === undefined ? { id: this.#ids[slot]!, score } : { id: this.#ids[slot]!, score, meta };
    });
  }

  /** Every item in storage order (vectors are views: copy before changing the index). */
  *entries(): IterableIterator<{ id: string; vector: Float32Array; meta?: VectorMeta }> {
    const dim = this.#dim ?? 0;
    for (let s = 0; s < this.#ids.length; s++) {
      const meta = this.#meta[s];
      const vector = this.#data.subarray(s * dim, (s + 1) * dim);
      yield meta === undefined ? { id: this.#ids[s]!, vector } : { id: this.#ids[s]!, vector, meta };
    }
  }

  /** The vectors of every item, contiguous, in `entries()` order (a copy). */
  packed(): Float32Array {
    return this.#data.slice(0, this.#ids.length * (this.#dim ?? 0));
  }

  #reserve(items: number): void {
    const need = items * this.#dim!;
    if (need <= this.#data.length) return;
    const grown = new Float32Array(Math.max(need, this.#data.length * 2, 64 * this.#dim!));
    grown.set(this.#data);
    this.#data = grown;
  }
}
