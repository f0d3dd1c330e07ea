import { loadOrCreateIdentity } from "../../identity/identity.ts";
import { UsageError } from "../args.ts";
import type { Command } from "../context.ts";

/** `agent id`: prints this agent's ID, creating the identity if absent. */
export const idCommand: Command = async ({ runtime, args, output, dataDir }) => {
  if (args.positionals.length > 0) throw new UsageError(`id takes no arguments, got ${args.positionals.join(" ")}`);
  const identity = await loadOrCreateIdentity(runtime, dataDir);
  output.out(identity.id);
  return 0;
};
