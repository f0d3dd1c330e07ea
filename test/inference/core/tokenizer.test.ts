// The hashing tokenizer `text-embed` expects: FNV-1a vectors, normalisation, bounds. Node and Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fnv1a32, tokenize, tokenizeBatch } from "../../../src/inference/tokenizer.ts";
import { TEXT_EMBED_VOCAB } from "../../../src/inference/builtin-models.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

test("fnv1a32 matches the published FNV-1a 32-bit vectors", () => {
  assert.equal(fnv1a32(utf8("")), 0x811c9dc5);
  assert.equal(fnv1a32(utf8("a")), 0xe40c292c);
  assert.equal(fnv1a32(utf8("foobar")), 0xbf9cf968);
});

test("tokenize ignores case, punctuation and spacing, and applies NFKC", () => {
  assert.deepEqual(tokenize("Hello, World!"), tokenize("hello   world"));
  assert.deepEqual(tokenize("ﬁle"), tokenize("file"), "the fi ligature is two letters after NFKC");
  assert.equal(tokenize("temp=21.5°C").length, 4, "temp, 21, 5, c");
  assert.deepEqual(tokenize(""), []);
  assert.deepEqual(tokenize("!!! ..."), []);
  assert.equal(tokenize("Grüße aus Köln").length, 3, "letters outside ASCII are word characters");
  assert.equal(tokenize("hello")[0], 1 + (fnv1a32(utf8("hello")) % (TEXT_EMBED_VOCAB - 1)));
});

test("tokenize keeps the first maxTokens words and refuses bad options", () => {
  assert.deepEqual(tokenize("a b c d", { maxTokens: 2 }), tokenize("a b"));
  assert.throws(() => tokenize("x", { vocab: 1 }), RangeError);
  assert.throws(() => tokenize("x", { maxTokens: 0 }), RangeError);
  assert.throws(() => tokenize(42 as unknown as string), TypeError);
});

test("property: ids are 1..vocab-1 (0 is padding), at most maxTokens of them", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.integer({ min: 2, max: 10_000 }), fc.integer({ min: 1, max: 50 }), (s, vocab, maxTokens) => {
      const ids = tokenize(s, { vocab, maxTokens });
      return ids.length <= maxTokens && ids.every((id) => Number.isInteger(id) && id >= 1 && id < vocab);
    }),
  );
});

test("tokenizeBatch pads every row with 0 to the longest (at least one column)", () => {
  const batch = tokenizeBatch(["one two three", "four", ""]);
  assert.deepEqual(batch.dims, [3, 3]);
  assert.equal(batch.type, "int64");
  assert.deepEqual(batch.data.slice(3), [...tokenize("four"), 0, 0, 0, 0, 0]);
  assert.deepEqual(tokenizeBatch([""]).dims, [1, 1]);
  assert.deepEqual(tokenizeBatch([]).dims, [0, 1]);
});
