// Steps 2 and 3 of the build: Node's Single Executable Applications. Node NODE_VERSION turns the
// CommonJS loader (build/sea-main.ts) plus the assets, dist/agent.mjs among them, into one
// "preparation blob", and postject copies that blob into a copy of each architecture's `node`
// binary as the NODE_SEA_BLOB section, flipping the sentinel fuse so the binary runs the blob
// instead of acting as plain `node`.
// https://nodejs.org/docs/latest-v24.x/api/single-executable-applications.html
import { createHash } from "node:crypto";
import { copyFile, chmod, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./bundle.ts";
import { run, type Arch } from "./node-runtime.ts";

/** The fuse string postject flips; the value Node's SEA documentation gives. */
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** The section (ELF note) name Node looks for the blob under. */
export const SEA_RESOURCE = "NODE_SEA_BLOB";

/**
 * Runtime flags baked into the executables. mqtt.js parses broker URLs with `url.parse()`, which
 * Node 24 flags (DEP0169) with a plain-text warning on stderr in the middle of the JSON log lines;
 * the agent validates those URLs itself, so that one warning is silenced.
 */
export const SEA_EXEC_ARGV: readonly string[] = ["--disable-warning=DEP0169"];

/**
 * The asset key of the ESM bundle `code`: `agent.<first 16 hex digits of its sha256>.mjs`. The
 * hash in the name means a rebuilt bundle never reuses a stale unpacked copy, even when the
 * version (the cache folder) did not change.
 */
export function bundleAssetKey(code: Uint8Array): string {
  return `agent.${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`;
}

/**
 * The files embedded as SEA assets besides the bundle, for `arch`'s executable: asset key →
 * absolute path. Keys are `/`-separated relative paths; at run time `unpackSeaAssets`
 * (src/adapters/node/sea-assets.ts) writes asset `k` to `<cache>/p2p-agent/<version>/k`. They are
 * package.json and every file under profiles/ (small real assets, not unpacked), and onnxruntime
 * (`onnxRuntimeAssets(arch)`), which the loader unpacks.
 */
export async function seaAssets(arch: Arch, root: string = ROOT): Promise<Record<string, string>> {
  const assets: Record<string, string> = { "package.json": join(root, "package.json") };
  for (const file of await listFiles(join(root, "profiles"))) {
    assets[relative(root, file).split("\\").join("/")] = file;
  }
  return { ...assets, ...(await onnxRuntimeAssets(arch, root)) };
}

/** Where onnxruntime's assets go, under the unpacked bundle's folder (so `import()` finds them). */
export const NODE_MODULES_PREFIX = "node_modules/";

/**
 * onnxruntime as installed by npm, for `arch` on Linux: onnxruntime-node's package.json, its
 * JavaScript (dist/) and its native files for that architecture (`bin/napi-v6/linux/<arch>/`:
 * the N-API binding and the libonnxruntime.so.1 it finds through RUNPATH `$ORIGIN`), and its
 * dependency onnxruntime-common's package.json and JavaScript (dist/). Source maps and type
 * declarations are left out. Keys are `node_modules/<package>/<path>`: unpacked beside the
 * bundle, they make the bundle's plain `import("onnxruntime-node")` resolve as under npm. Throws
 * when onnxruntime-node or its native files for `arch` are missing.
 */
export async function onnxRuntimeAssets(arch: Arch, root: string = ROOT): Promise<Record<string, string>> {
  const ort = join(root, "node_modules", "onnxruntime-node");
  const nested = join(ort, "node_modules", "onnxruntime-common");
  const common = (await stat(nested).catch(() => null))?.isDirectory() ? nested : join(root, "node_modules", "onnxruntime-common");
  const native = join(ort, "bin", "napi-v6", "linux", arch);
  const assets: Record<string, string> = {};
  const add = (pkg: string, dir: string, file: string) => {
    assets[`${NODE_MODULES_PREFIX}${pkg}/${relative(dir, file).split("\\").join("/")}`] = file;
  };
  const wanted = (file: string) => !file.endsWith(".map") && !file.endsWith(".d.ts");
  for (const [pkg, dir, folders] of [
    ["onnxruntime-node", ort, [join(ort, "dist"), native]],
    ["onnxruntime-common", common, [join(common, "dist")]],
  ] as const) {
    add(pkg, dir, join(dir, "package.json"));
    for (const folder of folders) {
      const files = (await listFiles(folder)).filter(wanted);
      if (files.length === 0) throw new Error(`${folder} has no files (is ${pkg} installed, with its linux ${arch} binaries?)`);
      for (const file of files) add(pkg, dir, file);
    }
  }
  for (const name of ["onnxruntime_binding.node", "libonnxruntime.so.1"]) {
    if (!(await stat(join(native, name)).catch(() => null))?.isFile()) throw new Error(`${join(native, name)} is missing`);
  }
  return assets;
}

/** The asset keys the executables' loader unpacks before it imports the bundle: onnxruntime's. */
export function unpackedAssetKeys(assets: Record<string, string>): string[] {
  return Object.keys(assets).filter((key) => key.startsWith(NODE_MODULES_PREFIX)).sort();
}

/** The JSON that `node --experimental-sea-config` reads (Node 24's field names). */
export interface SeaConfig {
  main: string;
  output: string;
  disableExperimentalSEAWarning: boolean;
  useSnapshot: boolean;
  useCodeCache: boolean;
  execArgv: string[];
  assets: Record<string, string>;
}

/**
 * The SEA configuration for `main` (a CommonJS script) written to the blob at `output`, with
 * `assets`. No startup snapshot and no V8 code cache: both are specific to the CPU architecture
 * that generated them, and with neither the same blob is valid in the x64 and the arm64 binary.
 */
export function seaConfig(main: string, output: string, assets: Record<string, string>): SeaConfig {
  return {
    main,
    output,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false,
    execArgv: [...SEA_EXEC_ARGV],
    assets,
  };
}

/**
 * Writes `config` next to its blob (as `<output>.json`) and has the Node binary `node` (the
 * embedded version, x64 so it runs on the build machine) generate the blob. The blob format is
 * tied to the Node version, which is why the system `node` is not used. Returns the blob's path.
 */
export async function makeSeaBlob(node: string, config: SeaConfig): Promise<string> {
  const configPath = `${config.output}.json`;
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  await run(node, ["--experimental-sea-config", configPath]);
  return config.output;
}

const POSTJECT_CLI = fileURLToPath(import.meta.resolve("postject/dist/cli.js"));

/**
 * Makes the executable `output`: a copy of the Node binary `node` with `blob` injected by postject
 * (ELF: a note section named NODE_SEA_BLOB, fuse SEA_FUSE flipped). Works for any architecture's
 * binary on any build machine: postject edits the file, it never runs it. A failed injection
 * leaves no `output` behind.
 */
export async function injectBlob(node: string, blob: string, output: string): Promise<string> {
  await rm(output, { force: true });
  await copyFile(node, output);
  try {
    await chmod(output, 0o755);
    await run(process.execPath, [POSTJECT_CLI, output, SEA_RESOURCE, blob, "--sentinel-fuse", SEA_FUSE]);
  } catch (error) {
    await rm(output, { force: true });
    throw error;
  }
  return output;
}

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}
