import { loadOrCreateIdentity } from "../../identity/identity.ts";
import { joinWithToken } from "../../mesh/membership-store.ts";
import { UsageError } from "../args.ts";
import type { Command } from "../context.ts";

/** `agent join TOKEN`: checks an invitation for this agent and stores it in the data dir. */
export const joinCommand: Command = async ({ runtime, args, output, dataDir }) => {
  if (args.positionals.length !== 1) throw new UsageError("join needs exactly one TOKEN (from agent invite on the owner's device)");
  const identity = await loadOrCreateIdentity(runtime, dataDir);
  const membership = await joinWithToken(runtime, dataDir, identity, args.positionals[0]!);
  output.out(`joined mesh ${membership.meshName} (${membership.meshId})`);
  return 0;
};
