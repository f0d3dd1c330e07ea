// Where the broker is, for `--broker auto` (src/mesh/broker-locator.ts), with a fake Discovery,
// fake peers and fake time: the election (highest rank, then lowest ID), joining a broker that is
// already hosted, leaving out a host whose broker was lost or never answers, stepping down for a
// better-ranked broker, the bootstrap URL, and the mDNS listening window.
import { test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../../../src/log/logger.ts";
import { BrokerLocator, byRank, type Candidate, type LocatorDeps } from "../../../src/mesh/broker-locator.ts";
import type { Advert, Discovery, Sighting } from "../../../src/mesh/discovery.ts";
import type { Peer } from "../../../src/mesh/peer-table.ts";
import { FakeTime } from "../../support/fake-time.ts";

const MESH = "m".repeat(52);
const id = (c: string) => c.repeat(52);
const SELF = id("k");
const SELF_URL = "mqtt://10.0.0.11:1883";

function peer(c: string, rank: number, hosting: boolean, urls = [`mqtt://${c}-host:1883`], health: Peer["health"] = "alive"): Peer {
  return {
    id: id(c),
    shortId: c.repeat(8),
    presence: { profile: "x86", roles: [], caps: {}, broker: { hosting, rank, urls }, version: "1", heartbeatMs: 1_000 },
    resources: null,
    health,
    lastSeen: 0,
  };
}

class FakeDiscovery implements Discovery {
  list: Sighting[] = [];
  handlers: (() => void)[] = [];
  async start(_advert: Advert): Promise<void> {}
  async update(_advert: Advert): Promise<void> {}
  sightings(): Sighting[] {
    return this.list;
  }
  onChange(handler: () => void): void {
    this.handlers.push(handler);
  }
  async stop(): Promise<void> {}
  change(): void {
    for (const h of this.handlers) h();
  }
}

function sighting(c: string, rank: number, hosting: boolean, mesh = MESH): Sighting {
  return { id: id(c), mesh, meshName: "home", roles: [], hosting, rank, port: 1883, version: "1", addresses: [`192.168.1.${c.charCodeAt(0)}`] };
}

/** A locator for SELF with `rank`, fake time, mutable peers, and a record of host/unhost calls. */
function setup(options: { rank?: number; peers?: Peer[]; discovery?: FakeDiscovery; bootstrap?: string | null } = {}) {
  const time = new FakeTime();
  const state = { peers: options.peers ?? [], calls: [] as string[] };
  const deps: LocatorDeps = {
    self: { id: SELF, rank: options.rank ?? 1, urls: () => [SELF_URL] },
    meshId: MESH,
    discovery: options.discovery ?? null,
    bootstrap: options.bootstrap ?? null,
    peers: () => state.peers,
    host: async () => {
      state.calls.push("host");
      return "mqtt://127.0.0.1:1883";
    },
    unhost: async () => {
      state.calls.push("unhost");
    },
    clock: time,
    timers: time,
    log: silentLogger,
  };
  return { locator: new BrokerLocator(deps), time, state };
}

test("byRank: higher rank first, then lower agent ID", () => {
  const c = (x: string, rank: number): Candidate => ({ id: id(x), rank, hosting: false, urls: [] });
  const sorted = [c("d", 3), c("a", 1), c("c", 3), c("b", 5), c("e", 3)].sort(byRank);
  assert.deepEqual(sorted.map((x) => `${x.id[0]}${x.rank}`), ["b5", "c3", "d3", "e3", "a1"]);
});

test("election: the highest rank wins, ties go to the lowest ID; rank-0 and gone agents never win", async () => {
  const { locator, state } = setup({ rank: 1, peers: [peer("d", 3, false), peer("c", 3, false), peer("a", 2, false), peer("b", 9, false, undefined, "gone"), peer("z", 0, false)] });
  assert.equal(await locator.locate(), "mqtt://c-host:1883");
  assert.equal(locator.hosting, false);
  assert.deepEqual(state.calls, []);
});

test("election: when this agent wins it hosts, once, and keeps returning its own broker", async () => {
  const { locator, state } = setup({ rank: 5, peers: [peer("a", 4, false), peer("b", 5, false, ["mqtt://b:1"])].concat(peer("z", 5, false)) });
  // SELF ("k...") ties with b and z at rank 5; b has the lowest ID.
  assert.equal(await locator.locate(), "mqtt://b:1");
  state.peers = [peer("a", 4, false), peer("z", 5, false)];
  assert.equal(await locator.locate(), "mqtt://127.0.0.1:1883", "k < z: this agent wins");
  assert.equal(locator.hosting, true);
  assert.equal(await locator.locate({ url: "mqtt://127.0.0.1:1883", kind: "lost" }), "mqtt://127.0.0.1:1883", "its own broker is never written off");
  assert.deepEqual(state.calls, ["host"]);
});

test("nobody can host: rank 0 here and no capable peer is an error, not a guess", async () => {
  const { locator } = setup({ rank: 0, peers: [peer("a", 0, false)] });
  await assert.rejects(locator.locate(), /rank 0/);
});

test("a broker already hosted is joined, even when this agent would win an election", async () => {
  const { locator, state } = setup({ rank: 9, peers: [peer("a", 1, true), peer("b", 2, true)] });
  assert.equal(await locator.locate(), "mqtt://b-host:1883", "the best-ranked of the hosting brokers");
  assert.deepEqual(state.calls, []);
});

test("a lost broker's host is left out for 30 s; the survivors elect the next one", async () => {
  const { locator, time, state } = setup({ rank: 1, peers: [peer("h", 5, true), peer("g", 3, false)] });
  assert.equal(await locator.locate(), "mqtt://h-host:1883");
  // The host died; its presence still says hosting until the peer table catches up.
  assert.equal(await locator.locate({ url: "mqtt://h-host:1883", kind: "lost" }), "mqtt://g-host:1883");
  await time.advance(29_000);
  assert.equal(await locator.locate(), "mqtt://g-host:1883", "still left out at 29 s");
  await time.advance(1_001);
  assert.equal(await locator.locate(), "mqtt://h-host:1883", "after 30 s it is a candidate again");
  assert.deepEqual(state.calls, []);
});

test("the last survivor elects itself when every other host is dead", async () => {
  const { locator, state } = setup({ rank: 1, peers: [peer("h", 5, true)] });
  assert.equal(await locator.locate(), "mqtt://h-host:1883");
  assert.equal(await locator.locate({ url: "mqtt://h-host:1883", kind: "lost" }), "mqtt://127.0.0.1:1883");
  assert.deepEqual(state.calls, ["host"]);
});

test("connect failures rotate through a candidate's URLs; the fifth marks it dead", async () => {
  const { locator } = setup({ rank: 1, peers: [peer("h", 5, true, ["mqtt://h1:1883", "mqtt://h2:1883"]), peer("g", 3, false)] });
  const seen = [await locator.locate()];
  for (let i = 0; i < 4; i++) seen.push(await locator.locate({ url: seen.at(-1)!, kind: "failed" }));
  assert.deepEqual(seen, ["mqtt://h1:1883", "mqtt://h2:1883", "mqtt://h1:1883", "mqtt://h2:1883", "mqtt://h1:1883"]);
  assert.equal(await locator.locate({ url: seen.at(-1)!, kind: "failed" }), "mqtt://g-host:1883", "after 5 failures: dead");
  // A failure on a URL the locator never handed out changes nothing.
  assert.equal(await locator.locate({ url: "mqtt://elsewhere:1", kind: "lost" }), "mqtt://g-host:1883");
});

test("step-down: a better-ranked hosting broker of the mesh makes this one stop hosting", async () => {
  const { locator, time, state } = setup({ rank: 3 });
  locator.start();
  assert.equal(await locator.locate(), "mqtt://127.0.0.1:1883");
  // Worse-ranked, and same rank with a higher ID: no reason to step down.
  state.peers = [peer("a", 2, true), peer("z", 3, true)];
  await time.advance(1_000);
  assert.deepEqual(state.calls, ["host"]);
  assert.equal(locator.hosting, true);
  // Same rank, lower ID: that one wins.
  state.peers.push(peer("b", 3, true, ["mqtt://b:1883"]));
  await time.advance(1_000);
  assert.deepEqual(state.calls, ["host", "unhost"]);
  assert.equal(locator.hosting, false);
  // Our clients lose our broker and move to the better one.
  assert.equal(await locator.locate({ url: "mqtt://127.0.0.1:1883", kind: "lost" }), "mqtt://b:1883");
  locator.stop();
  assert.equal(time.pending, 0, "stop() clears its timer");
});

test("step-down is also triggered by an mDNS sighting, at once", async () => {
  const discovery = new FakeDiscovery();
  const { locator, time, state } = setup({ rank: 3, discovery });
  locator.start();
  const first = locator.locate();
  await time.advance(2_000); // the listening window passes with nothing heard
  assert.equal(await first, "mqtt://127.0.0.1:1883");
  discovery.list = [sighting("c", 3, true, id("x")), sighting("d", 2, true)]; // another mesh's, and a worse one
  discovery.change();
  await time.advance(0);
  assert.deepEqual(state.calls, ["host"]);
  discovery.list.push(sighting("e", 4, true));
  discovery.change();
  await time.advance(0);
  assert.deepEqual(state.calls, ["host", "unhost"]);
  assert.equal(await locator.locate({ url: "mqtt://127.0.0.1:1883", kind: "lost" }), `mqtt://192.168.1.${"e".charCodeAt(0)}:1883`);
  locator.stop();
});

test("the mDNS window: the first locate waits for a hosting broker to be heard before electing", async () => {
  const discovery = new FakeDiscovery();
  const { locator, time, state } = setup({ rank: 9, discovery });
  let result: string | undefined;
  void locator.locate().then((url) => (result = url));
  await time.advance(500);
  assert.equal(result, undefined, "still listening");
  discovery.list = [sighting("a", 1, true)];
  await time.advance(100);
  assert.equal(result, `mqtt://192.168.1.${"a".charCodeAt(0)}:1883`);
  assert.deepEqual(state.calls, []);
});

test("bootstrap: used when nothing hosts; a hosting broker of the mesh is preferred", async () => {
  const { locator, state } = setup({ rank: 5, bootstrap: "mqtt://bootstrap.example:1883" });
  assert.equal(await locator.locate(), "mqtt://bootstrap.example:1883");
  assert.deepEqual(state.calls, [], "no election while a bootstrap URL is there to try");
  state.peers = [peer("h", 1, true)];
  assert.equal(await locator.locate(), "mqtt://h-host:1883");
});
