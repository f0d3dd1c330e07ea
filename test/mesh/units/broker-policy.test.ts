// The embedded broker's admission rules (src/mesh/broker-policy.ts), free of any broker: CONNECT
// authentication for agents (a fresh signed `mqtt.connect` envelope carrying a member certificate)
// and sensors (a sensor token), then the publish and subscribe tables.
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../../src/core/bytes.ts";
import { AuthError, BrokerPolicy, CONNECT_TYPE, type Principal } from "../../../src/mesh/broker-policy.ts";
import { certToToken } from "../../../src/mesh/membership.ts";
import { meshTopics } from "../../../src/mesh/topics.ts";
import { EnvelopeReceiver } from "../../../src/wire/receiver.ts";
import { FakeTime } from "../../support/fake-time.ts";
import { certBy, ed25519, envelopeBy, party } from "../../support/keys.ts";

const [owner, alice, bob, stranger] = await Promise.all([party(0x11), party(0x12), party(0x13), party(0x14)]);
const meshId = owner.id;
const topics = meshTopics(meshId);

function policyAt(time = new FakeTime()): BrokerPolicy {
  return new BrokerPolicy({ ed25519, clock: time, meshId, connects: new EnvelopeReceiver({ ed25519, clock: time }) });
}

/** The password `who` presents: a connect envelope carrying `cert`, stamped at `ts`. */
function password(who: typeof alice, cert: Uint8Array | undefined, ts: number, type = CONNECT_TYPE): Promise<Uint8Array> {
  return envelopeBy(who, { type, payload: cert === undefined ? {} : { cert } }, ts);
}

