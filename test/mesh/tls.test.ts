// The embedded broker's TLS listener: an owner hosting on mqtts:// with a self-signed certificate
// made by openssl, a member that trusts it (--tls-ca) exchanging messages, and a member that
// does not trust it failing to connect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Delivered } from "../../src/mesh/inbound.ts";
import { makeMesh, Scope, startAgent } from "../support/mesh-fixtures.ts";
import { staysFalse, waitFor } from "../support/wait.ts";

const openssl = spawnSync("openssl", ["version"]).status === 0;

test("a broker on mqtts:// with a self-signed certificate: trusted members connect, others cannot", { skip: openssl ? false : "openssl not installed" }, async (t) => {
  const scope = new Scope();
  t.after(() => scope.close());
  const dir = await scope.tempDir("p2p-tls-");
  const cert = join(dir, "broker.crt");
  const key = join(dir, "broker.key");
  const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);

  const mesh = await makeMesh(scope, 2);
  const owner = await startAgent(scope, mesh.owner.dataDir, { broker: "embedded", tls: { certFile: cert, keyFile: key } }, "owner");
  const url = owner.hostedBroker!.url;
  assert.match(url, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  await waitFor(() => owner.node.connection.connected, 5_000, "the owner to connect to its own TLS broker");

  const trusted = await startAgent(scope, mesh.members[0]!.dataDir, { broker: url, tlsCa: cert }, "trusted");
  const got: Delivered[] = [];
  owner.node.handle("hello", (m) => void got.push(m));
  await waitFor(() => trusted.node.connection.connected && owner.node.peers.get(trusted.identity.id)?.health === "alive", 5_000, "the trusting member to join over TLS");
  await trusted.node.send(owner.identity.id, "hello", { over: "tls" });
  await waitFor(() => got.length === 1, 5_000, "the message over TLS");
  assert.deepEqual(got[0]!.body, { over: "tls" });

  const wary = await startAgent(scope, mesh.members[1]!.dataDir, { broker: url }, "wary");
  await staysFalse(() => wary.node.connection.connected, 1_500, "a member that does not trust the certificate to connect");
  assert.equal(owner.node.peers.get(wary.identity.id), undefined);
});
