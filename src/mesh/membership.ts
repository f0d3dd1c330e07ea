import { bytesEqual, fromBase32, toBase32 } from "../core/bytes.ts";
import type { Ed25519 } from "../crypto/ed25519.ts";
import { agentIdFromKey, keyFromAgentId } from "../identity/agent-id.ts";
import { decodeCbor } from "../wire/cbor.ts";
import { parseSign1, sigStructure } from "../wire/cose-sign1.ts";
import { sealEnvelope, type Signer } from "../wire/envelope.ts";

/**
 * Mesh membership. A mesh is named by its owner's agent ID (the mesh ID). The owner admits an
 * agent by signing a *member certificate*: a COSE_Sign1 envelope (the wire format, see
 * docs/protocol.md) of type `mesh.member` whose payload is
 * `{mesh: <mesh name>, member: <32-byte key>, kind: "agent"|"sensor", name?: text, exp: <ms, 0 = never>}`.
 * Anyone who knows the mesh ID can check a certificate offline. Sensor credentials use the same
 * certificate with `kind: "sensor"` and a name instead of a key.
 *
 * Text form: `p2p1.` followed by the certificate bytes in lower-case base32 (what `agent invite`
 * prints and `agent join` reads).
 */
export const CERT_TYPE = "mesh.member";
export const TOKEN_PREFIX = "p2p1.";

/** A checked certificate. */
export interface MemberCert {
  meshId: string;
  meshName: string;
  kind: "agent" | "sensor";
  /** Agent ID of the member (agents only). */
  member?: string;
  /** Sensor name (sensors only). */
  name?: string;
  /** Expiry, ms since the epoch; 0 means none. */
  exp: number;
  /** The certificate bytes, to pass on (in presence and CONNECT). */
  bytes: Uint8Array;
}

/** Why a certificate or token was refused; `code` is stable. */
export class MembershipError extends Error {
  constructor(
    readonly code: "bad_token" | "wrong_mesh" | "expired" | "bad_signature",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MembershipError";
  }
}

/** What an owner signs into a certificate. */
export type CertRequest =
  | { kind: "agent"; meshName: string; member: string; exp: number }
  | { kind: "sensor"; meshName: string; name: string; exp: number };

/** Signs a member certificate with the owner's keys. `stamp` gives the envelope's ts and nonce. */
export function issueCert(
  ed25519: Ed25519,
  owner: Signer,
  request: CertRequest,
  stamp: { ts: number; nonce: Uint8Array },
): Promise<Uint8Array> {
  const payload: Record<string, unknown> = { mesh: request.meshName, kind: request.kind, exp: BigInt(request.exp) };
  if (request.kind === "agent") payload.member = keyFromAgentId(request.member);
  else {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(request.name)) throw new TypeError(`sensor name expected 1-64 of A-Z a-z 0-9 _ . -, got ${JSON.stringify(request.name)}`);
    payload.name = request.name;
  }
  return sealEnvelope(ed25519, owner, { type: CERT_TYPE, payload }, stamp);
}

/**
 * Checks a certificate: well-formed, of type `mesh.member`, signed by the owner of `meshId`, and
 * unexpired at `now`. Throws `MembershipError` otherwise.
 */
export async function verifyCert(ed25519: Ed25519, bytes: Uint8Array, meshId: string, now: number): Promise<MemberCert> {
  let owner: Uint8Array;
  let body: Record<string, unknown>;
  let parts;
  try {
    parts = parseSign1(bytes);
    body = decodeCbor(parts.payload) as Record<string, unknown>;
    owner = keyFromAgentId(meshId);
  } catch (cause) {
    throw new MembershipError("bad_token", "certificate is not a well-formed signed envelope", { cause });
  }
  if (typeof body !== "object" || body === null || body.type !== CERT_TYPE) throw new MembershipError("bad_token", "not a member certificate");
  if (!bytesEqual(parts.kid, owner)) throw new MembershipError("wrong_mesh", `certificate was signed by ${agentIdFromKey(parts.kid)}, not the owner of mesh ${meshId}`);
  const cert = body.payload as Record<string, unknown> | null;
  const exp = typeof cert?.exp === "bigint" ? Number(cert.exp) : cert?.exp;
  if (typeof cert !== "object" || cert === null || typeof cert.mesh !== "string" || typeof exp !== "number" || (cert.kind !== "agent" && cert.kind !== "sensor")) {
    throw new MembershipError("bad_token", "certificate payload lacks mesh, kind or exp");
  }
  if (!(await ed25519.verify(parts.kid, sigStructure(parts.protectedBytes, parts.payload), parts.signature))) {
    throw new MembershipError("bad_signature", "certificate signature does not verify");
  }
  if (exp !== 0 && exp < now) throw new MembershipError("expired", `certificate expired at ${new Date(exp).toISOString()}`);
  const base = { meshId, meshName: cert.mesh, exp, bytes };
  if (cert.kind === "agent") {
    if (!(cert.member instanceof Uint8Array) || cert.member.length !== 32) throw new MembershipError("bad_token", "agent certificate lacks a 32-byte member key");
    return { ...base, kind: "agent", member: agentIdFromKey(cert.member) };
  }
  if (typeof cert.name !== "string") throw new MembershipError("bad_token", "sensor certificate lacks a name");
  return { ...base, kind: "sensor", name: cert.name };
}

/** The mesh ID a certificate claims (its signer), without checking it; for `agent join`. */
export function certSigner(bytes: Uint8Array): string {
  try {
    return agentIdFromKey(parseSign1(bytes).kid);
  } catch (cause) {
    throw new MembershipError("bad_token", "token is not a well-formed certificate", { cause });
  }
}

/** Text form of a certificate. */
export function certToToken(bytes: Uint8Array): string {
  return TOKEN_PREFIX + toBase32(bytes);
}

/** Certificate bytes of a token; throws `MembershipError` `bad_token` when it is not one. */
export function tokenToCert(token: string): Uint8Array {
  const text = token.trim();
  if (!text.startsWith(TOKEN_PREFIX)) throw new MembershipError("bad_token", `token must start with ${TOKEN_PREFIX}`);
  try {
    return fromBase32(text.slice(TOKEN_PREFIX.length));
  } catch (cause) {
    throw new MembershipError("bad_token", "token is not valid base32", { cause });
  }
}
