import { resolveDataDir } from "../config/data-dir.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { parseArgs, stringFlag, type FlagSpec, type ParsedArgs } from "./args.ts";

/** Where the CLI writes; injected so tests can capture output. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /**
   * Writes raw text (no newline) to stderr for a status line that updates in place; present only
   * when both stdout and stderr are terminals, so piped or redirected output never gets any.
   */
  status?(text: string): void;
}

/** Flags every command accepts. */
export const COMMON: FlagSpec = { "data-dir": "string", help: "boolean", version: "boolean" };

/** What a command gets: the runtime, its parsed arguments, output, and its data dir. */
export interface CommandContext {
  runtime: Runtime;
  /** The command's raw arguments (for repeatable flags such as `--param`). */
  argv: readonly string[];
  args: ParsedArgs;
  output: Output;
  dataDir: string;
}

/** A CLI command: returns the exit code. */
export type Command = (context: CommandContext) => Promise<number>;

/** Parses `argv` with the common flags plus `spec` and resolves the data dir. */
export function commandContext(runtime: Runtime, argv: string[], output: Output, spec: FlagSpec = {}): CommandContext {
  const args = parseArgs(argv, { ...COMMON, ...spec });
  const dataDir = resolveDataDir(stringFlag(args, "data-dir"), (n) => runtime.env(n), runtime.homeDir());
  return { runtime, argv, args, output, dataDir };
}
