// Multi-host tests of the mesh: real agents (test/support/mesh-agent-proc.ts, built as `agent run`
// builds them) in network namespaces on one bridge, finding each other over real mDNS, electing a
// broker host, failing over, refusing outsiders, and seen by an independent DNS-SD browser.
// How the namespaces are built and how to run and clean up by hand: docs/multi-host-testing.md.
// Each test builds its own LAN and tears it down (processes, namespaces, files) even on failure.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { AvahiBrowser, avahiUnavailable } from "../support/avahi.ts";
import { between, BROKER_PORT, brokerUrl, connectedUrl, hostsNow, MeshLab, peerLine, pingFrom, type AgentProc } from "../support/mesh-lab.ts";
import { event, netnsUnavailable, type LinePredicate } from "../support/netns.ts";

const skip = netnsUnavailable() ?? false;
/** `agent run` flags of a mesh member: find or elect the broker, mDNS on, fast heartbeats. */
const AUTO = ["--broker", "auto", "--heartbeat-ms", "500"];

/** Waits until every agent has received a ping from every other one (after line `since` of each). */
async function pingsFlow(agents: AgentProc[], options: { since?: Map<AgentProc, number>; timeoutMs?: number } = {}): Promise<void> {
  await Promise.all(
    agents.flatMap((a) =>
      agents
        .filter((b) => b !== a)
        .map((b) => a.waitFor(pingFrom(b.member), `ping from ${b.member.short}`, { since: options.since?.get(a) ?? 0, timeoutMs: options.timeoutMs ?? 20_000 })),
    ),
  );
}

/** The one agent of `agents` hosting the broker now, asserting there is exactly one and all others are its clients. */
function soleHost(agents: AgentProc[]): AgentProc {
  const hosts = agents.filter(hostsNow);
  assert.equal(hosts.length, 1, `exactly one agent hosts the broker; hosting: [${hosts.map((h) => h.host.address).join(", ")}]`);
  const host = hosts[0]!;
  for (const a of agents) {
    if (a === host) continue;
    assert.equal(connectedUrl(a), brokerUrl(host.host), `${a.label} is connected to the host's broker`);
  }
  return host;
}

/** Fails if any of `agents` logs a line matching `predicate` before `until` (ms since the epoch). */
async function expectNone(agents: AgentProc[], predicate: LinePredicate, what: string, until: number): Promise<void> {
  const since = new Map(agents.map((a) => [a, a.lines.length]));
  await Promise.all(
    agents.map(async (a) => {
      const wait = until - Date.now();
      if (wait <= 0) return;
      const seen = await a.waitFor(predicate, what, { since: since.get(a)!, timeoutMs: wait }).then(
        (line) => line,
        () => null,
      );
      assert.equal(seen, null, `${a.label} logged ${what}: ${JSON.stringify(seen)}`);
    }),
  );
}

/** One line per agent with its broker and peer events, times relative to `t0`, for diagnostics. */
function timeline(t: TestContext, agents: AgentProc[], t0: number, since?: Map<AgentProc, number>): void {
  for (const a of agents) {
    const lines = a.lines.slice(since?.get(a) ?? 0).filter((l) => /^(broker|peer\.(join|leave))/.test(l.event ?? ""));
    t.diagnostic(`${a.label} (${a.member.short}): ${lines.map((l) => `+${l.at - t0}ms ${l.event}${l.winner ? `=${l.winner}` : ""}${l.url ? ` ${l.url}` : ""}${l.peer ? ` ${l.peer}` : ""}`).join(", ")}`);
  }
}

