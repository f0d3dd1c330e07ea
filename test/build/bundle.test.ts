// The bundle (build step 1): one self-contained JavaScript file under its size budget, which Node
// and Deno run from a folder outside the repository. Built once, into a temporary folder.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { BUNDLE_BUDGET_BYTES, ESM_REQUIRE_BANNER, OPTIONAL_REQUIRES, ROOT, bundle, checkBudget } from "../../build/bundle.ts";
import { SEA_MAIN, buildBundle } from "../../build/build.ts";
import { runSync, startUntilReady, withTempDir } from "./helpers.ts";

const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
const DENO = join(ROOT, "node_modules", ".bin", "deno");

let outDir = "";
let esm = "";
let externals: string[] = [];
before(async () => {
  outDir = await mkdtemp(join(tmpdir(), "p2p-bundle-"));
  ({ path: esm, externals } = await buildBundle(outDir));
});
after(async () => {
  if (outDir !== "") await rm(outDir, { recursive: true, force: true });
});

test("the bundle is one ESM file under the size budget", async () => {
  const size = await checkBudget(esm);
  assert.ok(size <= BUNDLE_BUDGET_BYTES, `${size} bytes`);
  assert.ok(size > 100_000, `suspiciously small bundle: ${size} bytes`);
  const code = await readFile(esm, "utf8");
  assert.ok(code.startsWith(ESM_REQUIRE_BANNER), "the createRequire banner comes first");
  assert.doesNotMatch(code, /^(module\.)?exports\b|\bmodule\.exports\s*=/m, "ESM, not CommonJS");
});

test("the bundle inlines every dependency: it names only node builtins, no node_modules/ or repository path", async () => {
  const code = await readFile(esm, "utf8");
  assert.ok(!code.includes("node_modules/"), "the bundle mentions node_modules/");
  assert.ok(!code.includes(ROOT), `the bundle mentions the repository path ${ROOT}`);
  // Dependencies' package.json files are cut to name and version (mqtt and aedes read the version).
  assert.ok(!code.includes('"devDependencies"'), "the bundle carries a whole package.json");
  // esbuild's own list of what stays outside: Node builtins, and optional packages required in try/catch.
  assert.ok(externals.includes("node:crypto"), `externals: ${externals.join(", ")}`);
  const foreign = externals.filter((s) => !isBuiltin(s) && !OPTIONAL_REQUIRES.has(s));
  assert.deepEqual(foreign, []);
});

test("bundle fails the build when a dependency is left unresolved", async () => {
  await withTempDir(async (dir) => {
    // esbuild leaves a require() inside try/catch unresolved without an error; the build must not.
    const entry = join(dir, "entry.cjs");
    await writeFile(entry, 'try { require("definitely-not-installed-pkg"); } catch {}\n');
    await assert.rejects(bundle({ outfile: join(dir, "out.mjs"), entry }), /definitely-not-installed-pkg/);
  });
});

test("checkBudget fails the build when the bundle is over budget, naming size and budget", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "big.mjs");
    await writeFile(file, "x".repeat(1000));
    assert.equal(await checkBudget(file, 1000), 1000);
    await assert.rejects(checkBudget(file, 999), /1000 bytes, over the budget of 999 bytes/);
  });
});

test("node runs the bundle copied outside the repository: --version, id", async () => {
  await withTempDir(async (dir) => {
    await copyFile(esm, join(dir, "agent.mjs"));
    const shown = runSync(process.execPath, ["agent.mjs", "--version"], { cwd: dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, `${version}\n`);
    const first = runSync(process.execPath, ["agent.mjs", "id", "--data-dir", join(dir, "data")], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^[a-z2-7]{52}\n$/);
    const again = runSync(process.execPath, ["agent.mjs", "id", "--data-dir", join(dir, "data")], { cwd: dir });
    assert.equal(again.stdout, first.stdout);
  });
});

test("node runs the bundled agent outside the repository: agent.ready, a task in a worker thread, SIGTERM exits 0", async () => {
  await withTempDir(async (dir) => {
    await copyFile(esm, join(dir, "agent.mjs"));
    const data = join(dir, "data");
    const args = ["agent.mjs", "run", "--no-mdns", "--listen", "127.0.0.1:0", "--data-dir", data];
    let submitted: ReturnType<typeof runSync> | undefined;
    // The task worker thread loads the bundle file itself: no TypeScript, no tsx outside the repo.
    const onReady = () => {
      submitted = runSync(process.execPath, ["agent.mjs", "submit", "sha256", "--input-text", "hi", "--wait", "--data-dir", data], { cwd: dir });
    };
    const ran = await startUntilReady(process.execPath, args, { cwd: dir, onReady });
    assert.equal(ran.code, 0, `signal ${ran.signal}; ${ran.stderr}`);
    assert.equal(ran.ready["broker"], "embedded");
    assert.equal(submitted?.code, 0, submitted?.stderr);
    assert.equal(submitted?.stdout, `${createHash("sha256").update("hi").digest("hex")}\n`);
  });
});

test("the executables' loader is a small CommonJS script that refuses to run outside one", async () => {
  await withTempDir(async (dir) => {
    const loader = join(dir, "sea-main.cjs");
    const define = { __P2P_BUNDLE_ASSET__: '"agent.0123456789abcdef.mjs"', __P2P_VERSION__: JSON.stringify(version), __P2P_UNPACK_ASSETS__: "[]" };
    const { bytes, externals: imports } = await bundle({ entry: SEA_MAIN, outfile: loader, format: "cjs", define });
    assert.ok(bytes < 16_384, `${bytes} bytes`);
    assert.ok(imports.every((s) => isBuiltin(s)), imports.join(", "));
    const ran = runSync(process.execPath, [loader], { cwd: dir, env: { XDG_CACHE_HOME: join(dir, "cache") } });
    assert.equal(ran.code, 1);
    assert.equal(ran.stderr, "agent: cannot start: this loader runs only inside the single executable\n");
  });
});

const denoSkip = (await readFile(DENO).then(
  () => false,
  () => "deno is not installed (npm install)",
)) as string | false;

test("deno runs the bundle copied outside the repository: --version, id", { skip: denoSkip }, async () => {
  await withTempDir(async (dir) => {
    await copyFile(esm, join(dir, "agent.mjs"));
    const shown = runSync(DENO, ["run", "-A", "agent.mjs", "--version"], { cwd: dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, `${version}\n`);
    const made = runSync(DENO, ["run", "-A", "agent.mjs", "id", "--data-dir", join(dir, "data")], { cwd: dir });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^[a-z2-7]{52}\n$/);
    // The identity Deno made is the one Node reads: same data dir format on both runtimes.
    const byNode = runSync(process.execPath, ["agent.mjs", "id", "--data-dir", join(dir, "data")], { cwd: dir });
    assert.equal(byNode.stdout, made.stdout);
  });
});

test("the build script refuses an unknown argument with exit 2", () => {
  const ran = runSync(process.execPath, ["--import", "tsx", join(ROOT, "build", "build.ts"), "--nope"], { cwd: ROOT });
  assert.equal(ran.code, 2, ran.stderr);
  assert.match(ran.stderr, /unknown argument --nope/);
});
