import type { Files } from "../runtime/runtime.ts";
import { contentHash, isContentHash, readContent, type ContentHash } from "../runtime/content.ts";
import { InferenceError } from "./inference-error.ts";

/** A model's name: the SHA-256 of its `.onnx` bytes, 64 lower-case hex digits (a content hash). */
export type ModelHash = ContentHash;

/** True when `value` is a model hash (64 lower-case hex digits). */
export const isModelHash = isContentHash;

/** The SHA-256 of `bytes` as 64 lower-case hex digits: a model's name. */
export const modelHash = contentHash;

/** The folder models live in under an agent's data dir. */
export function modelsDirIn(dataDir: string): string {
  return `${dataDir}/models`;
}

/**
 * ONNX models on disk, named by content: `<dir>/<sha256>.onnx`, where `dir` is usually
 * `<data dir>/models` (`modelsDirIn`). A model's name *is* its hash, so peers agree on what a
 * task means without trusting each other's labels, and a file that no longer matches its name is
 * refused on every read (`model_corrupt`) instead of being run. Files are written atomically and
 * never changed afterwards. Everything goes through the `Files` contract, so the store is the same
 * on Node and Deno.
 */
export class ModelStore {
  readonly files: Files;
  readonly dir: string;

  constructor(files: Files, dir: string) {
    this.files = files;
    this.dir = dir;
  }

  /** The path of model `hash`. Throws `TypeError` for anything but a model hash. */
  path(hash: ModelHash): string {
    if (!isModelHash(hash)) throw new TypeError(`"hash" expected 64 lower-case hex digits (a sha256), got ${JSON.stringify(hash)}`);
    return `${this.dir}/${hash}.onnx`;
  }

  /**
   * Stores `bytes` as a model and returns its hash. A model already stored with intact bytes is
   * left as it is; a damaged copy is replaced. (The bytes are not checked to be ONNX here:
   * onnxruntime judges that when a session is made, as `model_invalid`.)
   */
  async add(bytes: Uint8Array): Promise<ModelHash> {
    if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) throw new TypeError(`"bytes" expected a non-empty Uint8Array, got ${describe(bytes)}`);
    const hash = await modelHash(bytes);
    if (await this.#intact(hash)) return hash;
    await this.files.mkdirp(this.dir, 0o755);
    await this.files.writeFileAtomic(this.path(hash), bytes, 0o644);
    return hash;
  }

  /**
   * The bytes of model `hash`, hashed again on every read. Throws `InferenceError` with code
   * `model_not_found` when there is no such file and `model_corrupt` when its bytes hash to
   * something else; `TypeError` when `hash` is not a model hash.
   */
  async get(hash: ModelHash): Promise<Uint8Array> {
    const path = this.path(hash);
    const read = await readContent(this.files, path, hash);
    if ("missing" in read) throw new InferenceError("model_not_found", `model ${hash} is not in ${this.dir}`, { cause: read.missing });
    if ("actual" in read) {
      throw new InferenceError("model_corrupt", `model file ${path} is corrupt: its bytes hash to ${read.actual}, not ${hash}; remove it and add the model again`);
    }
    return read.bytes;
  }


  /** True when model `hash` is stored and intact. */
  async has(hash: ModelHash): Promise<boolean> {
    return this.#intact(hash);
  }

  /** The hashes of the models in the folder (by file name, not verified), sorted. */
  async list(): Promise<ModelHash[]> {
    const names = await this.files.list(this.dir);
    return names.filter((n) => n.endsWith(".onnx") && isModelHash(n.slice(0, -5))).map((n) => n.slice(0, -5));
  }

  /** Removes model `hash`; no error when it is not there. */
  async remove(hash: ModelHash): Promise<void> {
    await this.files.remove(this.path(hash));
  }

  async #intact(hash: ModelHash): Promise<boolean> {
    try {
      await this.get(hash);
      return true;
    } catch (error) {
      if (error instanceof InferenceError) return false;
      throw error;
    }
  }
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return "an empty Uint8Array";
  return value === null ? "null" : typeof value;
}
