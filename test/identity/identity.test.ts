// Identity: the key file on disk (src/identity/identity.ts), the agent ID text form
// (src/identity/agent-id.ts) and where the data dir is (src/config/data-dir.ts). Runs on the real
// runtime adapter, so under Deno it also covers the Deno files adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, readFile, writeFile, mkdir } from "node:fs/promises";
import fc from "fast-check";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { DATA_DIR_ENV, resolveDataDir } from "../../src/config/data-dir.ts";
import { AGENT_ID_LENGTH, agentIdFromKey, keyFromAgentId, shortId } from "../../src/identity/agent-id.ts";
import { IDENTITY_FILE, IdentityError, loadOrCreateIdentity } from "../../src/identity/identity.ts";
import { toHex } from "../../src/core/bytes.ts";
import { withTempDir, withUmask } from "../runtime/helpers.ts";

const runtime = await selectRuntime();

/** Asserts that `promise` rejects with an IdentityError whose code is `code`. */
async function rejectsWith(promise: Promise<unknown>, code: IdentityError["code"]): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof IdentityError, `expected IdentityError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.message.includes("\n"), false);
    return true;
  });
}

test("first start creates an identity; the next start loads the same one", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/state/p2p-agent`;
    const first = await loadOrCreateIdentity(runtime, dataDir);
    assert.match(first.id, /^[a-z2-7]{52}$/);
    assert.equal(first.seed.length, 32);
    assert.deepEqual(first.publicKey, await runtime.ed25519.publicKey(first.seed));
    assert.equal(first.id, agentIdFromKey(first.publicKey));
    const again = await loadOrCreateIdentity(runtime, dataDir);
    assert.equal(again.id, first.id);
    assert.deepEqual(again.seed, first.seed);
    const other = await loadOrCreateIdentity(runtime, `${dir}/other`);
    assert.notEqual(other.id, first.id);
  });
});

test("the key file is mode 0600 JSON in folders created 0700, whatever the umask", async () => {
  for (const mask of [0o000, 0o022]) {
    await withTempDir(async (dir) => {
      const dataDir = `${dir}/state/p2p-agent`;
      const identity = await withUmask(mask, () => loadOrCreateIdentity(runtime, dataDir));
      const path = `${dataDir}/${IDENTITY_FILE}`;
      assert.equal(await runtime.files.mode(path), 0o600, `umask ${mask.toString(8)}`);
      assert.equal(await runtime.files.mode(dataDir), 0o700);
      assert.equal(await runtime.files.mode(`${dir}/state`), 0o700);
      const record = JSON.parse(await readFile(path, "utf8"));
      assert.deepEqual(record, { version: 1, algorithm: "Ed25519", seed: toHex(identity.seed), id: identity.id });
    });
  }
});

