// Step 1 of the build: esbuild bundles the CLI (src/cli/entry.ts) and every npm dependency into
// one ES module, dist/agent.mjs, which `node`, `deno` and the single executables all run. The
// same function bundles the executables' small CommonJS loader (build/sea-main.ts).
import { build, type Plugin } from "esbuild";
import { readFile, stat } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding package.json). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The program entry the bundle starts from. */
export const ENTRY = `${ROOT}src/cli/entry.ts`;

/**
 * The most bytes dist/agent.mjs may have: 2 MiB. The bundle was 0.66 MB when the budget was set
 * (minified, all dependencies inlined), so there is room for onnxruntime's JavaScript side and the
 * task kinds still to come; a jump past it means a dependency pulled in something it should not.
 */
export const BUNDLE_BUDGET_BYTES = 2 * 1024 * 1024;

/**
 * Prepended to the ESM bundle: bundled CommonJS packages (mqtt, aedes' helpers, bonjour-service)
 * call `require("events")` and the like, which an ES module does not have. esbuild's own
 * `__require` shim picks this `require` up. Works under Node and Deno (`node:module` in both).
 */
export const ESM_REQUIRE_BANNER =
  'import { createRequire as __p2pCreateRequire } from "node:module"; const require = __p2pCreateRequire(import.meta.url);';

/**
 * Packages the bundle may leave unresolved: optional speed-ups that ws (bufferutil,
 * utf-8-validate) and debug (supports-color) `require()` inside try/catch and do without.
 * Anything else unresolved fails the build: it would be missing on the device.
 */
export const OPTIONAL_REQUIRES: ReadonlySet<string> = new Set(["bufferutil", "utf-8-validate", "supports-color"]);

/** What `bundle` made: its size, and the modules it still imports (builtins and OPTIONAL_REQUIRES). */
export interface BundleResult {
  bytes: number;
  externals: string[];
}

/** What `bundle` makes. */
export interface BundleOptions {
  /** Where to write the bundle. */
  outfile: string;
  /** The entry module (default `ENTRY`; tests bundle fixtures). */
  entry?: string;
  /** `esm` for dist/agent.mjs (default), `cjs` for the single executables' loader. */
  format?: "esm" | "cjs";
  /** Identifiers replaced by JSON values at build time (esbuild `define`). */
  define?: Record<string, string>;
  /** Minify (default true). Names are kept either way, so stack traces and logs stay readable. */
  minify?: boolean;
}

/**
 * Keeps only `name` and `version` of every package.json the code imports. mqtt and aedes read
 * their own package.json for the version; without this the bundle would carry both whole files
 * (scripts, dev dependency lists, paths like node_modules/.bin/nyc), and ours too.
 */
export const slimPackageJson: Plugin = {
  name: "slim-package-json",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, "utf8")) as { name?: string; version?: string };
      return { contents: JSON.stringify({ name, version }), loader: "json" };
    });
  },
};

/**
 * Bundles `options.entry` (default src/cli/entry.ts) with every npm dependency inlined into
 * `options.outfile`, for Node 20 and later (platform node, target node20); Node builtins stay
 * imports. Returns the bundle's size and the modules it still imports. Throws with esbuild's
 * messages when bundling fails, when esbuild warns (for example about `import.meta` in CommonJS),
 * and when anything but a builtin or one of OPTIONAL_REQUIRES is left unresolved.
 */
export async function bundle(options: BundleOptions): Promise<BundleResult> {
  const format = options.format ?? "esm";
  const result = await build({
    entryPoints: [options.entry ?? ENTRY],
    outfile: options.outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format,
    minify: options.minify ?? true,
    keepNames: true,
    legalComments: "none",
    banner: format === "esm" ? { js: ESM_REQUIRE_BANNER } : {},
    define: options.define ?? {},
    plugins: [slimPackageJson],
    logLevel: "silent",
    metafile: true,
  });
  if (result.warnings.length > 0) {
    throw new Error(`bundle: esbuild warned: ${result.warnings.map((w) => w.text).join("; ")}`);
  }
  if (result.metafile === undefined) throw new Error("bundle: esbuild returned no metafile");
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
  const externals = [...new Set(imports.filter((i) => i.external).map((i) => i.path))].sort();
  const missing = externals.filter((path) => !isBuiltin(path) && !OPTIONAL_REQUIRES.has(path));
  if (missing.length > 0) {
    throw new Error(`bundle: ${missing.join(", ")} not inlined (not a Node builtin); add it to dependencies or to OPTIONAL_REQUIRES if it is optional`);
  }
  return { bytes: (await stat(options.outfile)).size, externals };
}

/**
 * Fails when the file at `path` is larger than `budget` bytes (default `BUNDLE_BUDGET_BYTES`):
 * throws an Error naming the size and the budget. Returns the size.
 */
export async function checkBudget(path: string, budget: number = BUNDLE_BUDGET_BYTES): Promise<number> {
  const size = (await stat(path)).size;
  if (size > budget) {
    throw new Error(`bundle: ${path} is ${size} bytes, over the budget of ${budget} bytes (build/bundle.ts BUNDLE_BUDGET_BYTES)`);
  }
  return size;
}
