import { fromBase32, toBase32 } from "../core/bytes.ts";

/**
 * The agent ID is the agent's Ed25519 public key (32 bytes) in RFC 4648 base32, lower case,
 * without padding: 52 characters from `a-z2-7`. It is safe in MQTT topic levels, file names, DNS
 * labels and URLs. The last character carries 4 bits of padding that must be zero.
 */
export const AGENT_ID_LENGTH = 52;

/** The agent ID of a 32-byte Ed25519 public key. */
export function agentIdFromKey(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new TypeError(`"publicKey" expected Uint8Array of length 32, got ${publicKey instanceof Uint8Array ? `length=${publicKey.length}` : typeof publicKey}`);
  }
  return toBase32(publicKey);
}

/** The public key named by an agent ID; throws `TypeError` naming the problem when it is not one. */
export function keyFromAgentId(id: string): Uint8Array {
  if (typeof id !== "string" || !/^[a-z2-7]{52}$/.test(id)) {
    throw new TypeError(`agent ID expected ${AGENT_ID_LENGTH} lower-case base32 characters (a-z, 2-7), got ${JSON.stringify(String(id).slice(0, 60))}`);
  }
  try {
    return fromBase32(id);
  } catch (cause) {
    throw new TypeError(`agent ID ${JSON.stringify(id)} is not valid base32`, { cause });
  }
}

/** The first 8 characters of an agent ID, for tables and logs. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
