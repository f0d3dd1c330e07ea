import { TEXT_EMBED_VOCAB } from "./builtin-models.ts";

/** Options of `tokenize`; every field has a default. */
export interface TokenizeOptions {
  /** Token ids run 0 to `vocab - 1`; 0 is padding, never a word (default TEXT_EMBED_VOCAB, 4096). */
  vocab?: number;
  /** Keep at most this many tokens, the first ones (default 256). */
  maxTokens?: number;
}

const WORD = /[\p{L}\p{N}]+/gu;
const encoder = new TextEncoder();

/**
 * FNV-1a, 32-bit, over `bytes` (http://www.isthe.com/chongo/tech/comp/fnv/): the hash the
 * tokenizer buckets words with. Integer operations only, so every runtime agrees.
 */
export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * A simple deterministic hashing tokenizer (the one `text-embed` expects): the text is put in
 * Unicode NFKC form and lower-cased, split into words (runs of letters and digits, `\p{L}\p{N}`;
 * everything else separates), and each word becomes `1 + fnv1a32(utf8(word)) % (vocab - 1)`.
 * There is no vocabulary file: different words may share an id (a hash collision), which only
 * blurs an embedding a little. Returns the ids of the first `maxTokens` words, in order.
 */
export function tokenize(text: string, options: TokenizeOptions = {}): number[] {
  if (typeof text !== "string") throw new TypeError(`"text" expected a string, got ${text === null ? "null" : typeof text}`);
  const vocab = options.vocab ?? TEXT_EMBED_VOCAB;
  const maxTokens = options.maxTokens ?? 256;
  if (!Number.isInteger(vocab) || vocab < 2) throw new RangeError(`"vocab" expected an integer of at least 2, got ${vocab}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`"maxTokens" expected a positive integer, got ${maxTokens}`);
  const ids: number[] = [];
  for (const [word] of text.normalize("NFKC").toLowerCase().matchAll(WORD)) {
    if (ids.length === maxTokens) break;
    ids.push(1 + (fnv1a32(encoder.encode(word)) % (vocab - 1)));
  }
  return ids;
}

/**
 * Tokenizes each of `texts` and pads them with 0 to one length T (the longest, at least 1): the
 * `ids` input of `text-embed` as an `infer` tensor, `{type: "int64", dims: [N, T], data}`.
 */
export function tokenizeBatch(texts: readonly string[], options: TokenizeOptions = {}): { type: "int64"; dims: [number, number]; data: number[] } {
  if (!Array.isArray(texts)) throw new TypeError(`"texts" expected an array of strings, got ${typeof texts}`);
  const rows = texts.map((t) => tokenize(t, options));
  const width = Math.max(1, ...rows.map((r) => r.length));
  const data: number[] = [];
  for (const row of rows) data.push(...row, ...new Array<number>(width - row.length).fill(0));
  return { type: "int64", dims: [rows.length, width], data };
}
