// The agent's settings (src/config/agent-config.ts): defaults, layering (file < environment <
// flags), and every bad value refused with a ConfigError naming the field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildConfig, ConfigError, DEFAULTS, parseHostPort } from "../../../src/config/agent-config.ts";

const DIR = "/var/lib/p2p-agent";

function refused(field: string, layer: Record<string, unknown>): void {
  assert.throws(
    () => buildConfig(DIR, layer),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError for ${JSON.stringify(layer)}, got ${String(e)}`);
      assert.equal(e.field, field);
      assert.ok(e.message.startsWith(`config ${field}: `), e.message);
      assert.equal(e.name, "ConfigError");
      return true;
    },
    `${field}: ${JSON.stringify(layer)}`,
  );
}

test("defaults: every field filled, the whole object frozen", () => {
  const c = buildConfig(DIR);
  assert.equal(c.dataDir, DIR);
  assert.equal(c.profile, "auto");
  assert.equal(c.mesh, "home");
  assert.equal(c.broker, "embedded");
  assert.deepEqual(c.listen, { host: "0.0.0.0", port: 1883 });
  assert.equal(c.bootstrap, null);
  assert.equal(c.mdns, true);
  assert.equal(c.mdnsInterface, null);
  assert.deepEqual(c.roles, ["processing"]);
  assert.equal(c.brokerRank, 1);
  assert.equal(c.heartbeatMs, 2_000);
  assert.equal(c.logLevel, "info");
  assert.equal(c.tls, null);
  for (const key of Object.keys(DEFAULTS)) assert.ok(key in c, `${key} is in the config`);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.listen) && Object.isFrozen(c.roles));
  assert.throws(() => {
    (c as { broker: string }).broker = "auto";
  }, TypeError);
});

test("layering: later layers win, undefined leaves the value below, null is a value", () => {
  const file = { profile: "pi4", broker: "auto", heartbeatMs: 5_000, bootstrap: "mqtt://10.0.0.2:1883" };
  const env = { profile: "jetson", broker: undefined, logLevel: "warn" };
  const flags = { profile: "x86", heartbeatMs: undefined, bootstrap: null, mdns: false };
  const c = buildConfig(DIR, file, env, flags);
  assert.equal(c.profile, "x86");
  assert.equal(c.broker, "auto");
  assert.equal(c.heartbeatMs, 5_000);
  assert.equal(c.logLevel, "warn");
  assert.equal(c.bootstrap, null);
  assert.equal(c.mdns, false);
});

test("accepted forms: broker URLs, roles as text or list (deduplicated), HOST:PORT forms, numeric text", () => {
  assert.equal(buildConfig(DIR, { broker: "mqtts://broker.example:8883" }).broker, "mqtts://broker.example:8883");
  assert.deepEqual(buildConfig(DIR, { roles: "vector, storage,vector" }).roles, ["vector", "storage"]);
  assert.deepEqual(buildConfig(DIR, { roles: ["gateway", "coordinator"] }).roles, ["gateway", "coordinator"]);
  assert.deepEqual(buildConfig(DIR, { listen: ":1884" }).listen, { host: "0.0.0.0", port: 1884 });
  assert.deepEqual(buildConfig(DIR, { listen: "[::1]:0" }).listen, { host: "::1", port: 0 });
  assert.deepEqual(buildConfig(DIR, { listen: "127.0.0.1:65535" }).listen, { host: "127.0.0.1", port: 65535 });
  assert.equal(buildConfig(DIR, { heartbeatMs: "250" }).heartbeatMs, 250);
  assert.equal(buildConfig(DIR, { brokerRank: 0 }).brokerRank, 0);
  assert.deepEqual(buildConfig(DIR, { tls: { certFile: "/c.pem", keyFile: "/k.pem" } }).tls, { certFile: "/c.pem", keyFile: "/k.pem" });
  assert.deepEqual(parseHostPort("listen", "localhost:80"), { host: "localhost", port: 80 });
});

test("an unknown setting is refused by its name", () => {
  refused("colour", { colour: "blue" });
  refused("heartbeat", { heartbeat: 100 }); // a near miss of heartbeatMs
});

test("each bad value is refused, naming the field", () => {
  const bad: [string, unknown[]][] = [
    ["profile", ["", "Pi4", "has space", "x".repeat(33), 4, null]],
    ["mesh", ["", "a/b", "x".repeat(64), 1]],
    ["broker", ["", "tcp://host:1883", "mqtt://", "localhost:1883", "Embedded", 1883]],
    ["listen", ["", "1883", "host:", "host:65536", "host:123456", "a:b:1", 1883]],
    ["bootstrap", ["", "http://host", "host:1883", 1883]],
    ["mdns", ["false", 0, null]],
    ["mdnsInterface", [0, true]],
    ["roles", ["", "processing,cooking", ["processing", 1], 7, null]],
    ["brokerRank", [-1, 101, 1.5, "", "1e1", null, true, [5], "abc"]],
    ["heartbeatMs", [99, 600_001, 150.5, "", null, true, [500], "0x100"]],
    ["logLevel", ["verbose", "INFO", ""]],
    ["tls", ["cert.pem", { certFile: "/c.pem" }, { certFile: 1, keyFile: "/k.pem" }]],
  ];
  for (const [field, values] of bad) for (const value of values) refused(field, { [field]: value });
});

test("retention: whole seconds each, absent fields 0, a bad one named", () => {
  assert.deepEqual(buildConfig(DIR, {}).retention, { inputSeconds: 0, outputSeconds: 0 });
  assert.deepEqual(buildConfig(DIR, { retention: { outputSeconds: 600 } }).retention, { inputSeconds: 0, outputSeconds: 600 });
  for (const value of ["1h", null, [], 5]) refused("retention", { retention: value });
  for (const value of [-1, 1.5, "10", 315_360_001]) refused("retention.inputSeconds", { retention: { inputSeconds: value } });
  refused("retention.outputSeconds", { retention: { outputSeconds: true } });
});

test("a bad value is refused even when a later layer is fine for another field", () => {
  refused("heartbeatMs", { heartbeatMs: 50 });
  assert.throws(() => buildConfig(DIR, { heartbeatMs: 50 }, { profile: "x86" }), ConfigError);
  // ...but a later layer that overrides the bad value wins.
  assert.equal(buildConfig(DIR, { heartbeatMs: 50 }, { heartbeatMs: 500 }).heartbeatMs, 500);
});