test("three invited agents find each other over mDNS, elect one broker host and ping every pair", { skip, timeout: 90_000 }, async (t) => {
  const lab = await MeshLab.create(t, 3);
  const members = await lab.members(3);
  const agents = members.map((m, i) => lab.start(i, m, AUTO));
  const t0 = Math.min(...agents.map((a) => a.startedAt));

  for (const a of agents) {
    for (const b of agents) if (a !== b) await a.waitFor(peerLine("peer.join", b.member), `peer.join of ${b.member.short}`, { timeoutMs: 20_000 });
  }
  await pingsFlow(agents);
  const host = soleHost(agents);
  assert.equal(connectedUrl(host), `mqtt://127.0.0.1:${BROKER_PORT}`, "the host is a client of its own broker");
  for (const a of agents) assert.equal(a.filter(event("broker.refused_connect")).length, 0, `${a.label} refused no member`);

  const ready = agents.map((a) => a.filter(event("agent.ready"))[0]!.at - a.startedAt);
  const connected = agents.map((a) => a.filter(event("broker.connected")).at(-1)!.at - t0);
  const stepDowns = agents.reduce((n, a) => n + a.filter(event("broker.step_down")).length, 0);
  t.diagnostic(`agents ready ${Math.min(...ready)}-${Math.max(...ready)} ms after spawn (process start + mDNS up)`);
  t.diagnostic(`election: all three on one broker (${host.host.address}) ${Math.max(...connected)} ms after the first spawn; step-downs on the way: ${stepDowns}`);
  timeline(t, agents, t0);

  // SIGTERM: a member says goodbye (the others see it leave at once, not after missed
  // heartbeats), and every agent exits by itself with code 0: its stop() left no handle behind.
  const leaver = agents.find((a) => a !== host)!;
  const marks = new Map(agents.map((a) => [a, a.lines.length]));
  assert.deepEqual(await leaver.stop(8_000), { code: 0, signal: null }, `${leaver.label} exits cleanly on SIGTERM`);
  for (const a of agents.filter((x) => x !== leaver)) {
    await a.waitFor(event("peer.leave", { peer: leaver.member.short, reason: "left the mesh" }), "peer.leave (goodbye)", { since: marks.get(a)!, timeoutMs: 2_000 });
  }
  for (const a of agents.filter((x) => x !== leaver)) assert.deepEqual(await a.stop(8_000), { code: 0, signal: null }, `${a.label} exits cleanly on SIGTERM`);
  for (const a of agents) assert.equal(a.filter(event("agent.stopped")).length, 1, `${a.label} logged agent.stopped`);
});

test("SIGKILL of the broker host: the survivors elect a new host, reconnect, see it leave, keep pinging and stay put", { skip, timeout: 120_000 }, async (t) => {
  const lab = await MeshLab.create(t, 3);
  const members = await lab.members(3);
  const agents = members.map((m, i) => lab.start(i, m, AUTO));
  await pingsFlow(agents);
  const dead = soleHost(agents);
  const survivors = agents.filter((a) => a !== dead);
  const since = new Map(survivors.map((s) => [s, s.lines.length]));

  const killedAt = Date.now();
  dead.kill("SIGKILL");
  const failover: number[] = [];
  for (const s of survivors) {
    const lost = await s.waitFor(event("broker.lost", { url: brokerUrl(dead.host) }), "broker.lost", { since: since.get(s)!, timeoutMs: 10_000 });
    const back = await s.waitFor(event("broker.connected"), "broker.connected", { since: since.get(s)!, timeoutMs: 15_000 });
    failover.push(between(lost, back));
    t.diagnostic(`${s.label}: broker.lost ${lost.at - killedAt} ms after SIGKILL; broker.connected ${between(lost, back)} ms after broker.lost (${back.url})`);
  }
  const newHost = soleHost(survivors);
  assert.notEqual(newHost, dead);
  // The new host won an election; the other survivor either elected it too or, if the new broker
  // was already advertised when it looked, went straight to it.
  assert.equal(newHost.filter(event("broker.elected", { winner: "self" }), since.get(newHost)).length, 1, "the new host elected itself once");
  assert.equal(newHost.filter(event("broker.hosting"), since.get(newHost)).length, 1, "the new host started its broker once");
  const reconnected = new Map(survivors.map((s) => [s, s.lines.length]));
  await pingsFlow(survivors, { since: reconnected, timeoutMs: 10_000 });
  for (const s of survivors) await s.waitFor(peerLine("peer.leave", dead.member), `peer.leave of ${dead.member.short}`, { since: since.get(s)!, timeoutMs: 15_000 });
  t.diagnostic(`failover (broker.lost -> broker.connected): ${failover.join(" ms, ")} ms; max ${Math.max(...failover)} ms`);

  // A SIGKILLed host says no mDNS goodbye. The survivors leave it out for 30 s after losing it;
  // past that its last advert (still "hosting") must not lure the mesh back to it.
  const quietStart = new Map(survivors.map((s) => [s, s.lines.length]));
  await expectNone(survivors, (l) => l.event === "broker.lost" || l.event === "broker.step_down" || l.event === "broker.connect_failed", "a broker change", killedAt + 34_000);
  assert.equal(soleHost(survivors), newHost, "the new host still hosts");
  await pingsFlow(survivors, { since: quietStart, timeoutMs: 5_000 });
  timeline(t, survivors, killedAt, since);
});

