// Member certificates and tokens (src/mesh/membership.ts) and the membership file
// (src/mesh/membership-store.ts): issue and verify, expiry, the wrong mesh, tampering, the text form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeRuntime } from "../../../src/adapters/node/runtime-node.ts";
import { loadOrCreateIdentity } from "../../../src/identity/identity.ts";
import { certSigner, certToToken, CERT_TYPE, MembershipError, TOKEN_PREFIX, tokenToCert, verifyCert } from "../../../src/mesh/membership.ts";
import { joinWithToken, loadOrFoundMembership, MEMBERSHIP_FILE } from "../../../src/mesh/membership-store.ts";
import { certBy, ed25519, envelopeBy, party } from "../../support/keys.ts";

const NOW = 1_700_000_000_000;
const [owner, alice, stranger] = await Promise.all([party(0x21), party(0x22), party(0x23)]);

async function refused(promise: Promise<unknown>, code: MembershipError["code"]): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof MembershipError, `expected MembershipError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** `bytes` with the first occurrence of `text` changed in its last character. */
function tamper(bytes: Uint8Array, text: string): Uint8Array {
  const needle = new TextEncoder().encode(text);
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) {
      const out = bytes.slice();
      out[i + needle.length - 1]! ^= 0x01;
      return out;
    }
  }
  throw new Error(`${text} not found`);
}

test("an agent certificate verifies under its mesh and names its member", async () => {
  const bytes = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, NOW);
  const cert = await verifyCert(ed25519, bytes, owner.id, NOW);
  assert.deepEqual(
    { ...cert, bytes: undefined },
    { meshId: owner.id, meshName: "home", kind: "agent", member: alice.id, exp: 0, bytes: undefined },
  );
  assert.equal(cert.bytes, bytes);
  assert.equal(certSigner(bytes), owner.id);
});

test("a sensor certificate carries a name; bad sensor names are refused when issuing", async () => {
  const bytes = await certBy(owner, { kind: "sensor", meshName: "home", name: "kitchen.temp-1", exp: NOW + 1 }, NOW);
  const cert = await verifyCert(ed25519, bytes, owner.id, NOW);
  assert.equal(cert.kind, "sensor");
  assert.equal(cert.name, "kitchen.temp-1");
  assert.equal(cert.member, undefined);
  assert.equal(cert.exp, NOW + 1);
  for (const name of ["", "a/b", "a b", "x".repeat(65), "#"]) {
    await assert.rejects(async () => certBy(owner, { kind: "sensor", meshName: "home", name, exp: 0 }, NOW), TypeError, JSON.stringify(name));
  }
});

test("expiry: valid up to and including exp, refused after", async () => {
  const bytes = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: NOW + 1_000 }, NOW);
  assert.equal((await verifyCert(ed25519, bytes, owner.id, NOW + 1_000)).exp, NOW + 1_000);
  await refused(verifyCert(ed25519, bytes, owner.id, NOW + 1_001), "expired");
});

test("the wrong mesh: signed by someone other than the mesh owner", async () => {
  const bytes = await certBy(stranger, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, NOW);
  await refused(verifyCert(ed25519, bytes, owner.id, NOW), "wrong_mesh");
  assert.equal((await verifyCert(ed25519, bytes, stranger.id, NOW)).member, alice.id, "it is a fine certificate of the stranger's mesh");
});

test("tampering: any changed byte of payload or signature, or a forged signer, is refused", async () => {
  const bytes = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, NOW);
  await refused(verifyCert(ed25519, tamper(bytes, "home"), owner.id, NOW), "bad_signature");
  const sig = bytes.slice();
  sig[sig.length - 1]! ^= 0x01;
  await refused(verifyCert(ed25519, sig, owner.id, NOW), "bad_signature");
  // The stranger signs a certificate but names the owner's key as kid.
  const forged = await certBy({ seed: stranger.seed, publicKey: owner.publicKey }, { kind: "agent", meshName: "home", member: stranger.id, exp: 0 }, NOW);
  await refused(verifyCert(ed25519, forged, owner.id, NOW), "bad_signature");
});

test("not certificates: garbage, another envelope type, a payload without the fields", async () => {
  await refused(verifyCert(ed25519, new Uint8Array([1, 2, 3]), owner.id, NOW), "bad_token");
  await refused(verifyCert(ed25519, await envelopeBy(owner, { type: "presence", payload: {} }, NOW), owner.id, NOW), "bad_token");
  await refused(verifyCert(ed25519, await envelopeBy(owner, { type: CERT_TYPE, payload: { mesh: "home" } }, NOW), owner.id, NOW), "bad_token");
  const noKey = await envelopeBy(owner, { type: CERT_TYPE, payload: { mesh: "home", kind: "agent", exp: 0 } }, NOW);
  await refused(verifyCert(ed25519, noKey, owner.id, NOW), "bad_token");
  const noName = await envelopeBy(owner, { type: CERT_TYPE, payload: { mesh: "home", kind: "sensor", exp: 0 } }, NOW);
  await refused(verifyCert(ed25519, noName, owner.id, NOW), "bad_token");
  const bytes = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, NOW);
  await refused(verifyCert(ed25519, bytes, "not-a-mesh-id", NOW), "bad_token");
  assert.throws(() => certSigner(new Uint8Array([0xa0])), MembershipError);
});

test("tokens: p2p1. + base32 round trip; anything else is bad_token", async () => {
  const bytes = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, NOW);
  const token = certToToken(bytes);
  assert.ok(token.startsWith(TOKEN_PREFIX));
  assert.match(token.slice(TOKEN_PREFIX.length), /^[a-z2-7]+$/);
  assert.deepEqual(tokenToCert(token), bytes);
  assert.deepEqual(tokenToCert(`  ${token.toUpperCase().replace("P2P1.", "p2p1.")}\n`), bytes, "pasted with whitespace, upper case");
  for (const bad of ["", "p2p1", "p2p2.aaaa", `${TOKEN_PREFIX}!!`, `${TOKEN_PREFIX}a1`, token.slice(TOKEN_PREFIX.length)]) {
    assert.throws(() => tokenToCert(bad), (e: unknown) => e instanceof MembershipError && e.code === "bad_token", JSON.stringify(bad));
  }
});

test("membership file: founding a mesh, reloading it, joining with a token (and refusing others' tokens)", async () => {
  const runtime = createNodeRuntime();
  const root = await mkdtemp(join(tmpdir(), "p2p-membership-"));
  try {
    const ownerDir = join(root, "owner");
    const ownerId = await loadOrCreateIdentity(runtime, ownerDir);
    const founded = await loadOrFoundMembership(runtime, ownerDir, ownerId, "garage");
    assert.deepEqual([founded.meshId, founded.meshName, founded.owner], [ownerId.id, "garage", true]);
    assert.equal((await stat(join(ownerDir, MEMBERSHIP_FILE))).mode & 0o777, 0o600);
    const again = await loadOrFoundMembership(runtime, ownerDir, ownerId, "ignored-now");
    assert.deepEqual([again.meshId, again.meshName, [...again.cert]], [founded.meshId, "garage", [...founded.cert]]);

    const memberDir = join(root, "member");
    const memberId = await loadOrCreateIdentity(runtime, memberDir);
    const invite = await certBy(ownerId, { kind: "agent", meshName: "garage", member: memberId.id, exp: 0 }, Date.now());
    const joined = await joinWithToken(runtime, memberDir, memberId, certToToken(invite));
    assert.deepEqual([joined.meshId, joined.meshName, joined.owner], [ownerId.id, "garage", false]);
    const record = JSON.parse(await readFile(join(memberDir, MEMBERSHIP_FILE), "utf8"));
    assert.deepEqual([record.version, record.mesh, record.name, record.token], [1, ownerId.id, "garage", certToToken(invite)]);
    assert.equal((await loadOrFoundMembership(runtime, memberDir, memberId, "home")).meshId, ownerId.id);

    // Someone else's invitation, and a sensor token, are refused; the file is left as it was.
    const forOwner = await certBy(ownerId, { kind: "agent", meshName: "garage", member: ownerId.id, exp: 0 }, Date.now());
    await refused(joinWithToken(runtime, memberDir, memberId, certToToken(forOwner)), "bad_token");
    const sensor = await certBy(ownerId, { kind: "sensor", meshName: "garage", name: "t1", exp: 0 }, Date.now());
    await refused(joinWithToken(runtime, memberDir, memberId, certToToken(sensor)), "bad_token");
    assert.equal(JSON.parse(await readFile(join(memberDir, MEMBERSHIP_FILE), "utf8")).token, certToToken(invite));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