async function refused(promise: Promise<unknown>, code: AuthError["code"], pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof AuthError, `expected AuthError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

test("authenticate: a member agent with a fresh connect envelope is admitted as itself", async () => {
  const time = new FakeTime();
  const policy = policyAt(time);
  const cert = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, time.now());
  const who = await policy.authenticate(alice.id, await password(alice, cert, time.now()));
  assert.deepEqual(who, { kind: "agent", id: alice.id, key: alice.publicKey });
  // The owner's self-issued certificate admits the owner.
  const own = await certBy(owner, { kind: "agent", meshName: "home", member: owner.id, exp: 0 }, time.now());
  assert.equal((await policy.authenticate(owner.id, await password(owner, own, time.now()))).kind, "agent");
});

test("authenticate: wrong key, stale or replayed password, wrong envelope type, missing fields", async () => {
  const time = new FakeTime();
  const policy = policyAt(time);
  const cert = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, time.now());
  // Bob signs a password carrying Alice's certificate and claims to be Alice.
  await refused(policy.authenticate(alice.id, await password(bob, cert, time.now())), "bad_credentials", /signed by the username's key/);
  // Older than the 60 s window.
  await refused(policy.authenticate(alice.id, await password(alice, cert, time.now() - 61_000)), "bad_credentials", /stale/);
  // The same password twice.
  const once = await password(alice, cert, time.now());
  await policy.authenticate(alice.id, once);
  await refused(policy.authenticate(alice.id, once), "bad_credentials", /replay/);
  await refused(policy.authenticate(alice.id, await password(alice, cert, time.now(), "presence")), "bad_credentials");
  await refused(policy.authenticate(alice.id, utf8("hunter2")), "bad_credentials");
  await refused(policy.authenticate(undefined, once), "bad_credentials");
  await refused(policy.authenticate(alice.id, undefined), "bad_credentials");
  await refused(policy.authenticate(alice.id, new Uint8Array(0)), "bad_credentials");
});

test("authenticate: a username shaped like an agent ID that is not one is refused, not thrown as a TypeError", async () => {
  const time = new FakeTime();
  const policy = policyAt(time);
  const cert = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, time.now());
  // 52 base32 characters whose last one carries non-zero padding bits: not the text of any key.
  const bad = alice.id.slice(0, 51) + (alice.id.endsWith("b") ? "c" : "b");
  await refused(policy.authenticate(bad, await password(alice, cert, time.now())), "bad_credentials");
});

test("authenticate: certificates that do not make the agent a member", async () => {
  const time = new FakeTime();
  const policy = policyAt(time);
  const now = time.now();
  // Signed by another mesh's owner.
  const foreign = await certBy(stranger, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, now);
  await refused(policy.authenticate(alice.id, await password(alice, foreign, now)), "not_member", /not the owner/);
  // Alice presents Bob's certificate under her own key.
  const bobs = await certBy(owner, { kind: "agent", meshName: "home", member: bob.id, exp: 0 }, now);
  await refused(policy.authenticate(alice.id, await password(alice, bobs, now)), "not_member", /another member/);
  // Expired.
  const expired = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: now - 1 }, now);
  await refused(policy.authenticate(alice.id, await password(alice, expired, now)), "not_member", /expired/);
  // None at all, or garbage.
  await refused(policy.authenticate(alice.id, await password(alice, undefined, now)), "not_member");
  await refused(policy.authenticate(alice.id, await password(alice, utf8("not a cert"), now)), "not_member");
  // A sensor certificate is no agent's.
  const sensor = await certBy(owner, { kind: "sensor", meshName: "home", name: "temp1", exp: 0 }, now);
  await refused(policy.authenticate(alice.id, await password(alice, sensor, now)), "not_member");
  // A valid certificate that expires later is fine now.
  const later = await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: now + 60_000 }, now);
  assert.equal((await policy.authenticate(alice.id, await password(alice, later, now))).kind, "agent");
});

test("authenticate: sensor tokens", async () => {
  const time = new FakeTime();
  const policy = policyAt(time);
  const now = time.now();
  const token = certToToken(await certBy(owner, { kind: "sensor", meshName: "home", name: "temp1", exp: 0 }, now));
  assert.deepEqual(await policy.authenticate("temp1", utf8(token)), { kind: "sensor", name: "temp1" });
  assert.deepEqual(await policy.authenticate("temp1", utf8(`  ${token}\n`)), { kind: "sensor", name: "temp1" }, "whitespace around a pasted token");
  await refused(policy.authenticate("temp2", utf8(token)), "not_member", /not this sensor's/);
  await refused(policy.authenticate("temp1", utf8("p2p1.!!!")), "bad_credentials");
  await refused(policy.authenticate("temp1", utf8("password")), "bad_credentials");
  const foreign = certToToken(await certBy(stranger, { kind: "sensor", meshName: "home", name: "temp1", exp: 0 }, now));
  await refused(policy.authenticate("temp1", utf8(foreign)), "not_member");
  const expired = certToToken(await certBy(owner, { kind: "sensor", meshName: "home", name: "temp1", exp: now - 1 }, now));
  await refused(policy.authenticate("temp1", utf8(expired)), "not_member");
  const agentCert = certToToken(await certBy(owner, { kind: "agent", meshName: "home", member: alice.id, exp: 0 }, now));
  await refused(policy.authenticate("temp1", utf8(agentCert)), "not_member");
});

test("canPublish: agents publish signed envelopes of their own, on their own presence and heartbeat topics", async () => {
  const policy = policyAt();
  const a: Principal = { kind: "agent", id: alice.id, key: alice.publicKey };
  const now = Date.now();
  const own = await envelopeBy(alice, { type: "x" }, now);
  const bobs = await envelopeBy(bob, { type: "x" }, now);
  const empty = new Uint8Array(0);
  const other = meshTopics(stranger.id);
  const table: [string, Uint8Array, boolean][] = [
    [topics.presence(alice.id), own, true],
    [topics.presence(alice.id), empty, true], // the last will clears presence
    [topics.presence(alice.id), bobs, false],
    [topics.presence(bob.id), own, false],
    [topics.presence(bob.id), empty, false],
    [`${topics.presence(alice.id)}/extra`, own, false],
    [topics.heartbeat(alice.id), own, true],
    [topics.heartbeat(alice.id), empty, false],
    [topics.heartbeat(bob.id), own, false],
    [topics.inbox(bob.id), own, true],
    [topics.inbox(bob.id), bobs, false],
    [topics.inbox(alice.id), own, true],
    [topics.all, own, true],
    [topics.all, bobs, false],
    [topics.all, utf8("plain text"), false],
    [`${topics.all}/more`, own, true], // an unknown subtree: still only its own envelopes
    [topics.prefix, own, false],
    ["p2p", own, false],
    [other.all, own, false],
    [other.presence(alice.id), own, false],
    ["sensors/temp1", utf8("21.5"), true],
    ["home/lights", utf8("on"), true],
  ];
  for (const [topic, payload, expected] of table) assert.equal(policy.canPublish(a, topic, payload), expected, `${topic} (${payload.length} bytes)`);
});

test("canPublish: sensors publish under sensors/ only", () => {
  const policy = policyAt();
  const s: Principal = { kind: "sensor", name: "temp1" };
  const body = utf8("{}");
  const table: [string, boolean][] = [
    ["sensors/temp1", true],
    ["sensors/kitchen/temp1", true],
    ["sensors", false],
    [topics.all, false],
    [topics.presence("x"), false],
    ["home/lights", false],
  ];
  for (const [topic, expected] of table) assert.equal(policy.canPublish(s, topic, body), expected, topic);
});

test("canSubscribe: public mesh topics and one's own inbox; no wildcard over the mesh, other meshes, or $SYS", () => {
  const policy = policyAt();
  const a: Principal = { kind: "agent", id: alice.id, key: alice.publicKey };
  const other = meshTopics(stranger.id);
  const table: [string, boolean][] = [
    [topics.presenceAll, true],
    [topics.heartbeatAll, true],
    [topics.all, true],
    [topics.presence(bob.id), true],
    [topics.inbox(alice.id), true],
    [topics.inbox(bob.id), false],
    [`${topics.prefix}/inbox/+`, false],
    [`${topics.prefix}/inbox/#`, false],
    [`${topics.prefix}/inbox`, false],
    [`${topics.prefix}/#`, false],
    [`${topics.prefix}/+`, false],
    [`${topics.prefix}/+/${alice.id}`, false],
    [topics.prefix, false],
    ["p2p/#", false],
    ["p2p/+/all", false],
    ["p2p", false],
    ["#", false],
    ["+/#", false],
    ["+", false],
    ["$SYS/#", false],
    ["$SYS/broker/clients", false],
    [other.all, false],
    [other.inbox(alice.id), false],
    ["sensors/#", true],
    ["sensors/+/temp", true],
  ];
  for (const [filter, expected] of table) assert.equal(policy.canSubscribe(a, filter), expected, filter);
  const s: Principal = { kind: "sensor", name: "temp1" };
  for (const filter of ["sensors/#", "sensors/temp1", topics.all]) assert.equal(policy.canSubscribe(s, filter), false, `sensor: ${filter}`);
});
