/**
 * The `chunk` task kind: cuts a text into pieces of at most `size` characters that overlap by at
 * most `overlap`, ending each piece at a sentence boundary where one falls in the second half of
 * the window, else at a word boundary, else with a hard cut. Pure and runtime-neutral.
 *
 * Characters are UTF-16 code units (JavaScript string indices), so `text.slice(start, end)` is
 * always a chunk's `text`; a hard cut never splits a surrogate pair (unless `size` is 1).
 */

/** One piece of the text: `text === source.slice(start, end)`. */
export interface Chunk {
  /** 0, 1, 2, … in order. */
  index: number;
  text: string;
  /** Offset of the first character in the source text (UTF-16 code units). */
  start: number;
  /** Offset just past the last character. */
  end: number;
}

/** Options of `chunkText`; every field has a default. */
export interface ChunkOptions {
  /** The longest chunk, in characters (default 1000). */
  size?: number;
  /** At most this many characters are shared by two consecutive chunks; less than `size` (default 100, or `size / 10` rounded down when that is less). */
  overlap?: number;
}

/** Default chunk size, characters. */
export const CHUNK_SIZE = 1000;
/** Default overlap, characters. */
export const CHUNK_OVERLAP = 100;
/** The largest `size` accepted (16 Mi characters). */
export const MAX_CHUNK_SIZE = 1 << 24;

const SPACE = /\s/u;
/** Closing quotes and brackets that may follow a sentence's final punctuation. */
const CLOSERS = new Set(['"', "'", ")", "]", "}", "\u201d", "\u2019", "\u00bb"]);
/** Sentence-final punctuation that needs whitespace after it to end a sentence. */
const TERMINALS = new Set([".", "!", "?", "\u2026"]);
/** Sentence-final punctuation that ends a sentence with no space after it (CJK full stops). */
const CJK_TERMINALS = new Set(["\u3002", "\uff01", "\uff1f"]);

/** An argument error that also carries the task failure code `bad_input`. */
function badInput<E extends Error>(error: E): E & { code: "bad_input" } {
  return Object.assign(error, { code: "bad_input" as const });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "a list" : typeof value;
}

function integerIn(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) throw badInput(new TypeError(`chunk "${name}" expected an integer, got ${typeof value === "number" ? value : describe(value)}`));
  if (value < min || value > max) throw badInput(new RangeError(`chunk "${name}" expected an integer from ${min} to ${max}, got ${value}`));
  return value;
}

const isSpace = (c: string | undefined) => c !== undefined && SPACE.test(c);
const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;
/** True when a cut at `i` would split a surrogate pair. */
const splitsPair = (text: string, i: number) => i > 0 && i < text.length && isHigh(text.charCodeAt(i - 1)) && isLow(text.charCodeAt(i));

/** True when `i` starts a word: a non-space character after a space. */
function wordStart(text: string, i: number): boolean {
  return i > 0 && i < text.length && !isSpace(text[i]) && isSpace(text[i - 1]);
}

/**
 * True when `i` starts a sentence: a word start whose preceding non-space text ends with `.`, `!`,
 * `?` or `…` (optionally followed by closing quotes or brackets), or any position right after a
 * CJK full stop, or after a paragraph break (a blank line).
 */
function sentenceStart(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return false;
  if (CJK_TERMINALS.has(text[i - 1]!)) return true;
  if (!wordStart(text, i)) return false;
  let j = i - 1;
  let newlines = 0;
  while (j >= 0 && isSpace(text[j])) if (text[j--] === "\n") newlines++;
  if (newlines >= 2) return true;
  while (j >= 0 && CLOSERS.has(text[j]!)) j--;
  return j >= 0 && (TERMINALS.has(text[j]!) || CJK_TERMINALS.has(text[j]!));
}