test("an agent without an invitation is refused by the mesh's broker and never seen as a peer", { skip, timeout: 90_000 }, async (t) => {
  const lab = await MeshLab.create(t, 3);
  const members = await lab.members(2);
  const agents = members.map((m, i) => lab.start(i, m, AUTO));
  await pingsFlow(agents);
  const host = soleHost(agents);
  const outsider = await lab.outsider();
  const url = brokerUrl(host.host);
  const intruder = lab.start(2, outsider, ["--broker", url, "--no-mdns", "--heartbeat-ms", "500"], "outsider");

  const refused = await host.waitFor(event("broker.refused_connect", { who: outsider.id.slice(0, 16) }), "broker.refused_connect of the outsider", { timeoutMs: 20_000 });
  const failed = await intruder.waitFor(event("broker.connect_failed", { url }), "broker.connect_failed", { timeoutMs: 20_000 });
  // It keeps retrying; a second refusal shows the first was no accident of timing.
  await intruder.waitFor(event("broker.connect_failed", { url }), "a second broker.connect_failed", { since: intruder.lines.indexOf(failed) + 1, timeoutMs: 10_000 });
  assert.equal(intruder.filter(event("broker.connected")).length, 0, "the outsider never connected");
  for (const a of agents) assert.equal(a.filter(peerLine("peer.join", outsider)).length, 0, `${a.label} never saw the outsider join`);
  // The members are undisturbed.
  await pingsFlow(agents, { since: new Map(agents.map((a) => [a, a.lines.length])), timeoutMs: 5_000 });
  t.diagnostic(`refused: ${refused.reason}; the outsider saw: ${failed.reason}`);
});

test("--bootstrap URL --no-mdns: an agent without mDNS finds the mesh through the bootstrap URL", { skip, timeout: 90_000 }, async (t) => {
  const lab = await MeshLab.create(t, 2);
  const [a, b] = await lab.members(2);
  const first = lab.start(0, a!, AUTO);
  await first.waitFor(event("broker.hosting"), "broker.hosting", { timeoutMs: 20_000 });
  const bootstrap = brokerUrl(first.host);
  const second = lab.start(1, b!, ["--broker", "auto", "--no-mdns", "--bootstrap", bootstrap, "--heartbeat-ms", "500"]);
  await second.waitFor(event("broker.connected", { url: bootstrap }), "broker.connected to the bootstrap URL", { timeoutMs: 20_000 });
  await first.waitFor(peerLine("peer.join", b!), "peer.join of the bootstrap agent", { timeoutMs: 10_000 });
  await second.waitFor(peerLine("peer.join", a!), "peer.join of the first agent", { timeoutMs: 10_000 });
  await pingsFlow([first, second]);
  assert.equal(second.filter(event("broker.hosting")).length, 0, "the bootstrap agent hosts no broker of its own");
});

