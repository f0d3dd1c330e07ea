import { mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { homedir } from "node:os";
import { nodeFiles } from "./files-node.ts";

/** The part of `node:sea` (Node ≥ 20.12) that unpacking needs; tests pass a fake. */
export interface SeaApi {
  /** True when this process is a single executable application. */
  isSea(): boolean;
  /** The embedded asset `key`, without copying; throws when there is no such asset. */
  getRawAsset(key: string): ArrayBuffer;
}

/** Options of `unpackSeaAssets`. */
export interface UnpackSeaAssetsOptions {
  /** The agent version: assets go to `<cache>/p2p-agent/<version>/`, so versions never mix. */
  version: string;
  /** The cache home (default: `$XDG_CACHE_HOME` when absolute, else `~/.cache`). */
  cacheHome?: string;
  /** The SEA API (default: `node:sea` when the runtime has it; Deno and older Node have none). */
  sea?: SeaApi | null;
}

/**
 * The folder SEA assets of `version` unpack to: `<cacheHome>/p2p-agent/<version>`. `cacheHome`
 * defaults to `$XDG_CACHE_HOME` when it is an absolute path (the XDG Base Directory spec ignores
 * relative ones), else `~/.cache`. Throws `TypeError` for a version that is not one path segment.
 */
export function seaCacheDir(version: string, cacheHome?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof version !== "string" || version === "" || version === "." || version === ".." || /[\\/]/.test(version)) {
    throw new TypeError(`"version" expected one path segment such as 0.1.0, got ${JSON.stringify(version)}`);
  }
  const xdg = env["XDG_CACHE_HOME"];
  const home = cacheHome ?? (xdg !== undefined && xdg.startsWith("/") ? xdg : join(homedir(), ".cache"));
  return join(home, "p2p-agent", version);
}

/**
 * When this process is a single executable (`node:sea` `isSea()`), writes the embedded assets
 * named in `names` (keys as the build gave them, `/`-separated relative paths such as
 * `lib/libonnxruntime.so.1`) under `seaCacheDir(version)` and returns that folder; otherwise
 * (plain `node`, Deno) returns `undefined` and writes nothing, and the caller uses the files it
 * installed with npm instead.
 *
 * Once: a file already there with the asset's size is kept, so later starts write nothing.
 * Atomic: each file is written to a temporary name, synced, and renamed into place, so no process
 * ever sees half a file (a native library loaded while being written would crash), and two agents
 * starting at once both succeed. Throws `TypeError` for a bad name, and an Error naming the asset
 * when the executable has no asset by that name.
 */
export async function unpackSeaAssets(names: readonly string[], options: UnpackSeaAssetsOptions): Promise<string | undefined> {
  for (const name of names) checkAssetName(name);
  const dir = seaCacheDir(options.version, options.cacheHome);
  const sea = options.sea === undefined ? await loadSea() : options.sea;
  if (sea === null || !sea.isSea()) return undefined;
  for (const name of names) {
    let data: ArrayBuffer;
    try {
      data = sea.getRawAsset(name);
    } catch (error) {
      throw new Error(`sea asset ${JSON.stringify(name)} is not embedded in this executable`, { cause: error });
    }
    await writeOnce(join(dir, ...name.split("/")), new Uint8Array(data));
  }
  return dir;
}

/** `node:sea` when the runtime has it, else null. */
async function loadSea(): Promise<SeaApi | null> {
  try {
    const sea = (await import("node:sea")) as Partial<SeaApi>;
    return typeof sea.isSea === "function" && typeof sea.getRawAsset === "function" ? (sea as SeaApi) : null;
  } catch {
    return null; // Deno has no node:sea; neither has Node before 20.12
  }
}

function checkAssetName(name: string): void {
  const segments = typeof name === "string" ? name.split("/") : [];
  if (segments.length === 0 || segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\\"))) {
    throw new TypeError(`asset name expected a relative path like lib/x.so, got ${JSON.stringify(name)}`);
  }
}

/** Writes `data` to `path` unless a file of that size is already there; atomically. */
async function writeOnce(path: string, data: Uint8Array): Promise<void> {
  const existing = await stat(path).catch(() => null);
  if (existing?.isFile() && existing.size === data.byteLength) return;
  await mkdir(dirname(path), { recursive: true });
  await nodeFiles.writeFileAtomic(path, data, 0o644);
}