test("a key file group or others can read or write is refused and left alone", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/${IDENTITY_FILE}`;
    await loadOrCreateIdentity(runtime, dir);
    const before = await readFile(path, "utf8");
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      await chmod(path, mode);
      await rejectsWith(loadOrCreateIdentity(runtime, dir), "key_file_exposed");
    }
    assert.equal(await readFile(path, "utf8"), before);
    await chmod(path, 0o400); // read-only for the owner is private enough
    assert.equal((await loadOrCreateIdentity(runtime, dir)).id, JSON.parse(before).id);
  });
});

test("a corrupt or mismatched key file is refused as key_file_invalid", async () => {
  await withTempDir(async (dir) => {
    const good = await loadOrCreateIdentity(runtime, `${dir}/good`);
    const otherSeed = toHex(runtime.random(32));
    const record = { version: 1, algorithm: "Ed25519", seed: toHex(good.seed), id: good.id };
    const bad: Record<string, string> = {
      empty: "",
      truncated: JSON.stringify(record).slice(0, 40),
      null: "null",
      array: "[]",
      "wrong id": JSON.stringify({ ...record, seed: otherSeed }),
      "missing id": JSON.stringify({ ...record, id: undefined }),
      "wrong version": JSON.stringify({ ...record, version: 2 }),
      "wrong algorithm": JSON.stringify({ ...record, algorithm: "Ed448" }),
      "short seed": JSON.stringify({ ...record, seed: otherSeed.slice(2) }),
      "upper-case seed": JSON.stringify({ ...record, seed: toHex(good.seed).toUpperCase() }),
    };
    for (const [name, text] of Object.entries(bad)) {
      const dataDir = `${dir}/${name}`;
      await mkdir(dataDir, { mode: 0o700 });
      await writeFile(`${dataDir}/${IDENTITY_FILE}`, text, { mode: 0o600 });
      await assert.rejects(loadOrCreateIdentity(runtime, dataDir), (e: unknown) => {
        assert.ok(e instanceof IdentityError && e.code === "key_file_invalid", `${name}: got ${String(e)}`);
        return true;
      });
      assert.equal(await readFile(`${dataDir}/${IDENTITY_FILE}`, "utf8"), text, `${name} left alone`);
    }
  });
});

test("agent IDs round-trip any 32-byte key", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
      const id = agentIdFromKey(key);
      assert.equal(id.length, AGENT_ID_LENGTH);
      assert.match(id, /^[a-z2-7]+$/);
      assert.deepEqual(keyFromAgentId(id), key);
    }),
  );
});

test("agent IDs match RFC 4648 base32 on fixed keys", () => {
  assert.equal(agentIdFromKey(new Uint8Array(32)), "a".repeat(52));
  // 256 one bits: 51 characters of 31, then 1 bit followed by four zero padding bits.
  assert.equal(agentIdFromKey(new Uint8Array(32).fill(0xff)), "7".repeat(51) + "q");
  const counting = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(agentIdFromKey(counting), "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypq");
  assert.equal(shortId(agentIdFromKey(counting)), "aaaqeaye");
});

test("bad agent IDs and bad keys are refused with TypeError", () => {
  const good = agentIdFromKey(new Uint8Array(32).fill(7));
  const bad = [
    "",
    good.slice(1), // 51 characters
    good + "a", // 53 characters
    good.slice(0, 51) + "1", // not in the alphabet
    good.slice(0, 51) + "8",
    good.slice(0, 51) + "=",
    "7".repeat(52), // the last character's padding bits are not zero
    good.slice(0, 51) + "b", // ditto, a single padding bit
    " ".repeat(52),
  ];
  for (const id of bad) assert.throws(() => keyFromAgentId(id), TypeError, JSON.stringify(id));
  assert.throws(() => keyFromAgentId(42 as unknown as string), TypeError);
  assert.throws(() => agentIdFromKey(new Uint8Array(31)), TypeError);
  assert.throws(() => agentIdFromKey(new Uint8Array(33)), TypeError);
  assert.throws(() => agentIdFromKey("key" as unknown as Uint8Array), TypeError);
});

test("the data dir is the flag, else P2P_AGENT_DATA_DIR, else XDG_STATE_HOME, else HOME", () => {
  const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
  const all = envOf({ [DATA_DIR_ENV]: "/from/env", XDG_STATE_HOME: "/xdg/state" });
  assert.equal(DATA_DIR_ENV, "P2P_AGENT_DATA_DIR");
  assert.equal(resolveDataDir("/from/flag", all, "/home/pi"), "/from/flag");
  assert.equal(resolveDataDir(undefined, all, "/home/pi"), "/from/env");
  assert.equal(resolveDataDir(undefined, envOf({ XDG_STATE_HOME: "/xdg/state" }), "/home/pi"), "/xdg/state/p2p-agent");
  assert.equal(resolveDataDir(undefined, envOf({}), "/home/pi"), "/home/pi/.local/state/p2p-agent");
  // Empty variables count as unset; trailing slashes are dropped.
  const empty = envOf({ [DATA_DIR_ENV]: "", XDG_STATE_HOME: "" });
  assert.equal(resolveDataDir(undefined, empty, "/home/pi/"), "/home/pi/.local/state/p2p-agent");
  assert.equal(resolveDataDir("rel/dir//", envOf({}), undefined), "rel/dir");
  assert.equal(resolveDataDir("/", envOf({}), undefined), "/");
  assert.throws(() => resolveDataDir(undefined, envOf({}), undefined), TypeError);
  assert.throws(() => resolveDataDir(undefined, empty, ""), TypeError);
});