/** The last position in [lo, hi] that starts a sentence, else the last that starts a word, else -1. */
function bestBreak(text: string, lo: number, hi: number): number {
  let word = -1;
  for (let i = hi; i >= lo; i--) {
    if (!wordStart(text, i) && !CJK_TERMINALS.has(text[i - 1] ?? "")) continue;
    if (sentenceStart(text, i)) return i;
    if (word < 0 && wordStart(text, i)) word = i;
  }
  return word;
}

/** The first position in [lo, hi] that starts a sentence, else the first that starts a word, else -1. */
function firstStart(text: string, lo: number, hi: number): number {
  let word = -1;
  for (let i = lo; i <= hi; i++) {
    if (sentenceStart(text, i)) return i;
    if (word < 0 && wordStart(text, i)) word = i;
  }
  return word;
}

/**
 * Cuts `text` into chunks of at most `size` characters (default 1000) that overlap by at most
 * `overlap` (default 100, at most half of `size`). The chunks cover the whole text in order: the first
 * starts at 0, the last ends at `text.length`, and each starts after the one before it and no later
 * than where that one ends. A chunk ends at the last sentence start in the second half of its
 * window (past `overlap` too), else at the last word start there, else at exactly `size`; the next
 * chunk starts at the first sentence (else word) start in the last `overlap` characters of the one
 * before, else exactly `overlap` back. An empty text has no chunks. Default `overlap`: 100, or
 * `size / 10` (rounded down) when that is less.
 *
 * Throws `TypeError` (not a string, a non-integer option) or `RangeError` (`size` below 1 or above
 * MAX_CHUNK_SIZE, `overlap` below 0 or above `size / 2`) naming the field; both carry
 * `code: "bad_input"`, the task failure code.
 */
export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  if (typeof text !== "string") throw badInput(new TypeError(`chunk "text" expected a string, got ${describe(text)}`));
  const size = integerIn("size", options.size, CHUNK_SIZE, 1, MAX_CHUNK_SIZE);
  // At most half the size: with more, each chunk would start barely past the one before and the
  // output would grow with the square of the text (a 200 KB text could make 2 GB of chunks).
  const overlap = integerIn("overlap", options.overlap, Math.min(CHUNK_OVERLAP, Math.floor(size / 10)), 0, Math.floor(size / 2));
  const n = text.length;
  const chunks: Chunk[] = [];
  // A chunk is never cut shorter than this, so the next one starts at least a quarter of `size`
  // further on (and at least one character): the chunks add up to at most about 4× the text.
  const minLength = Math.min(size, Math.max(Math.ceil(size / 2), overlap + Math.max(1, Math.ceil(size / 4))));
  let pos = 0;
  while (pos < n) {
    const limit = Math.min(n, pos + size);
    let end = limit;
    if (limit < n) {
      end = bestBreak(text, pos + minLength, limit);
      if (end < 0) {
        end = limit;
        if (splitsPair(text, end) && end - 1 > pos) end--;
      }
    }
    chunks.push({ index: chunks.length, text: text.slice(pos, end), start: pos, end });
    if (end === n) break;
    let next = end;
    if (overlap > 0) {
      next = firstStart(text, end - overlap, end - 1);
      if (next < 0) {
        next = end - overlap;
        if (splitsPair(text, next)) next++;
      }
    }
    pos = next > pos ? next : end;
  }
  return chunks;
}

/**
 * The `chunk` kind's entry: input a text or `{text}`, params `{size?, overlap?}`; returns
 * `chunkText`'s list. Bad input throws as `chunkText` does, naming the field.
 */
export function chunkKind(input: unknown, params: Record<string, unknown>): Chunk[] {
  const text = typeof input === "object" && input !== null && !Array.isArray(input) && "text" in input ? (input as { text: unknown }).text : input;
  if (typeof text !== "string") throw badInput(new TypeError(`chunk input expected a text or {text: string}, got ${describe(text)}`));
  return chunkText(text, { size: params["size"] as number | undefined, overlap: params["overlap"] as number | undefined });
}
