import { loadOrCreateIdentity } from "../../identity/identity.ts";
import { keyFromAgentId } from "../../identity/agent-id.ts";
import { certToToken, issueCert } from "../../mesh/membership.ts";
import { loadOrFoundMembership } from "../../mesh/membership-store.ts";
import { stringFlag, UsageError } from "../args.ts";
import type { Command } from "../context.ts";

/** Flags of `agent invite`. */
export const INVITE_FLAGS = { sensor: "string", days: "string", mesh: "string" } as const;

/**
 * `agent invite AGENT_ID` prints an invitation (member certificate) for that agent;
 * `agent invite --sensor NAME` prints MQTT credentials for a sensor. Only the mesh owner can
 * invite. `--days N` sets an expiry (default: none).
 */
export const inviteCommand: Command = async ({ runtime, args, output, dataDir }) => {
  const sensor = stringFlag(args, "sensor");
  const member = args.positionals[0];
  if ((sensor === undefined) === (member === undefined) || args.positionals.length > 1) {
    throw new UsageError("invite needs exactly one of AGENT_ID or --sensor NAME");
  }
  if (member !== undefined) keyFromAgentId(member);
  const daysText = stringFlag(args, "days");
  const days = daysText === undefined ? 0 : Number(daysText);
  if (!Number.isFinite(days) || days < 0) throw new UsageError(`--days expected a non-negative number, got ${daysText}`);
  const identity = await loadOrCreateIdentity(runtime, dataDir);
  const membership = await loadOrFoundMembership(runtime, dataDir, identity, stringFlag(args, "mesh") ?? "home");
  if (!membership.owner) {
    output.err(`agent: only the mesh owner (${membership.meshId}) can invite; run this on the owner's device`);
    return 1;
  }
  const exp = days === 0 ? 0 : runtime.clock.now() + Math.round(days * 86_400_000);
  const cert = await issueCert(
    runtime.ed25519,
    identity,
    sensor !== undefined
      ? { kind: "sensor", meshName: membership.meshName, name: sensor, exp }
      : { kind: "agent", meshName: membership.meshName, member: member!, exp },
    { ts: runtime.clock.now(), nonce: runtime.random(16) },
  );
  if (sensor !== undefined) {
    output.out(`username: ${sensor}`);
    output.out(`password: ${certToToken(cert)}`);
    output.out(`topics:   publish under sensors/; subscribe under results/ and alerts/ (pipeline outputs)`);
  } else {
    output.out(certToToken(cert));
  }
  return 0;
};
