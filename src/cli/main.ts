import { selectRuntime } from "../adapters/select-runtime.ts";
import { ConfigError } from "../config/agent-config.ts";
import { IdentityError } from "../identity/identity.ts";
import { MembershipError } from "../mesh/membership.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { UsageError, type FlagSpec } from "./args.ts";
import { BENCH_FLAGS, benchCommand } from "./commands/bench.ts";
import { idCommand } from "./commands/id.ts";
import { INVITE_FLAGS, inviteCommand } from "./commands/invite.ts";
import { joinCommand } from "./commands/join.ts";
import { RUN_FLAGS, runCommand } from "./commands/run.ts";
import { PEERS_FLAGS, peersCommand, STATUS_FLAGS, statusCommand } from "./commands/status.ts";
import { profilesCommand } from "./commands/profiles.ts";
import { explainCommand, SUBMIT_FLAGS, submitCommand, tasksCommand } from "./commands/tasks.ts";
import { FETCH_FLAGS, fetchCommand, STORE_FLAGS, storeCommand } from "./commands/blobs.ts";
import { ControlError } from "../control/control-protocol.ts";
import { commandContext, type Command, type Output } from "./context.ts";
import { HELP } from "./help.ts";
import { VERSION } from "./version.ts";

export type { Output } from "./context.ts";

const COMMANDS: Record<string, { run: Command; flags: FlagSpec }> = {
  run: { run: runCommand, flags: RUN_FLAGS },
  id: { run: idCommand, flags: {} },
  invite: { run: inviteCommand, flags: INVITE_FLAGS },
  join: { run: joinCommand, flags: {} },
  status: { run: statusCommand, flags: STATUS_FLAGS },
  peers: { run: peersCommand, flags: PEERS_FLAGS },
  submit: { run: submitCommand, flags: SUBMIT_FLAGS },
  tasks: { run: tasksCommand, flags: { json: "boolean" } },
  explain: { run: explainCommand, flags: { json: "boolean" } },
  profiles: { run: profilesCommand, flags: { json: "boolean" } },
  bench: { run: benchCommand, flags: BENCH_FLAGS },
  store: { run: storeCommand, flags: STORE_FLAGS },
  fetch: { run: fetchCommand, flags: FETCH_FLAGS },
};

/**
 * Runs the CLI on `argv` (without the program name) and returns the exit code: 0 success,
 * 1 failure at run time, 2 usage mistake. Mistakes print one line, never a stack trace.
 */
export async function main(argv: string[], output: Output, runtime?: Runtime): Promise<number> {
  try {
    if (argv.includes("--version")) {
      output.out(VERSION);
      return 0;
    }
    const [first, ...rest] = argv;
    const implicit = first === undefined || first.startsWith("-");
    const name = implicit ? "run" : first;
    const commandArgs = implicit ? argv : rest;
    if (name === "help") {
      const topic = commandArgs.find((a) => !a.startsWith("-")) ?? "main";
      if (HELP[topic] === undefined) throw new UsageError(`no help for unknown command ${topic}`);
      output.out(HELP[topic]);
      return 0;
    }
    if (commandArgs.includes("--help")) {
      output.out((implicit ? HELP.main : HELP[name]) ?? HELP.main!);
      return 0;
    }
    const command = COMMANDS[name];
    if (command === undefined) throw new UsageError(`unknown command ${name}; see agent --help`);
    const context = commandContext(runtime ?? (await selectRuntime()), commandArgs, output, command.flags);
    return await command.run(context);
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError || error instanceof ConfigError) {
      output.err(`agent: ${error.message}`);
      return 2;
    }
    if (error instanceof IdentityError || error instanceof MembershipError || error instanceof ControlError) {
      output.err(`agent: ${error.message}`);
      return 1;
    }
    output.err(`agent: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
