// Unpacking SEA assets to the cache (src/adapters/node/sea-assets.ts): with a fake `node:sea`,
// then for real inside a small single executable made with the build's own steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { seaCacheDir, unpackSeaAssets, type SeaApi } from "../../src/adapters/node/sea-assets.ts";
import { ROOT, bundle } from "../../build/bundle.ts";
import { nodeBinary } from "../../build/node-runtime.ts";
import { injectBlob, makeSeaBlob, seaConfig } from "../../build/sea.ts";
import { SKIP_SEA, runBinary, runnerFor, withTempDir } from "./helpers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A fake `node:sea` holding `assets`. */
function fakeSea(assets: Record<string, Uint8Array>, isSea = true): SeaApi {
  return {
    isSea: () => isSea,
    getRawAsset(key) {
      const data = assets[key];
      if (data === undefined) throw Object.assign(new Error(`no asset ${key}`), { code: "ERR_SINGLE_EXECUTABLE_APPLICATION_ASSET_NOT_FOUND" });
      return data.slice().buffer;
    },
  };
}

/** Every file under `dir`, relative, sorted (temporary files included, to catch leftovers). */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await filesUnder(join(dir, entry.name), `${prefix}${entry.name}/`)));
    else out.push(`${prefix}${entry.name}`);
  }
  return out.sort();
}

test("seaCacheDir is $XDG_CACHE_HOME/p2p-agent/<version>, else ~/.cache/p2p-agent/<version>", () => {
  assert.equal(seaCacheDir("1.2.3", undefined, { XDG_CACHE_HOME: "/var/cache/me" }), "/var/cache/me/p2p-agent/1.2.3");
  // The XDG spec says relative paths are to be ignored.
  assert.equal(seaCacheDir("1.2.3", undefined, { XDG_CACHE_HOME: "rel/cache" }), join(homedir(), ".cache", "p2p-agent", "1.2.3"));
  assert.equal(seaCacheDir("1.2.3", undefined, {}), join(homedir(), ".cache", "p2p-agent", "1.2.3"));
  assert.equal(seaCacheDir("1.2.3", "/c", { XDG_CACHE_HOME: "/ignored" }), "/c/p2p-agent/1.2.3");
  for (const bad of ["", ".", "..", "1/2", "a\\b"]) assert.throws(() => seaCacheDir(bad), TypeError, bad);
});

test("outside a single executable nothing is unpacked and the result is undefined", async () => {
  await withTempDir(async (cacheHome) => {
    assert.equal(await unpackSeaAssets(["package.json"], { version: "1.0.0", cacheHome, sea: fakeSea({}, false) }), undefined);
    assert.equal(await unpackSeaAssets(["package.json"], { version: "1.0.0", cacheHome, sea: null }), undefined);
    // This test process is plain Node: the real node:sea says so.
    assert.equal(await unpackSeaAssets(["package.json"], { version: "1.0.0", cacheHome }), undefined);
    assert.deepEqual(await readdir(cacheHome), []);
  });
});

test("inside one, the named assets are written under the versioned cache folder, once", async () => {
  await withTempDir(async (cacheHome) => {
    const sea = fakeSea({ "a.txt": bytes("alpha"), "lib/native/x.so": bytes("\x7fELF..."), "unused": bytes("no") });
    const dir = await unpackSeaAssets(["a.txt", "lib/native/x.so"], { version: "1.0.0", cacheHome, sea });
    assert.equal(dir, join(cacheHome, "p2p-agent", "1.0.0"));
    assert.deepEqual(await filesUnder(dir!), ["a.txt", "lib/native/x.so"]);
    assert.equal(await readFile(join(dir!, "a.txt"), "utf8"), "alpha");
    assert.equal((await stat(join(dir!, "a.txt"))).mode & 0o777, 0o644);
    const before = await stat(join(dir!, "lib/native/x.so"));
    // Second start: the files are there with the right sizes, so nothing is written again.
    assert.equal(await unpackSeaAssets(["a.txt", "lib/native/x.so"], { version: "1.0.0", cacheHome, sea }), dir);
    const afterwards = await stat(join(dir!, "lib/native/x.so"));
    assert.equal(afterwards.ino, before.ino);
    assert.equal(afterwards.mtimeMs, before.mtimeMs);
    // Another version gets its own folder.
    const other = await unpackSeaAssets(["a.txt"], { version: "2.0.0", cacheHome, sea });
    assert.equal(other, join(cacheHome, "p2p-agent", "2.0.0"));
  });
});

