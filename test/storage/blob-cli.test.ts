// `agent store FILE` and `agent fetch HASH` (the CLI, in process) against two running agents with
// the storage role: the file goes in through one agent's control socket and comes out of the other's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { main } from "../../src/cli/main.ts";
import { runtime, Scope } from "../support/mesh-fixtures.ts";
import { storageMesh } from "./storage-fixtures.ts";

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, runtime);
  return { code, out, err };
}

test("agent store FILE on one agent, agent fetch HASH on another: the same bytes, checked by hash", { timeout: 60_000 }, async () => {
  const scope = new Scope();
  try {
    const [a, b, c] = await storageMesh(scope, [
      { name: "a", roles: ["storage"] },
      { name: "b", roles: ["storage"] },
      { name: "c", roles: ["coordinator"] },
    ]);
    const dir = await scope.tempDir();
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
    await writeFile(`${dir}/in.bin`, bytes);
    const stored = await cli(["store", `${dir}/in.bin`, "--replicas", "2", "--data-dir", a!.kit.dataDir]);
    assert.equal(stored.code, 0, stored.err.join("\n"));
    const hash = createHash("sha256").update(bytes).digest("hex");
    assert.deepEqual(stored.out, [hash]);
    assert.match(stored.err[0]!, /^stored 300000 bytes on 2 of 2 peers: /);

    const fetched = await cli(["fetch", hash, "--out", `${dir}/out.bin`, "--data-dir", b!.kit.dataDir]);
    assert.equal(fetched.code, 0, fetched.err.join("\n"));
    assert.deepEqual(new Uint8Array(await readFile(`${dir}/out.bin`)), bytes);
    const binary = await cli(["fetch", hash, "--data-dir", b!.kit.dataDir]);
    assert.equal(binary.code, 2, "binary without --out is a usage mistake");
    assert.match(binary.err[0]!, /is binary .* give --out FILE/);

    // Through an agent without the storage role: store and fetch tasks carry the bytes.
    const viaTask = await cli(["fetch", hash, "--out", `${dir}/task.bin`, "--data-dir", c!.kit.dataDir]);
    assert.equal(viaTask.code, 0, viaTask.err.join("\n"));
    assert.deepEqual(new Uint8Array(await readFile(`${dir}/task.bin`)), bytes);
    await writeFile(`${dir}/big.bin`, new Uint8Array(1 << 20));
    const big = await cli(["store", `${dir}/big.bin`, "--data-dir", c!.kit.dataDir]);
    assert.equal(big.code, 2, "too big for a task: refused up front, not left to time out");
    assert.match(big.err[0]!, /limit is 921600 .*storage peer/);
    const onA = await cli(["store", `${dir}/big.bin`, "--replicas", "2", "--data-dir", a!.kit.dataDir]);
    assert.equal(onA.code, 0, onA.err.join("\n"));
    assert.match(onA.err[0]!, /^stored 1048576 bytes on 2 of 2 peers/);

    await writeFile(`${dir}/note.txt`, "a note for the mesh");
    const note = (await cli(["store", `${dir}/note.txt`, "--json", "--data-dir", c!.kit.dataDir])).out[0]!;
    const text = await cli(["fetch", JSON.parse(note).hash, "--data-dir", a!.kit.dataDir]);
    assert.deepEqual([text.code, text.out], [0, ["a note for the mesh"]]);

    const unknown = await cli(["fetch", "0".repeat(64), "--data-dir", a!.kit.dataDir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err[0]!, /fetch failed .*blob_not_found/);
    assert.equal((await cli(["fetch", "not-a-hash", "--data-dir", a!.kit.dataDir])).code, 2);
    assert.equal((await cli(["store", `${dir}/missing`, "--data-dir", a!.kit.dataDir])).code, 2);
    assert.equal((await cli(["store", `${dir}/note.txt`, "--replicas", "0", "--data-dir", a!.kit.dataDir])).code, 2);
  } finally {
    await scope.close();
  }
});
