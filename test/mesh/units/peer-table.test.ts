// The peer table (src/mesh/peer-table.ts) on a fake clock: joins, heartbeats, silence turning a
// peer suspect and then gone, a last will, revival, and forgetting long-gone peers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PeerTable, type HeartbeatInfo, type Peer, type PeerHealth, type PresenceInfo } from "../../../src/mesh/peer-table.ts";

const T0 = 1_700_000_000_000;
const HB = 1_000;
const A = "a".repeat(52);
const B = "b".repeat(52);
const presence = (heartbeatMs = HB): PresenceInfo => ({ profile: "pi4", roles: ["processing"], caps: {}, broker: { hosting: false, rank: 1, urls: [] }, version: "1", heartbeatMs });
const beat: HeartbeatInfo = { load: 0.5, freeMem: 1024, temp: 48.5, queue: 2 };

/** A table that records every change as `id:previous->health`. */
function recorded(options: ConstructorParameters<typeof PeerTable>[0] = {}) {
  const changes: string[] = [];
  const table = new PeerTable({ ...options, onChange: (p: Peer, previous: PeerHealth | null) => changes.push(`${p.id[0]}:${previous ?? "new"}->${p.health}`) });
  return { table, changes };
}

test("a presence adds a peer, alive, and announces the join", () => {
  const { table, changes } = recorded();
  table.presence(A, presence(), T0);
  const peer = table.get(A)!;
  assert.equal(peer.health, "alive");
  assert.equal(peer.shortId, "aaaaaaaa");
  assert.equal(peer.lastSeen, T0);
  assert.equal(peer.resources, null);
  assert.deepEqual(changes, ["a:new->alive"]);
  // A second presence updates the row; no new join.
  table.presence(A, { ...presence(), roles: ["vector"] }, T0 + 10);
  assert.deepEqual(table.get(A)!.presence.roles, ["vector"]);
  assert.deepEqual(changes, ["a:new->alive"]);
});

test("heartbeats fill resources for known peers only, and never move lastSeen backwards", () => {
  const { table } = recorded();
  assert.equal(table.heartbeat(A, beat, T0), false, "unknown peer: its presence is needed first");
  assert.equal(table.get(A), undefined);
  table.presence(A, presence(), T0);
  assert.equal(table.heartbeat(A, beat, T0 + 500), true);
  assert.deepEqual(table.get(A)!.resources, beat);
  table.heartbeat(A, beat, T0 + 100); // a late, reordered heartbeat
  assert.equal(table.get(A)!.lastSeen, T0 + 500);
});

test("silence: suspect after 3 heartbeat intervals, gone after 6; a heartbeat revives", () => {
  const { table, changes } = recorded();
  table.presence(A, presence(), T0);
  table.sweep(T0 + 2_999);
  assert.equal(table.get(A)!.health, "alive");
  table.sweep(T0 + 3_000);
  assert.equal(table.get(A)!.health, "suspect");
  table.heartbeat(A, beat, T0 + 3_500);
  assert.equal(table.get(A)!.health, "alive");
  table.sweep(T0 + 3_500 + 6_000);
  const peer = table.get(A)!;
  assert.equal(peer.health, "gone");
  assert.equal(peer.goneReason, "no heartbeat for 6000 ms");
  assert.deepEqual(changes, ["a:new->alive", "a:alive->suspect", "a:suspect->alive", "a:alive->gone"]);
  // Gone straight from alive when the sweep comes late; sweeping again changes nothing.
  table.sweep(T0 + 20_000);
  assert.equal(changes.length, 4);
});

test("the sweep uses each peer's own heartbeat interval, and custom thresholds", () => {
  const { table } = recorded({ suspectAfter: 2, goneAfter: 4 });
  table.presence(A, presence(1_000), T0);
  table.presence(B, presence(10_000), T0);
  table.sweep(T0 + 2_000);
  assert.deepEqual([table.get(A)!.health, table.get(B)!.health], ["suspect", "alive"]);
  table.sweep(T0 + 4_000);
  assert.deepEqual([table.get(A)!.health, table.get(B)!.health], ["gone", "alive"]);
  table.sweep(T0 + 20_000);
  assert.deepEqual([table.get(A)!.health, table.get(B)!.health], ["gone", "suspect"]);
});

test("a last will marks the peer gone at once; a new presence brings it back", () => {
  const { table, changes } = recorded();
  table.gone(A, "left the mesh"); // unknown: nothing happens
  assert.equal(table.get(A), undefined);
  table.presence(A, presence(), T0);
  table.gone(A, "left the mesh");
  assert.equal(table.get(A)!.health, "gone");
  assert.equal(table.get(A)!.goneReason, "left the mesh");
  table.gone(A, "again"); // already gone: no second event, reason kept
  assert.equal(table.get(A)!.goneReason, "left the mesh");
  table.presence(A, presence(), T0 + 100);
  assert.equal(table.get(A)!.health, "alive");
  assert.equal(table.get(A)!.goneReason, undefined);
  assert.deepEqual(changes, ["a:new->alive", "a:alive->gone", "a:gone->alive"]);
});

test("gone peers are forgotten after forgetAfterMs; list() orders alive first, live() leaves gone out", () => {
  const { table } = recorded({ forgetAfterMs: 60_000 });
  table.presence(B, presence(), T0);
  table.presence(A, presence(), T0);
  table.gone(B, "left the mesh");
  assert.deepEqual(table.list().map((p) => p.id[0]), ["a", "b"]);
  table.heartbeat(A, beat, T0 + 1_000);
  table.sweep(T0 + 4_500); // A: 3.5 intervals of silence
  assert.deepEqual(table.list().map((p) => `${p.id[0]}:${p.health}`), ["a:suspect", "b:gone"]);
  assert.deepEqual(table.live().map((p) => p.id[0]), ["a"]);
  table.sweep(T0 + 60_001);
  assert.equal(table.get(B), undefined, "forgotten");
  assert.equal(table.get(A)!.health, "gone", "A went gone in the same sweep and is kept for now");
  table.sweep(T0 + 1_000 + 60_001);
  assert.deepEqual(table.list(), []);
});
