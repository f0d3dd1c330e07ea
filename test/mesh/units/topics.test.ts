// The mesh's MQTT topic layout and MQTT 3.1.1 §4.7 topic filter matching (src/mesh/topics.ts),
// checked against the examples the specification itself gives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { meshTopics, topicLevels, topicMatches, TOPIC_ROOT } from "../../../src/mesh/topics.ts";

const MESH = "a".repeat(52);
const AGENT = "b".repeat(52);

test("the topics of one mesh sit under p2p/<mesh>/", () => {
  const t = meshTopics(MESH);
  assert.equal(TOPIC_ROOT, "p2p");
  assert.equal(t.prefix, `p2p/${MESH}`);
  assert.equal(t.presence(AGENT), `p2p/${MESH}/presence/${AGENT}`);
  assert.equal(t.heartbeat(AGENT), `p2p/${MESH}/hb/${AGENT}`);
  assert.equal(t.inbox(AGENT), `p2p/${MESH}/inbox/${AGENT}`);
  assert.equal(t.all, `p2p/${MESH}/all`);
  assert.equal(t.presenceAll, `p2p/${MESH}/presence/+`);
  assert.equal(t.heartbeatAll, `p2p/${MESH}/hb/+`);
  assert.ok(topicMatches(t.presenceAll, t.presence(AGENT)));
  assert.ok(!topicMatches(t.presenceAll, t.heartbeat(AGENT)));
});

test("a mesh ID must be an agent ID (no /, + or # can reach a topic)", () => {
  for (const bad of ["", "home", "a".repeat(51), "A".repeat(52), `${"a".repeat(51)}/`, `${"a".repeat(51)}#`, `${"a".repeat(51)}+`]) {
    assert.throws(() => meshTopics(bad), (e: unknown) => e instanceof TypeError && /"meshId"/.test(e.message), JSON.stringify(bad));
  }
});

test("topicLevels splits on / and keeps empty levels [MQTT-4.7.1]", () => {
  assert.deepEqual(topicLevels("a/b/c"), ["a", "b", "c"]);
  assert.deepEqual(topicLevels("/finance"), ["", "finance"]);
  assert.deepEqual(topicLevels("a//b/"), ["a", "", "b", ""]);
});

// MQTT 3.1.1 §4.7.1.2 (multi-level wildcard), §4.7.1.3 (single-level wildcard), §4.7.2 ($ topics).
const SPEC: [filter: string, topic: string, matches: boolean][] = [
  ["sport/tennis/player1/#", "sport/tennis/player1", true],
  ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
  ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
  ["sport/#", "sport", true],
  ["#", "sport/tennis", true],
  ["#", "/", true],
  ["sport/tennis/+", "sport/tennis/player1", true],
  ["sport/tennis/+", "sport/tennis/player2", true],
  ["sport/tennis/+", "sport/tennis/player1/ranking", false],
  ["sport/+", "sport", false],
  ["sport/+", "sport/", true],
  ["+/+", "/finance", true],
  ["/+", "/finance", true],
  ["+", "/finance", false],
  ["+/tennis/#", "sport/tennis/player1", true],
  ["sport/+/player1", "sport/tennis/player1", true],
  ["sport/+/player1", "sport/tennis/player2", false],
  // Topics starting with $ do not match filters starting with a wildcard [MQTT-4.7.2-1].
  ["#", "$SYS/broker/clients", false],
  ["+/monitor/Clients", "$SYS/monitor/Clients", false],
  ["$SYS/#", "$SYS/monitor/Clients", true],
  ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
  // Topic names and filters are case sensitive [MQTT-4.7.3]; no partial-level wildcards.
  ["ACCOUNTS", "Accounts", false],
  ["sport/tennis", "sport/tennis", true],
  ["sport/tennis", "sport/tennis/", false],
  ["sport", "sport/tennis", false],
];

for (const [filter, topic, matches] of SPEC) {
  test(`topicMatches(${JSON.stringify(filter)}, ${JSON.stringify(topic)}) is ${matches}`, () => {
    assert.equal(topicMatches(filter, topic), matches);
  });
}
