import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { createNodeEd25519 } from "../../src/adapters/node/ed25519-node.ts";
import type { Ed25519 } from "../../src/crypto/ed25519.ts";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { createWebCryptoEd25519 } from "../../src/crypto/ed25519-webcrypto.ts";
import { webRandom } from "../../src/runtime/runtime.ts";
import type { Bench, BenchSuite } from "./runner.ts";

/** Size of the signed message, bytes: about one small envelope's Sig_structure. */
export const MESSAGE_BYTES = 200;
/** The row every other row in this suite is compared with. */
const BASELINE_SIGN = "sign (noble)";
const BASELINE_VERIFY = "verify (noble)";

/** The Ed25519 providers this runtime has, noble first (it is the baseline). */
async function providers(bench: Bench): Promise<Ed25519[]> {
  const list: Ed25519[] = [nobleEd25519, createNodeEd25519()];
  const webcrypto = await createWebCryptoEd25519();
  if (webcrypto) list.push(webcrypto);
  else bench.note("WebCrypto has no Ed25519 in this runtime; its rows are missing.");
  return list;
}

/** Throws unless `ok`, so a provider that starts refusing good signatures cannot post a rate. */
function mustVerify(ok: boolean, who: string): void {
  if (!ok) throw new Error(`${who} refused a valid signature during the benchmark`);
}

/**
 * OpenSSL's verify through `node:crypto` with no strict-rule checks and no key-cache lookup: what
 * the node provider costs without our wrapper, to show how much of its time the wrapper takes.
 * (Signing has no such row: there the wrapper adds only a seed check and a cache lookup.)
 */
async function measureRawNodeVerify(bench: Bench, provider: Ed25519, seed: Uint8Array, message: Uint8Array): Promise<void> {
  const spki = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);
  const publicKey = await provider.publicKey(seed);
  const der = new Uint8Array([...spki, ...publicKey]);
  const key = createPublicKey({ key: der as Buffer, format: "der", type: "spki" });
  const signature = await provider.sign(seed, message);
  if (!nodeVerify(null, message, key, signature)) throw new Error("node:crypto refused its own signature");
  await bench.measure("verify (raw node:crypto, reference)", () => mustVerify(nodeVerify(null, message, key, signature), "node:crypto"), {
    baseline: BASELINE_VERIFY,
    note: "OpenSSL alone: no strict-rule checks, no key cache",
  });
}

/**
 * Ed25519 signatures and verifications per second on each path this runtime has — `noble`
 * (pure JavaScript), `node` (OpenSSL through `node:crypto`) and `webcrypto` (`crypto.subtle`) —
 * over one 200-byte message and one key, with every native row's ratio to noble measured in the
 * same run.
 */
export const cryptoSuite: BenchSuite = {
  id: "crypto",
  title: "Ed25519 signatures",
  about:
    `Signatures and verifications per second of one ${MESSAGE_BYTES}-byte message under one key, through each ` +
    "provider's `Ed25519` interface (argument checks, strict RFC 8032 rule and key caches included). " +
    "`noble` is `@noble/ed25519` in pure JavaScript; `node` is OpenSSL through `node:crypto`; " +
    "`webcrypto` is `crypto.subtle`. Ratios are to the noble row of the same operation. " +
    "Each verification's result is checked, so a path that started refusing good signatures would fail the run.",
  async run(bench) {
    const seed = webRandom(32);
    const message = webRandom(MESSAGE_BYTES);
    const list = await providers(bench);
    for (const op of ["sign", "verify"] as const) {
      for (const provider of list) {
        const publicKey = await provider.publicKey(seed);
        const signature = await provider.sign(seed, message);
        mustVerify(await nobleEd25519.verify(publicKey, message, signature), `noble (checking ${provider.name})`);
        const name = `${op} (${provider.name})`;
        const baseline = op === "sign" ? BASELINE_SIGN : BASELINE_VERIFY;
        const options = provider === nobleEd25519 ? {} : { baseline };
        if (op === "sign") await bench.measure(name, () => provider.sign(seed, message), options);
        else {
          await bench.measure(name, async () => mustVerify(await provider.verify(publicKey, message, signature), provider.name), options);
        }
      }
    }
    await measureRawNodeVerify(bench, list[1]!, seed, message);
  },
};
