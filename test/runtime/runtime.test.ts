// `selectRuntime()` and the small parts of `Runtime`: name, version, randomness, Ed25519
// provider, environment, clock and timers, on whichever runtime runs the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { nobleEd25519 } from "../../src/crypto/ed25519-noble.ts";
import { fromHex } from "../../src/core/bytes.ts";
import { expected, isDeno } from "./helpers.ts";

const runtime = await selectRuntime();

test("selectRuntime picks the adapter for the runtime it runs on", () => {
  assert.equal(runtime.name, expected.name);
  const version = isDeno ? (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno : process.versions.node;
  assert.equal(runtime.version, version);
  assert.match(runtime.version, /^\d+\.\d+\.\d+/);
});

test("random gives the asked length, in and past the 65,536-byte Web Crypto chunk", () => {
  for (const n of [0, 1, 32, 65535, 65536, 65537, 200_000]) {
    const r = runtime.random(n);
    assert.ok(r instanceof Uint8Array);
    assert.equal(r.length, n);
    assert.equal(r.byteOffset, 0);
  }
  // The last chunk of a long request is filled too (all-zero 1,000 bytes has chance 2^-8000).
  assert.ok(runtime.random(66_536).subarray(65_536).some((b) => b !== 0));
  assert.notDeepEqual(runtime.random(32), runtime.random(32));
});

test("random refuses a bad length with RangeError", () => {
  for (const n of [-1, 1.5, Number.NaN]) assert.throws(() => runtime.random(n), RangeError, String(n));
});

test("the Ed25519 provider is the runtime's native one", () => {
  assert.equal(runtime.ed25519.name, expected.ed25519);
});

test("the Ed25519 provider matches RFC 8032 test 1 and noble", async () => {
  // RFC 8032 §7.1, TEST 1 (empty message).
  const seed = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const publicKey = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const signature = fromHex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  );
  const { ed25519 } = runtime;
  assert.deepEqual(await ed25519.publicKey(seed), publicKey);
  assert.deepEqual(await ed25519.sign(seed, new Uint8Array(0)), signature);
  assert.equal(await ed25519.verify(publicKey, new Uint8Array(0), signature), true);
  const message = runtime.random(100);
  const seed2 = runtime.random(32);
  const sig = await ed25519.sign(seed2, message);
  assert.deepEqual(sig, await nobleEd25519.sign(seed2, message));
  assert.equal(await ed25519.verify(await nobleEd25519.publicKey(seed2), message, sig), true);
  message[0]! ^= 1;
  assert.equal(await ed25519.verify(await ed25519.publicKey(seed2), message, sig), false);
});

test("env reads the process environment; homeDir is the home folder", () => {
  assert.equal(runtime.env("PATH"), process.env.PATH);
  assert.equal(runtime.env("P2P_AGENT_SURELY_UNSET_VARIABLE"), undefined);
  if (process.env.HOME) assert.equal(runtime.homeDir(), process.env.HOME);
});

test("clock and timers are the system ones", async () => {
  const before = Date.now();
  const now = runtime.clock.now();
  assert.ok(now >= before && now <= Date.now());
  const fired = await new Promise<boolean>((resolve) => {
    const cancelled = runtime.timers.setTimeout(() => resolve(false), 1);
    runtime.timers.clearTimeout(cancelled);
    runtime.timers.setTimeout(() => resolve(true), 2);
  });
  assert.equal(fired, true);
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const h = runtime.timers.setInterval(() => {
      if (++ticks === 3) {
        runtime.timers.clearInterval(h);
        resolve();
      }
    }, 1);
  });
  assert.equal(ticks, 3);
});
