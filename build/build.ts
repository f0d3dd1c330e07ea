// The build, as code (`npm run build`, `npm run build:bundle`):
//   1. bundle      src/cli/entry.ts + dependencies → dist/agent.mjs (ESM, size budget checked)
//   2. sea blobs   Node NODE_VERSION (x64) → dist/sea/agent-<arch>.blob: the loader
//                  build/sea-main.ts (CommonJS) as main script, dist/agent.mjs, onnxruntime (that
//                  architecture's native files) and the other files as assets
//   3. inject      each blob → dist/agent-linux-x64 and dist/agent-linux-arm64
//   (and, after the bundle, the shipped ONNX models → dist/models/<sha256>.onnx, docs/models.md)
// Usage: node --import tsx build/build.ts [--bundle-only]
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLE_BUDGET_BYTES, ROOT, bundle, checkBudget } from "./bundle.ts";
import { ARCHES, NODE_VERSION, nodeBinary, type Arch } from "./node-runtime.ts";
import { bundleAssetKey, injectBlob, makeSeaBlob, seaAssets, seaConfig, unpackedAssetKeys } from "./sea.ts";
import { makeModels, type MadeModel } from "../scripts/make-models.ts";

/** Options of `buildAll`; every field has a default. */
export interface BuildOptions {
  /** Output folder (default: the repository's dist/). */
  outDir?: string;
  /** Also make the single executables (default true); false stops after the bundle. */
  sea?: boolean;
  /** Architectures to make executables for (default both). */
  arches?: readonly Arch[];
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
}

/** What `buildAll` made: paths and sizes in bytes, and how long it took. */
export interface BuildReport {
  bundle: { path: string; bytes: number; budget: number; externals: string[] };
  executables: Partial<Record<Arch, { path: string; bytes: number }>>;
  /** The shipped ONNX models, written to `<outDir>/models/` (see docs/models.md). */
  models: MadeModel[];
  nodeVersion: string;
  milliseconds: number;
}

/** The path of the ESM bundle under `outDir`. */
export const bundlePath = (outDir: string): string => join(outDir, "agent.mjs");

/** The path of `arch`'s single executable under `outDir`. */
export const executablePath = (outDir: string, arch: Arch): string => join(outDir, `agent-linux-${arch}`);

/** The executables' loader, the SEA main script (see the file). */
export const SEA_MAIN = join(ROOT, "build", "sea-main.ts");

/**
 * Step 1: writes the ESM bundle to `<outDir>/agent.mjs` and fails when it is over
 * `BUNDLE_BUDGET_BYTES`. Returns its path, size, budget and remaining (builtin) imports.
 */
export async function buildBundle(outDir: string): Promise<BuildReport["bundle"]> {
  await mkdir(outDir, { recursive: true });
  const path = bundlePath(outDir);
  const { externals } = await bundle({ outfile: path, format: "esm" });
  return { path, bytes: await checkBudget(path), budget: BUNDLE_BUDGET_BYTES, externals };
}

/**
 * Step 2 (after step 1), for `arch`: bundles the loader as CommonJS into
 * `<outDir>/sea/sea-main-<arch>.cjs`, told the bundle's asset key, the version and the assets to
 * unpack (onnxruntime's, for `arch`), and has the x64 Node NODE_VERSION turn it, the bundle and
 * the other assets into `<outDir>/sea/agent-<arch>.blob`. One blob per architecture, so each
 * executable carries only its own onnxruntime native files. Returns the blob's path.
 */
export async function buildSeaBlob(outDir: string, arch: Arch): Promise<string> {
  const seaDir = join(outDir, "sea");
  await mkdir(seaDir, { recursive: true });
  const esm = bundlePath(outDir);
  const key = bundleAssetKey(await readFile(esm));
  const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
  const assets = { [key]: esm, ...(await seaAssets(arch)) };
  const main = join(seaDir, `sea-main-${arch}.cjs`);
  const define = {
    __P2P_BUNDLE_ASSET__: JSON.stringify(key),
    __P2P_VERSION__: JSON.stringify(version),
    __P2P_UNPACK_ASSETS__: JSON.stringify(unpackedAssetKeys(assets)),
  };
  await bundle({ entry: SEA_MAIN, outfile: main, format: "cjs", define });
  // The blob generator must be the embedded version; its x64 build runs on the build machine.
  return makeSeaBlob(await nodeBinary("x64"), seaConfig(main, join(seaDir, `agent-${arch}.blob`), assets));
}

/** Step 3: injects `blob` into `arch`'s Node binary as `<outDir>/agent-linux-<arch>`. */
export async function buildExecutable(outDir: string, arch: Arch, blob: string): Promise<{ path: string; bytes: number }> {
  const path = await injectBlob(await nodeBinary(arch), blob, executablePath(outDir, arch));
  return { path, bytes: (await stat(path)).size };
}

/**
 * Runs the build: the bundle and the shipped ONNX models (`<outDir>/models/`), then (unless
 * `sea: false`) the blob and one executable per architecture, injected in parallel. Throws on the
 * first failure, naming the step.
 */
export async function buildAll(options: BuildOptions = {}): Promise<BuildReport> {
  const started = Date.now();
  const outDir = options.outDir ?? join(ROOT, "dist");
  const log = options.log ?? ((line: string) => console.error(line));
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await work().catch((error: unknown) => {
      throw new Error(`build: ${step} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    log(`build: ${step} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return result;
  };
  const built = await timed("bundle", () => buildBundle(outDir));
  log(`build: ${built.path} ${mb(built.bytes)} (budget ${mb(built.budget)})`);
  const models = await timed("models", () => makeModels(join(outDir, "models")));
  for (const m of models) log(`build: ${join(outDir, "models", m.file)} ${m.name} (${mb(m.bytes)})`);
  const report: BuildReport = { bundle: built, executables: {}, models, nodeVersion: NODE_VERSION, milliseconds: 0 };
  if (options.sea !== false) {
    const arches = options.arches ?? ARCHES;
    // Fetch the runtimes first (cached after the first build), one download at a time.
    for (const arch of arches) await timed(`node ${NODE_VERSION} ${arch}`, () => nodeBinary(arch));
    const blobs: Partial<Record<Arch, string>> = {};
    for (const arch of arches) blobs[arch] = await timed(`sea blob ${arch}`, () => buildSeaBlob(outDir, arch));
    const made = await timed(`inject ${arches.join(", ")}`, () =>
      Promise.all(arches.map(async (arch) => [arch, await buildExecutable(outDir, arch, blobs[arch]!)] as const)),
    );
    for (const [arch, executable] of made) {
      report.executables[arch] = executable;
      log(`build: ${executable.path} ${mb(executable.bytes)} (Node ${NODE_VERSION})`);
    }
  }
  report.milliseconds = Date.now() - started;
  log(`build: done in ${(report.milliseconds / 1000).toFixed(1)} s`);
  return report;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--bundle-only");
  if (unknown.length > 0) {
    console.error(`build: unknown argument ${unknown[0]}; usage: build/build.ts [--bundle-only]`);
    process.exitCode = 2;
  } else {
    await buildAll({ sea: !args.includes("--bundle-only") }).catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    });
  }
}
