import { decodeCbor } from "../wire/cbor.ts";

/** The largest reading payload accepted, bytes. */
export const MAX_READING_BYTES = 16 * 1024;

/** Why a reading was skipped; counted per pipeline under these stable names. */
export type MalformedReason = "too_large" | "not_json_or_cbor" | "no_field" | "not_a_number";

/** A reading's value, or why there is none. */
export type ParsedReading = { ok: true; value: number } | { ok: false; reason: MalformedReason };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON text when `payload` is UTF-8 holding one JSON value, else undefined (RFC 8259). */
function fromJson(payload: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(payload));
  } catch {
    return undefined;
  }
}

/** The one CBOR item in `payload` (RFC 8949), else undefined. */
function fromCbor(payload: Uint8Array): unknown {
  try {
    return decodeCbor(payload);
  } catch {
    return undefined;
  }
}

/**
 * The number in one sensor reading. A payload is read as JSON when it parses as JSON (a bare
 * number like `21.5`, or an object), and as CBOR otherwise; the value is the payload itself when
 * it is a number, else the member at the dotted path `field` of the object (`value`, `data.temp`).
 * Nothing is thrown: a bad payload comes back as a reason to count.
 */
export function parseReading(payload: Uint8Array, field: string): ParsedReading {
  if (payload.byteLength > MAX_READING_BYTES) return { ok: false, reason: "too_large" };
  if (payload.byteLength === 0) return { ok: false, reason: "not_json_or_cbor" };
  let value = fromJson(payload);
  if (value === undefined) value = fromCbor(payload);
  if (value === undefined) return { ok: false, reason: "not_json_or_cbor" };
  if (typeof value !== "number") {
    for (const key of field.split(".")) {
      if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array || !Object.hasOwn(value, key)) {
        return { ok: false, reason: "no_field" };
      }
      value = (value as Record<string, unknown>)[key];
    }
  }
  if (typeof value === "bigint") value = Number(value);
  if (typeof value !== "number" || !Number.isFinite(value)) return { ok: false, reason: "not_a_number" };
  return { ok: true, value };
}
