import { checkId, checkK, checkMeta, compareHits, VECTOR_LIMITS, type VectorHit } from "./vector-index.ts";

/**
 * The bodies of the vector service's mesh messages, and their checks. Every check returns the
 * body in a clean shape or a short reason (counted by the service; the message is dropped).
 *
 * | type | body |
 * |---|---|
 * | `vector.query` | `{qid, vector: number[], k}` |
 * | `vector.hits` | `{qid, hits: [{id, score, meta?}], size, dim}` (`dim` null for an empty index) |
 * | `vector.delete` | `{qid, ids: string[]}` |
 * | `vector.deleted` | `{qid, deleted}` |
 */
export type QueryBody = { qid: string; vector: number[]; k: number };
export type HitsBody = { qid: string; hits: VectorHit[]; size: number; dim: number | null };
export type DeleteBody = { qid: string; ids: string[] };
export type DeletedBody = { qid: string; deleted: number };

/** At most this many ids in one delete (bounds the message: 1,000 × 256 characters). */
export const MAX_DELETE_IDS = 1_000;

type Checked<T> = { ok: true; body: T } | { ok: false; reason: string };

const QID = /^[0-9a-f]{16}$/;

function record(body: unknown): Record<string, unknown> | null {
  return typeof body === "object" && body !== null && !Array.isArray(body) && !(body instanceof Uint8Array) ? (body as Record<string, unknown>) : null;
}

function qidOf(b: Record<string, unknown> | null): string | null {
  return typeof b?.qid === "string" && QID.test(b.qid) ? b.qid : null;
}

/** Checks a `vector.query` body (the vector's width is checked against the index later). */
export function checkQuery(body: unknown): Checked<QueryBody> {
  const b = record(body);
  const qid = qidOf(b);
  if (!b || !qid) return { ok: false, reason: "bad_body" };
  const { vector, k } = b;
  if (!Array.isArray(vector) || vector.length === 0 || vector.length > VECTOR_LIMITS.maxDim || !vector.every((x) => typeof x === "number" && Number.isFinite(x))) return { ok: false, reason: "bad_vector" };
  try {
    checkK(k);
  } catch {
    return { ok: false, reason: "bad_k" };
  }
  return { ok: true, body: { qid, vector: vector as number[], k: k as number } };
}

/** Checks a `vector.hits` body against the `k` that was asked: at most k hits, each well formed, best first. */
export function checkHits(body: unknown, k: number): Checked<HitsBody> {
  const b = record(body);
  const qid = qidOf(b);
  if (!b || !qid || typeof b.size !== "number" || !Number.isInteger(b.size) || b.size < 0) return { ok: false, reason: "bad_body" };
  const dim = b.dim === null || b.dim === undefined ? null : b.dim;
  if (dim !== null && (typeof dim !== "number" || !Number.isInteger(dim) || dim < 1)) return { ok: false, reason: "bad_body" };
  if (!Array.isArray(b.hits) || b.hits.length > k) return { ok: false, reason: "bad_hits" };
  const hits: VectorHit[] = [];
  try {
    for (const [i, raw] of b.hits.entries()) {
      const h = record(raw);
      // A cosine of unit float32 vectors may stray just past ±1 by rounding.
      if (!h || typeof h.score !== "number" || !(Math.abs(h.score) <= 1.001)) return { ok: false, reason: "bad_hits" };
      const id = checkId(h.id, `hits[${i}].id`);
      hits.push(h.meta === undefined || h.meta === null ? { id, score: h.score } : { id, score: h.score, meta: checkMeta(h.meta, `hits[${i}].meta`) });
    }
  } catch {
    return { ok: false, reason: "bad_hits" };
  }
  hits.sort(compareHits);
  return { ok: true, body: { qid, hits, size: b.size, dim: dim as number | null } };
}

/** Checks a `vector.delete` body. */
export function checkDelete(body: unknown): Checked<DeleteBody> {
  const b = record(body);
  const qid = qidOf(b);
  if (!b || !qid) return { ok: false, reason: "bad_body" };
  const { ids } = b;
  if (!Array.isArray(ids) || ids.length > MAX_DELETE_IDS) return { ok: false, reason: "bad_ids" };
  try {
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
  } catch {
    return { ok: false, reason: "bad_ids" };
  }
  return { ok: true, body: { qid, ids: ids as string[] } };
}

/** Checks a `vector.deleted` body. */
export function checkDeleted(body: unknown): Checked<DeletedBody> {
  const b = record(body);
  const qid = qidOf(b);
  if (!b || !qid || typeof b.deleted !== "number" || !Number.isInteger(b.deleted) || b.deleted < 0) return { ok: false, reason: "bad_body" };
  return { ok: true, body: { qid, deleted: b.deleted } };
}

/**
 * The global top `k` of several peers' local top-k lists: best first, ties by id, one hit per id
 * (an id held by two agents, after an upsert landed elsewhere, counts once, at its best score).
 */
export function mergeHits(lists: readonly (readonly VectorHit[])[], k: number): VectorHit[] {
  const best = new Map<string, VectorHit>();
  for (const list of lists) {
    for (const hit of list) {
      const known = best.get(hit.id);
      if (!known || compareHits(hit, known) < 0) best.set(hit.id, hit);
    }
  }
  return [...best.values()].sort(compareHits).slice(0, k);
}
