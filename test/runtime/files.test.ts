// `Runtime.files` on whichever runtime runs the test: the Node adapter under Node, the Deno adapter
// under Deno (`npx deno test -A --no-check test/runtime/`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { FileNotFound } from "../../src/runtime/runtime.ts";
import { listDir, pattern, withTempDir, withUmask } from "./helpers.ts";

const runtime = await selectRuntime();
const { files } = runtime;
const bytes = (text: string) => new TextEncoder().encode(text);

test("readFile of a missing file rejects with FileNotFound", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing.json`;
    const error = await files.readFile(path).then(
      () => assert.fail("readFile resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof FileNotFound, `got ${String(error)}`);
    assert.equal(error.code, "file_not_found");
    assert.equal(error.path, path);
  });
});

test("readFile of a folder rejects with something other than FileNotFound", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(files.readFile(dir), (e: unknown) => !(e instanceof FileNotFound));
  });
});

test("writeFileAtomic then readFile gives the same bytes, empty and large", async () => {
  await withTempDir(async (dir) => {
    for (const data of [new Uint8Array(0), bytes("hello\n"), pattern(3 * 1024 * 1024 + 7)]) {
      await files.writeFileAtomic(`${dir}/f.bin`, data, 0o600);
      const back = await files.readFile(`${dir}/f.bin`);
      assert.ok(back instanceof Uint8Array);
      assert.deepEqual(back, data);
    }
    assert.deepEqual(await listDir(dir), ["f.bin"]);
  });
});

test("writeFileAtomic replaces a file and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    await writeFile(`${dir}/id.json`, "old contents, longer than the new ones");
    await files.writeFileAtomic(`${dir}/id.json`, bytes("new"), 0o600);
    assert.equal(await readFile(`${dir}/id.json`, "utf8"), "new");
    assert.deepEqual(await listDir(dir), ["id.json"]);
  });
});

test("writeFileAtomic gives the exact mode whatever the umask", async () => {
  await withTempDir(async (dir) => {
    await withUmask(0o077, async () => {
      await files.writeFileAtomic(`${dir}/wide`, bytes("x"), 0o644);
      assert.equal(await files.mode(`${dir}/wide`), 0o644);
    });
    await withUmask(0o022, async () => {
      await files.writeFileAtomic(`${dir}/narrow`, bytes("x"), 0o600);
      assert.equal(await files.mode(`${dir}/narrow`), 0o600);
      await files.writeFileAtomic(`${dir}/group`, bytes("x"), 0o660);
      assert.equal(await files.mode(`${dir}/group`), 0o660);
    });
    await withUmask(0o000, async () => {
      // Replacing a 0644 file: the new file has the asked mode, not the old one.
      await files.writeFileAtomic(`${dir}/wide`, bytes("y"), 0o600);
      assert.equal(await files.mode(`${dir}/wide`), 0o600);
    });
    assert.deepEqual(await listDir(dir), ["group", "narrow", "wide"]);
  });
});

test("concurrent writeFileAtomic calls to one path all succeed; one whole version wins", async () => {
  await withTempDir(async (dir) => {
    const versions = Array.from({ length: 16 }, (_, i) => bytes(`version ${i} `.repeat(1000)));
    const results = await Promise.allSettled(versions.map((v) => files.writeFileAtomic(`${dir}/state`, v, 0o600)));
    assert.deepEqual(results.filter((r) => r.status === "rejected"), []);
    const final = await files.readFile(`${dir}/state`);
    assert.ok(versions.some((v) => v.length === final.length && v.every((b, i) => b === final[i])));
    assert.deepEqual(await listDir(dir), ["state"]);
  });
});

test("a failed writeFileAtomic leaves no temporary file behind", async () => {
  await withTempDir(async (dir) => {
    await mkdir(`${dir}/taken/inner`, { recursive: true }); // a non-empty folder cannot be replaced
    await assert.rejects(files.writeFileAtomic(`${dir}/taken`, bytes("x"), 0o600));
    assert.deepEqual(await listDir(dir), ["taken"]);
    await assert.rejects(files.writeFileAtomic(`${dir}/no/such/dir/f`, bytes("x"), 0o600));
    assert.deepEqual(await listDir(dir), ["taken"]);
  });
});

test("mkdirp creates every missing parent with the mode and is idempotent", async () => {
  await withTempDir(async (dir) => {
    await withUmask(0o022, async () => {
      await files.mkdirp(`${dir}/a/b/c`, 0o700);
      for (const p of ["a", "a/b", "a/b/c"]) assert.equal(await files.mode(`${dir}/${p}`), 0o700, p);
      await files.mkdirp(`${dir}/a/b/c`, 0o700);
      await files.mkdirp(`${dir}/open/x`, 0o755);
      assert.equal(await files.mode(`${dir}/open`), 0o755);
      assert.equal(await files.mode(`${dir}/open/x`), 0o755);
    });
  });
});

test("mkdirp leaves an existing folder's mode alone and fails on a file in the way", async () => {
  await withTempDir(async (dir) => {
    await mkdir(`${dir}/kept`);
    await chmod(`${dir}/kept`, 0o750);
    await files.mkdirp(`${dir}/kept`, 0o700);
    assert.equal(await files.mode(`${dir}/kept`), 0o750);
    await writeFile(`${dir}/file`, "x");
    await assert.rejects(files.mkdirp(`${dir}/file/sub`, 0o700));
  });
});

test("mode gives the permission bits, or null for a missing path", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await files.mode(`${dir}/missing`), null);
    await writeFile(`${dir}/f`, "x");
    for (const m of [0o600, 0o644, 0o400, 0o755]) {
      await chmod(`${dir}/f`, m);
      assert.equal(await files.mode(`${dir}/f`), m);
    }
    await chmod(dir, 0o700);
    assert.equal(await files.mode(dir), 0o700);
  });
});

test("remove deletes a file and ignores a missing one", async () => {
  await withTempDir(async (dir) => {
    await writeFile(`${dir}/f`, "x");
    await files.remove(`${dir}/f`);
    assert.equal(await files.mode(`${dir}/f`), null);
    await files.remove(`${dir}/f`);
    assert.deepEqual(await listDir(dir), []);
  });
});

test("list gives a folder's names sorted, files and folders alike, and [] for a missing folder", async () => {
  await withTempDir(async (dir) => {
    await writeFile(`${dir}/b.json`, "{}");
    await writeFile(`${dir}/a.txt`, "");
    await mkdir(`${dir}/thermal_zone0`);
    assert.deepEqual(await files.list(dir), ["a.txt", "b.json", "thermal_zone0"]);
    assert.deepEqual(await files.list(`${dir}/thermal_zone0`), []);
    assert.deepEqual(await files.list(`${dir}/missing`), []);
  });
});
