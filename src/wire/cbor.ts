// The pure-JavaScript entry points: the package root loads the cbor-extract native addon on Node,
// which Deno cannot link (the process dies on the first long string) and a bundle cannot carry.
import { Decoder } from "cbor-x/decode";
import { Encoder } from "cbor-x/encode";

/**
 * The one CBOR configuration the wire uses (RFC 8949). Plain maps and arrays, no cbor-x record
 * extension; `Uint8Array` as a plain byte string (cbor-x would otherwise wrap it in tag 64);
 * definite lengths in their shortest form. Encode plain objects, not `Map`s (cbor-x tags those 259). Integers beyond 32 bits must be passed as `bigint` to be
 * encoded as integers (cbor-x writes large `number`s as floats).
 */
const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  variableMapSize: true,
  mapsAsObjects: true,
});
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/** CBOR bytes of `value`. The returned array is a fresh copy, safe to keep. */
export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/**
 * The value encoded in `bytes`. Throws on anything that is not exactly one well-formed CBOR item
 * (truncation, trailing bytes, bad lengths); callers wrap the error in their own code.
 * Byte strings come back as `Uint8Array` views (a `Buffer` on Node) into `bytes`.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
