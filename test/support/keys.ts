// Fixed keys and certificates for the mesh unit tests: parties from fixed seeds (no randomness, so
// a failure reproduces), an owner who founds the mesh, and certificates it signs.
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { agentIdFromKey } from "../../src/identity/agent-id.ts";
import { issueCert, type CertRequest } from "../../src/mesh/membership.ts";
import { NONCE_BYTES, sealEnvelope, type Outgoing, type Signer } from "../../src/wire/envelope.ts";

/** The Ed25519 path the unit tests use: noble, the portable reference. */
export const ed25519 = nobleEd25519;

/** A key pair with its agent ID. */
export interface Party extends Signer {
  id: string;
}

/** The party whose seed is 32 bytes of `fill`. */
export async function party(fill: number): Promise<Party> {
  const seed = new Uint8Array(32).fill(fill);
  const publicKey = await ed25519.publicKey(seed);
  return { seed, publicKey, id: agentIdFromKey(publicKey) };
}

let counter = 0;
/** Nonces that never repeat within a test run. */
export function nextNonce(): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  new DataView(nonce.buffer).setUint32(NONCE_BYTES - 4, ++counter);
  nonce[0] = 0x5a;
  return nonce;
}

/** A certificate signed by `owner`, stamped at `ts`. */
export function certBy(owner: Signer, request: CertRequest, ts: number): Promise<Uint8Array> {
  return issueCert(ed25519, owner, request, { ts, nonce: nextNonce() });
}

/** An envelope signed by `signer`, stamped at `ts`. */
export function envelopeBy(signer: Signer, message: Outgoing, ts: number): Promise<Uint8Array> {
  return sealEnvelope(ed25519, signer, message, { ts, nonce: nextNonce() });
}
