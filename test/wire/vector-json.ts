import { fromHex, toHex } from "../../src/core/bytes.ts";

/**
 * The JSON form of values in `test/vectors/envelopes.json`: JSON has no byte strings, so
 * `{"$bytes": "<hex>"}` stands for one, in inputs and expectations. Shared by the generator
 * (`scripts/golden-envelopes.ts`) and the test that checks the vectors.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON form of a payload value. */
export function toJson(value: unknown): Json {
  if (value instanceof Uint8Array) return { $bytes: toHex(value) };
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value as Json;
}

/** The payload value a JSON form stands for; inverse of {@link toJson}. */
export function fromJson(json: Json): unknown {
  if (Array.isArray(json)) return json.map(fromJson);
  if (json !== null && typeof json === "object") {
    const keys = Object.keys(json);
    if (keys.length === 1 && keys[0] === "$bytes") return fromHex(json.$bytes as string);
    return Object.fromEntries(keys.map((k) => [k, fromJson(json[k]!)]));
  }
  return json;
}