test("--bootstrap URL --no-mdns everywhere, one agent started long before the bootstrap host: it waits instead of founding an island", { skip, timeout: 90_000 }, async (t) => {
  const lab = await MeshLab.create(t, 2);
  const [a, b] = await lab.members(2);
  const bootstrap = `mqtt://${lab.lan.hosts[0]!.address}:${BROKER_PORT}`;
  // The same flags on both, as on a network without multicast: the bootstrap host finds its own
  // URL among its addresses and hosts; the other must keep trying that URL until it answers.
  const flags = ["--broker", "auto", "--no-mdns", "--bootstrap", bootstrap, "--heartbeat-ms", "500"];
  const second = lab.start(1, b!, flags);
  // Past the locator's 5 failures that mark a candidate unreachable.
  for (let i = 0, since = 0; i < 6; i++) {
    const failed = await second.waitFor(event("broker.connect_failed", { url: bootstrap }), `failed attempt ${i + 1} at the bootstrap URL`, { since, timeoutMs: 20_000 });
    since = second.lines.indexOf(failed) + 1;
  }
  assert.equal(second.filter(event("broker.hosting")).length, 0, "it founded no broker of its own while the bootstrap host was down");
  const first = lab.start(0, a!, flags);
  await first.waitFor(event("broker.hosting"), "broker.hosting on the bootstrap host", { timeoutMs: 20_000 });
  await second.waitFor(event("broker.connected", { url: bootstrap }), "broker.connected to the bootstrap URL", { timeoutMs: 20_000 });
  await pingsFlow([first, second]);
  assert.equal(second.filter(event("broker.hosting")).length, 0, "the waiting agent founded no broker of its own");
  t.diagnostic(`failed attempts before the bootstrap broker was up: ${second.filter(event("broker.connect_failed")).length}`);
});

const noAvahi = skip || avahiUnavailable() || false;

test("avahi-browse in another namespace lists every agent with its DNS-SD TXT record", { skip: noAvahi, timeout: 90_000 }, async (t) => {
  const lab = await MeshLab.create(t, 3);
  const members = await lab.members(2, "avahilab");
  // Roles and rank set by flags, so the TXT values below do not depend on this machine's profile.
  const agents = members.map((m, i) => lab.start(i, m, [...AUTO, "--roles", "processing,vector", "--broker-rank", "5"]));
  await pingsFlow(agents);
  const host = soleHost(agents);
  const dir = join(lab.base, "avahi");
  await mkdir(dir);
  // Stopped in `finally`, before the lab's teardown kills what is left in the namespaces, so the
  // script reaps both daemons itself.
  const avahi = await AvahiBrowser.start(lab.lan.hosts[2]!.ns, dir);
  try {
    await checkAvahiListing(avahi, agents, host, members[0]!.id);
  } finally {
    await avahi.stop();
  }
});

/** Browses until avahi lists every agent (with the right `broker` flag) or 20 s pass, then checks each record. */
async function checkAvahiListing(avahi: AvahiBrowser, agents: AgentProc[], host: AgentProc, meshId: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let found: Awaited<ReturnType<AvahiBrowser["browse"]>> = { services: [], output: "" };
  const ours = () => agents.map((a) => found.services.find((s) => s.name === a.member.id && s.txt.broker === (a === host ? "1" : "0")));
  while (ours().some((s) => s === undefined) && Date.now() < deadline) {
    found = await avahi.browse("_p2p-agent._tcp");
    if (ours().some((s) => s === undefined)) await new Promise((r) => setTimeout(r, 500));
  }
  agents.forEach((a, i) => {
    const s = ours()[i];
    assert.ok(s, `avahi-browse lists ${a.member.id} with broker=${a === host ? 1 : 0}; it printed:\n${found.output}`);
    assert.deepEqual(Object.keys(s.txt).sort(), ["broker", "id", "mesh", "name", "rank", "roles", "v"]);
    assert.deepEqual(s.txt, { id: a.member.id, mesh: meshId, name: "avahilab", roles: "processing,vector", broker: a === host ? "1" : "0", rank: "5", v: "1" });
    assert.equal(s.address, a.host.address);
    assert.equal(s.port, BROKER_PORT);
    assert.equal(s.host, `p2p-${a.member.id.slice(0, 16)}.local`);
  });
  assert.equal(found.services.filter((s) => s.type === "_p2p-agent._tcp").length, agents.length, "no other agent is listed");
}
