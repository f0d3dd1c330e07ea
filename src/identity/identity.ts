import { fromHex, toHex, utf8 } from "../core/bytes.ts";
import { FileNotFound, type Runtime } from "../runtime/runtime.ts";
import { agentIdFromKey } from "./agent-id.ts";

/** The file in the data dir that holds the identity. */
export const IDENTITY_FILE = "identity.json";

/** An agent's long-term keys and ID. */
export interface Identity {
  /** Ed25519 secret seed (32 bytes). Never logged or sent. */
  readonly seed: Uint8Array;
  /** Ed25519 public key (32 bytes). */
  readonly publicKey: Uint8Array;
  /** Text form of `publicKey`; see `agent-id.ts`. */
  readonly id: string;
}

/** Why an identity could not be loaded; `code` is stable. */
export class IdentityError extends Error {
  constructor(
    readonly code: "key_file_exposed" | "key_file_invalid",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "IdentityError";
  }
}

/**
 * Loads the identity from `dataDir`, creating it on first start. The key file is JSON
 * `{"version":1,"algorithm":"Ed25519","seed":"<64 hex>","id":"<agent ID>"}`, written atomically
 * with mode 0600 in a directory created with mode 0700. A key file that group or others can read
 * or write is refused, as is one whose `id` does not match its seed.
 */
export async function loadOrCreateIdentity(runtime: Runtime, dataDir: string): Promise<Identity> {
  const path = `${dataDir}/${IDENTITY_FILE}`;
  const mode = await runtime.files.mode(path);
  if (mode === null) return create(runtime, dataDir, path);
  if ((mode & 0o077) !== 0) {
    throw new IdentityError(
      "key_file_exposed",
      `key file ${path} has mode ${mode.toString(8).padStart(4, "0")}: others can read it; run "chmod 600 ${path}" if it is still private, or remove it to make a new identity`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder().decode(await runtime.files.readFile(path));
  } catch (error) {
    if (error instanceof FileNotFound) return create(runtime, dataDir, path);
    throw error;
  }
  return parse(runtime, path, text);
}

async function create(runtime: Runtime, dataDir: string, path: string): Promise<Identity> {
  await runtime.files.mkdirp(dataDir, 0o700);
  const seed = runtime.random(32);
  const publicKey = await runtime.ed25519.publicKey(seed);
  const id = agentIdFromKey(publicKey);
  const json = JSON.stringify({ version: 1, algorithm: "Ed25519", seed: toHex(seed), id }, null, 2) + "\n";
  await runtime.files.writeFileAtomic(path, utf8(json), 0o600);
  return { seed, publicKey, id };
}

async function parse(runtime: Runtime, path: string, text: string): Promise<Identity> {
  let record: { version?: unknown; algorithm?: unknown; seed?: unknown; id?: unknown };
  try {
    record = JSON.parse(text);
  } catch (cause) {
    throw new IdentityError("key_file_invalid", `key file ${path} is not valid JSON`, { cause });
  }
  if (record?.version !== 1 || record.algorithm !== "Ed25519" || typeof record.seed !== "string" || !/^[0-9a-f]{64}$/.test(record.seed)) {
    throw new IdentityError("key_file_invalid", `key file ${path} is not a version 1 Ed25519 identity`);
  }
  const seed = fromHex(record.seed);
  const publicKey = await runtime.ed25519.publicKey(seed);
  const id = agentIdFromKey(publicKey);
  if (record.id !== id) {
    throw new IdentityError("key_file_invalid", `key file ${path} names ID ${String(record.id)} but its seed gives ${id}`);
  }
  return { seed, publicKey, id };
}
