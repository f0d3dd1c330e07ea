import type { Ed25519 } from "../../src/crypto/ed25519.ts";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { createWebCryptoEd25519 } from "../../src/crypto/ed25519-webcrypto.ts";
// Deno implements node:crypto's Ed25519 KeyObjects too, so the Node adapter runs under both.
import { createNodeEd25519 } from "../../src/adapters/node/ed25519-node.ts";

/** A provider under test, or the reason it cannot run here (then its tests are skipped, named). */
export type ProviderSlot = { readonly name: string; readonly provider: Ed25519 | null; readonly skip: string | false };

/**
 * The three Ed25519 paths the agent may pick: noble (portable reference), WebCrypto and Node's
 * `node:crypto`. WebCrypto is `null` only on a runtime without WebCrypto Ed25519; Node 20+ and
 * Deno both have it.
 */
export async function ed25519Providers(): Promise<ProviderSlot[]> {
  const webcrypto = await createWebCryptoEd25519();
  return [
    { name: "noble", provider: nobleEd25519, skip: false },
    { name: "webcrypto", provider: webcrypto, skip: webcrypto === null && "this runtime's WebCrypto has no Ed25519" },
    { name: "node", provider: createNodeEd25519(), skip: false },
  ];
}

/** The outcome of one `verify` call as a comparable string: `true`, `false` or the error's name. */
export async function verifyOutcome(
  provider: Ed25519,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<string> {
  try {
    return String(await provider.verify(publicKey, message, signature));
  } catch (error) {
    return error instanceof Error ? error.name : `non-Error ${String(error)}`;
  }
}
