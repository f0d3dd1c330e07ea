/**
 * The Ed25519 contract every signature path fills, and the one verification rule they share.
 *
 * The rule is RFC 8032 §5.1.7 in its strict, cofactorless form: the public key and R must be
 * canonical encodings of curve points, S must be below the group order L, small-order public keys
 * are refused, and [S]B = R + [k]A must hold exactly (OpenSSL's and WebCrypto's equation). Every
 * provider must give the same answer as the noble path on every input; the RFC 8032 and
 * Wycheproof vectors and the mixed-order cases in the tests check that.
 */
export interface Ed25519 {
  /** Short name for logs and benchmarks, e.g. `node`, `webcrypto`, `noble`. */
  readonly name: string;
  /** The 32-byte public key of a 32-byte secret seed (RFC 8032 §5.1.5). */
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** The 64-byte signature of `message` under `seed` (RFC 8032 §5.1.6; deterministic). */
  sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** True when `signature` is valid for `message` under `publicKey` by the strict rule above. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** The group order L of edwards25519 (RFC 8032 §5.1). */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** True when the S half of `signature` (little-endian bytes 32..63) is below L. */
export function hasCanonicalS(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  // Fast path: S < 2^252 whenever the top nibble of the last byte is zero.
  if ((signature[63]! & 0xf0) === 0) return true;
  if ((signature[63]! & 0xe0) !== 0) return false;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
  return s < L;
}
