import { selectRuntime } from "../adapters/select-runtime.ts";
import { resolveDataDir } from "../config/data-dir.ts";
import { IdentityError, loadOrCreateIdentity } from "../identity/identity.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { parseArgs, stringFlag, UsageError, type FlagSpec } from "./args.ts";
import { HELP } from "./help.ts";
import { VERSION } from "./version.ts";

/** Where the CLI writes; injected so tests can capture output. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const COMMON: FlagSpec = { "data-dir": "string", help: "boolean", version: "boolean" };

type Command = (runtime: Runtime, argv: string[], output: Output) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  async id(runtime, argv, output) {
    const args = parseArgs(argv, COMMON);
    if (args.positionals.length > 0) throw new UsageError(`id takes no arguments, got ${args.positionals.join(" ")}`);
    const dataDir = resolveDataDir(stringFlag(args, "data-dir"), runtime.env, runtime.homeDir());
    const identity = await loadOrCreateIdentity(runtime, dataDir);
    output.out(identity.id);
    return 0;
  },
  async help(_runtime, argv, output) {
    const topic = argv.find((a) => !a.startsWith("-")) ?? "main";
    const text = HELP[topic];
    if (text === undefined) throw new UsageError(`no help for unknown command ${topic}`);
    output.out(text);
    return 0;
  },
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
    const name = first === undefined || first.startsWith("-") ? "run" : first;
    const commandArgs = first === undefined || first.startsWith("-") ? argv : rest;
    if (commandArgs.includes("--help")) {
      output.out(HELP[name] ?? HELP.main!);
      return 0;
    }
    const command = COMMANDS[name];
    if (command === undefined) throw new UsageError(`unknown command ${name}; see agent --help`);
    return await command(runtime ?? (await selectRuntime()), commandArgs, output);
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      output.err(`agent: ${error.message}`);
      return 2;
    }
    if (error instanceof IdentityError) {
      output.err(`agent: ${error.message}`);
      return 1;
    }
    output.err(`agent: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
