// The `chunk` kind's pure function: sentence, word and hard cuts, overlap, argument checks, and
// properties over random texts (coverage, size bound, overlap bound). Node and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { chunkKind, chunkText, type Chunk } from "../../../src/tasks/chunk.ts";

/** Checks the invariants every chunking must keep, whatever the text. */
function assertTiles(text: string, chunks: Chunk[], size: number, overlap: number): void {
  if (text.length === 0) return assert.deepEqual(chunks, []);
  assert.equal(chunks[0]!.start, 0, "the first chunk starts at 0");
  assert.equal(chunks.at(-1)!.end, text.length, "the last chunk ends at the end");
  chunks.forEach((c, i) => {
    assert.equal(c.index, i);
    assert.equal(c.text, text.slice(c.start, c.end), `chunk ${i} is its slice`);
    assert.ok(c.end > c.start, `chunk ${i} is not empty`);
    assert.ok(c.end - c.start <= size, `chunk ${i} is ${c.end - c.start} long, above ${size}`);
    const prev = chunks[i - 1];
    if (prev) {
      assert.ok(c.start > prev.start, `chunk ${i} starts after chunk ${i - 1}`);
      assert.ok(c.start <= prev.end, `no gap before chunk ${i}`);
      assert.ok(prev.end - c.start <= overlap, `chunks ${i - 1} and ${i} share ${prev.end - c.start} > ${overlap}`);
    }
  });
}

const SENTENCES = "The pump started at dawn. Pressure rose to six bar! Was the valve open? Nobody checked it. The log says so.";

test("chunks end at sentence boundaries when one falls in the window", () => {
  const chunks = chunkText(SENTENCES, { size: 60, overlap: 0 });
  assertTiles(SENTENCES, chunks, 60, 0);
  assert.deepEqual(
    chunks.map((c) => c.text),
    ["The pump started at dawn. Pressure rose to six bar! ", "Was the valve open? Nobody checked it. The log says so."],
  );
});

test("overlap starts the next chunk at a sentence start inside the overlap when there is one", () => {
  const chunks = chunkText(SENTENCES, { size: 60, overlap: 30 });
  assertTiles(SENTENCES, chunks, 60, 30);
  assert.equal(chunks[1]!.text.slice(0, 18), "Pressure rose to s", "the second chunk repeats the previous sentence");
  assert.ok(chunks[1]!.start < chunks[0]!.end);
});

test("without sentence ends it cuts between words; without spaces it cuts hard", () => {
  const words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu";
  const byWord = chunkText(words, { size: 20, overlap: 0 });
  assertTiles(words, byWord, 20, 0);
  for (const c of byWord.slice(0, -1)) assert.match(c.text, / $/, `"${c.text}" ends between words`);
  const solid = "x".repeat(25);
  assert.deepEqual(
    chunkText(solid, { size: 10, overlap: 2 }).map((c) => [c.start, c.end]),
    [
      [0, 10],
      [8, 18],
      [16, 25],
    ],
  );
});

test("paragraph breaks, closing quotes and CJK full stops end sentences", () => {
  const quoted = 'He said "stop." Then he left the room and walked away';
  assert.equal(chunkText(quoted, { size: 30, overlap: 0 })[0]!.text, 'He said "stop." ');
  const paragraphs = "first paragraph without a stop\n\nsecond paragraph goes on";
  assert.equal(chunkText(paragraphs, { size: 40, overlap: 0 })[0]!.text, "first paragraph without a stop\n\n");
  const cjk = "今日は晴れです。明日は雨が降るでしょう。";
  assert.equal(chunkText(cjk, { size: 12, overlap: 0 })[0]!.text, "今日は晴れです。");
});

test("a hard cut never splits a surrogate pair", () => {
  const emoji = "😀".repeat(10); // 20 UTF-16 code units
  const chunks = chunkText(emoji, { size: 5, overlap: 1 });
  assertTiles(emoji, chunks, 5, 1);
  for (const c of chunks) assert.ok(!/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(c.text), `chunk ${c.index} splits a pair`);
});

test("defaults: size 1000, overlap 100; a short or empty text", () => {
  const text = "word ".repeat(500);
  const chunks = chunkText(text);
  assertTiles(text, chunks, 1000, 100);
  assert.ok(chunks[0]!.end > 900 && chunks[1]!.start >= chunks[0]!.end - 100 && chunks[1]!.start < chunks[0]!.end);
  assert.deepEqual(chunkText("short"), [{ index: 0, text: "short", start: 0, end: 5 }]);
  assert.deepEqual(chunkText(""), []);
  assert.equal(chunkText("a".repeat(50), { size: 20 }).length, 3, "overlap defaults to size / 10 for small sizes");
});

