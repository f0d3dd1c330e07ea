import { utf8 } from "../core/bytes.ts";
import type { Identity } from "../identity/identity.ts";
import { FileNotFound, type Runtime } from "../runtime/runtime.ts";
import { certSigner, certToToken, issueCert, MembershipError, tokenToCert, verifyCert } from "./membership.ts";

/** The file in the data dir that holds this agent's membership. */
export const MEMBERSHIP_FILE = "membership.json";

/** This agent's membership: which mesh, and the certificate that proves it. */
export interface Membership {
  meshId: string;
  meshName: string;
  cert: Uint8Array;
  /** True when this agent owns the mesh (its ID is the mesh ID). */
  owner: boolean;
}

/**
 * Loads the membership from the data dir, or, when there is none, founds a new mesh named
 * `meshName` with this agent as owner (a self-issued certificate). The file is JSON
 * `{"version":1,"mesh":"<mesh ID>","name":"<mesh name>","token":"p2p1.…"}`, mode 0600.
 */
export async function loadOrFoundMembership(runtime: Runtime, dataDir: string, identity: Identity, meshName: string): Promise<Membership> {
  const path = `${dataDir}/${MEMBERSHIP_FILE}`;
  let text: string | null = null;
  try {
    text = new TextDecoder().decode(await runtime.files.readFile(path));
  } catch (error) {
    if (!(error instanceof FileNotFound)) throw error;
  }
  if (text === null) {
    const cert = await issueCert(
      runtime.ed25519,
      identity,
      { kind: "agent", meshName, member: identity.id, exp: 0 },
      { ts: runtime.clock.now(), nonce: runtime.random(16) },
    );
    await saveMembership(runtime, dataDir, identity.id, meshName, cert);
    return { meshId: identity.id, meshName, cert, owner: true };
  }
  let record: { version?: unknown; mesh?: unknown; name?: unknown; token?: unknown };
  try {
    record = JSON.parse(text);
  } catch (cause) {
    throw new MembershipError("bad_token", `${path} is not valid JSON`, { cause });
  }
  if (record.version !== 1 || typeof record.mesh !== "string" || typeof record.token !== "string") {
    throw new MembershipError("bad_token", `${path} is not a version 1 membership file`);
  }
  const cert = tokenToCert(record.token);
  const checked = await verifyCert(runtime.ed25519, cert, record.mesh, runtime.clock.now());
  if (checked.member !== identity.id) throw new MembershipError("bad_token", `${path} holds a certificate for ${checked.member}, not this agent (${identity.id})`);
  return { meshId: record.mesh, meshName: checked.meshName, cert, owner: record.mesh === identity.id };
}

/** Checks an invitation token for this agent and stores it, replacing any earlier membership. */
export async function joinWithToken(runtime: Runtime, dataDir: string, identity: Identity, token: string): Promise<Membership> {
  const cert = tokenToCert(token);
  const meshId = certSigner(cert);
  const checked = await verifyCert(runtime.ed25519, cert, meshId, runtime.clock.now());
  if (checked.kind !== "agent") throw new MembershipError("bad_token", "this is a sensor token, not an agent invitation");
  if (checked.member !== identity.id) {
    throw new MembershipError("bad_token", `this invitation is for agent ${checked.member}, but this agent is ${identity.id}`);
  }
  await saveMembership(runtime, dataDir, meshId, checked.meshName, cert);
  return { meshId, meshName: checked.meshName, cert, owner: meshId === identity.id };
}

async function saveMembership(runtime: Runtime, dataDir: string, meshId: string, meshName: string, cert: Uint8Array): Promise<void> {
  await runtime.files.mkdirp(dataDir, 0o700);
  const json = JSON.stringify({ version: 1, mesh: meshId, name: meshName, token: certToToken(cert) }, null, 2) + "\n";
  await runtime.files.writeFileAtomic(`${dataDir}/${MEMBERSHIP_FILE}`, utf8(json), 0o600);
}