test("a file of the wrong size (torn or stale) is replaced", async () => {
  await withTempDir(async (cacheHome) => {
    const dir = join(cacheHome, "p2p-agent", "1.0.0");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "a.txt"), "alp");
    await unpackSeaAssets(["a.txt"], { version: "1.0.0", cacheHome, sea: fakeSea({ "a.txt": bytes("alpha") }) });
    assert.equal(await readFile(join(dir, "a.txt"), "utf8"), "alpha");
  });
});

test("agents starting at once all succeed and leave whole files and no temporary ones", async () => {
  await withTempDir(async (cacheHome) => {
    const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 251);
    const starts = Array.from({ length: 6 }, () =>
      unpackSeaAssets(["big.bin", "small.txt"], { version: "1.0.0", cacheHome, sea: fakeSea({ "big.bin": big, "small.txt": bytes("s") }) }),
    );
    const dirs = await Promise.all(starts);
    assert.equal(new Set(dirs).size, 1);
    assert.deepEqual(await filesUnder(dirs[0]!), ["big.bin", "small.txt"]);
    assert.deepEqual(new Uint8Array(await readFile(join(dirs[0]!, "big.bin"))), big);
  });
});

test("bad asset names are refused with TypeError before anything is written; a missing asset is named", async () => {
  await withTempDir(async (cacheHome) => {
    const sea = fakeSea({ "a.txt": bytes("alpha") });
    for (const bad of ["", "../escape", "/abs", "a//b", "a/./b", "a\\b", "a/"]) {
      await assert.rejects(unpackSeaAssets([bad], { version: "1.0.0", cacheHome, sea }), TypeError, JSON.stringify(bad));
    }
    await assert.rejects(unpackSeaAssets(["a.txt"], { version: "../x", cacheHome, sea }), TypeError);
    assert.deepEqual(await readdir(cacheHome), []);
    await assert.rejects(unpackSeaAssets(["missing.so"], { version: "1.0.0", cacheHome, sea }), /sea asset "missing.so" is not embedded/);
  });
});

const x64 = runnerFor("x64");
const realSkip = SKIP_SEA || ("skip" in x64 ? x64.skip : false);

test("a real single executable unpacks its embedded assets to $XDG_CACHE_HOME once", { skip: realSkip }, async () => {
  await withTempDir(async (dir) => {
    const main = join(dir, "main.cjs");
    await bundle({ outfile: main, entry: join(ROOT, "test/build/fixtures/unpack-main.ts"), format: "cjs" });
    await writeFile(join(dir, "hello.txt"), "hello from the blob\n");
    const assets = { "package.json": join(ROOT, "package.json"), "nested/hello.txt": join(dir, "hello.txt") };
    const node = await nodeBinary("x64");
    const blob = await makeSeaBlob(node, seaConfig(main, join(dir, "unpack.blob"), assets));
    const exe = await injectBlob(node, blob, join(dir, "unpack"));
    const cache = join(dir, "cache");
    const runner = x64 as { prefix: string[] };
    const first = runBinary(runner, exe, [], { cwd: dir, env: { XDG_CACHE_HOME: cache } });
    assert.equal(first.code, 0, first.stderr);
    const unpacked = join(cache, "p2p-agent", "0.0.0-test");
    assert.equal(first.stdout, `${unpacked}\n`);
    assert.equal(first.stderr, "", "no SEA warning, nothing else on stderr");
    assert.deepEqual(await readFile(join(unpacked, "package.json")), await readFile(join(ROOT, "package.json")));
    assert.equal(await readFile(join(unpacked, "nested/hello.txt"), "utf8"), "hello from the blob\n");
    const before = await stat(join(unpacked, "package.json"));
    const second = runBinary(runner, exe, [], { cwd: dir, env: { XDG_CACHE_HOME: cache } });
    assert.equal(second.stdout, first.stdout);
    assert.equal((await stat(join(unpacked, "package.json"))).mtimeMs, before.mtimeMs);
  });
});