test("bad arguments are refused naming the field, with code bad_input", () => {
  const refuses = (fn: () => unknown, type: typeof TypeError | typeof RangeError, pattern: RegExp) =>
    assert.throws(fn, (e: Error & { code?: string }) => e instanceof type && pattern.test(e.message) && e.code === "bad_input");
  refuses(() => chunkText("x", { size: 0 }), RangeError, /chunk "size" expected an integer from 1 to \d+, got 0/);
  refuses(() => chunkText("x", { size: 1.5 }), TypeError, /chunk "size" expected an integer, got 1.5/);
  refuses(() => chunkText("x", { size: 10, overlap: 6 }), RangeError, /chunk "overlap" expected an integer from 0 to 5, got 6/);
  refuses(() => chunkText("x", { overlap: -1 }), RangeError, /"overlap"/);
  refuses(() => chunkText(42 as unknown as string), TypeError, /chunk "text" expected a string, got number/);
  refuses(() => chunkKind([1, 2], {}), TypeError, /chunk input expected a text or \{text: string\}, got a list/);
  refuses(() => chunkKind({ text: 5 }, {}), TypeError, /got number/);
  refuses(() => chunkKind("x", { size: "big" }), TypeError, /chunk "size" expected an integer, got string/);
});

test("the kind takes a text or {text} and params size and overlap", () => {
  assert.deepEqual(chunkKind({ text: SENTENCES }, { size: 60, overlap: 0 }), chunkText(SENTENCES, { size: 60, overlap: 0 }));
  assert.deepEqual(chunkKind(SENTENCES, {}), [{ index: 0, text: SENTENCES, start: 0, end: SENTENCES.length }]);
});

const piece = fc.constantFrom("a", "bc", "word", "Sentence", ".", "!", "?", " ", "  ", "\n", "\n\n", '"', ")", "。", "😀", "é", "x".repeat(30));
const texts = fc.array(piece, { maxLength: 200 }).map((parts) => parts.join(""));
const sizes = fc.integer({ min: 1, max: 120 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: Math.floor(size / 2) })));

test("property: chunks tile the text in order, none longer than size, none sharing more than overlap, at most about 4× the text", () => {
  fc.assert(
    fc.property(texts, sizes, (text, [size, overlap]) => {
      const chunks = chunkText(text, { size, overlap });
      assertTiles(text, chunks, size, overlap);
      const total = chunks.reduce((n, c) => n + c.text.length, 0);
      assert.ok(total <= 4 * text.length + size, `${total} characters of chunks from ${text.length}`);
    }),
    { numRuns: 500 },
  );
});

test("property: any string at all, with size at least 2, is tiled within the bounds", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), sizes.filter(([s]) => s >= 2), (text, [size, overlap]) => {
      assertTiles(text, chunkText(text, { size, overlap }), size, overlap);
    }),
    { numRuns: 300 },
  );
});

test("property: a chunk cut before the end ends at a sentence start when its window's second half has one", () => {
  const sentence = fc.array(fc.constantFrom("alpha", "beta", "gamma", "delta"), { minLength: 1, maxLength: 8 }).map((w) => `${w.join(" ")}.`);
  fc.assert(
    fc.property(fc.array(sentence, { minLength: 1, maxLength: 30 }), fc.integer({ min: 40, max: 200 }), (sentences, size) => {
      const text = sentences.join(" ");
      const chunks = chunkText(text, { size, overlap: 0 });
      const startsSentence = (i: number) => i < text.length && text[i] !== " " && text.slice(i - 2, i) === ". ";
      for (const c of chunks.slice(0, -1)) {
        let any = false;
        for (let i = c.start + Math.ceil(size / 2); i <= c.start + size; i++) any ||= startsSentence(i);
        if (any) assert.ok(startsSentence(c.end), `"${c.text}" should end after a full stop`);
      }
    }),
    { numRuns: 300 },
  );
});

test("a large overlap cannot blow up the output: 200 KB at size 100,000 and overlap 50,000", () => {
  const text = "word ".repeat(40_000);
  const chunks = chunkText(text, { size: 100_000, overlap: 50_000 });
  const total = chunks.reduce((n, c) => n + c.text.length, 0);
  assert.ok(chunks.length <= 8, `${chunks.length} chunks`);
  assert.ok(total <= 4 * text.length, `${total} characters from ${text.length}`);
  assertTiles(text, chunks, 100_000, 50_000);
});
