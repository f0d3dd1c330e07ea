import { controlRequest } from "../../control/control-client.ts";
import { CONTROL_SOCKET, ControlError } from "../../control/control-protocol.ts";
import { FileNotFound } from "../../runtime/runtime.ts";
import type { StoreResult } from "../../storage/storage-service.ts";
import type { TaskOutcome } from "../../tasks/task.ts";
import { stringFlag, UsageError } from "../args.ts";
import type { Command, CommandContext } from "../context.ts";

/** Flags of `agent store`. */
export const STORE_FLAGS = { replicas: "string", "retention-hours": "string", json: "boolean" } as const;
/** Flags of `agent fetch`. */
export const FETCH_FLAGS = { out: "string" } as const;

/** How long the CLI waits for a store or fetch task: ten minutes. */
const WAIT_MS = 600_000;

/**
 * Largest blob sent as a task's input or returned as its output: the task travels in one signed
 * envelope (1 MiB at most, with room kept for the rest of the message).
 */
export const TASK_BLOB_LIMIT = 900 * 1024;

const ask = (context: CommandContext, cmd: string, args: Record<string, unknown>) => controlRequest(context.runtime, `${context.dataDir}/${CONTROL_SOCKET}`, cmd, args, WAIT_MS);

async function submit(context: CommandContext, spec: Record<string, unknown>): Promise<TaskOutcome> {
  return (await ask(context, "submit", { spec, wait: true })) as TaskOutcome;
}

/**
 * Asks the agent's own storage service (control command `cmd`, files named by path: no size
 * limit but `storage.maxBlobMb`); null when this agent has no storage role.
 */
async function direct(context: CommandContext, cmd: string, args: Record<string, unknown>): Promise<unknown> {
  try {
    return await ask(context, cmd, args);
  } catch (error) {
    if (error instanceof ControlError && error.code === "unknown_command") return null;
    if (error instanceof ControlError && error.code !== "not_running" && error.code !== "timeout" && error.code !== "bad_response") {
      context.output.err(`agent: ${cmd.slice(8)} failed (${error.code}): ${error.message}`);
      return undefined;
    }
    throw error;
  }
}

/** `path` made absolute (the agent may run in another directory). */
function absolute(path: string): string {
  return path.startsWith("/") ? path : `${globalThis.process?.cwd?.() ?? "."}/${path}`;
}

function printStored(context: CommandContext, r: StoreResult): number {
  if (context.args.flags.json) context.output.out(JSON.stringify(r));
  else {
    context.output.out(r.hash);
    context.output.err(`stored ${r.size} bytes on ${r.replicas} of ${r.wanted} peers: ${r.holders.map((h) => h.slice(0, 8)).join(", ")}`);
  }
  if (r.replicas < r.wanted) context.output.err(`agent: warning: only ${r.replicas} copies made (${r.wanted} asked); the storage peers add copies when more join`);
  return 0;
}

function number(context: CommandContext, name: string, integer: boolean): number | undefined {
  const text = stringFlag(context.args, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} expected a positive ${integer ? "integer" : "number"}, got ${text}`);
  return n;
}

/**
 * `agent store FILE [--replicas N] [--retention-hours H]`: stores the file's bytes as a blob on
 * the mesh's storage peers and prints its hash; the holders go to stderr. On an agent with the
 * storage role the agent reads the file itself (`storage.store`, any size up to
 * `storage.maxBlobMb`); elsewhere a `store` task carries the bytes (up to `TASK_BLOB_LIMIT`).
 * Storing a `.onnx` file is how a model is shared: its hash is the model's.
 */
export const storeCommand: Command = async (context) => {
  const [file, ...extra] = context.args.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError("store needs exactly one FILE, e.g. agent store model.onnx --replicas 2");
  if ((await context.runtime.files.mode(file)) === null) throw new UsageError(`file ${file} does not exist`);
  const replicas = number(context, "replicas", true);
  const hours = number(context, "retention-hours", false);
  const params = { ...(replicas !== undefined ? { replicas } : {}), ...(hours !== undefined ? { retentionHours: hours } : {}) };
  const here = await direct(context, "storage.store", { path: absolute(file), ...params });
  if (here === undefined) return 1;
  if (here !== null) return printStored(context, here as StoreResult);
  // This agent has no storage role: a store task carries the bytes to a storage peer.
  let bytes: Uint8Array;
  try {
    bytes = await context.runtime.files.readFile(file);
  } catch (error) {
    if (error instanceof FileNotFound) throw new UsageError(`file ${file} does not exist`);
    throw error;
  }
  if (bytes.byteLength > TASK_BLOB_LIMIT) throw new UsageError(`${file} is ${bytes.byteLength} bytes; through an agent without the storage role the limit is ${TASK_BLOB_LIMIT} (run agent store on a storage peer)`);
  const outcome = await submit(context, { kind: "store", input: bytes, params });
  if (outcome.state !== "done") {
    context.output.err(`agent: store failed (${outcome.reason}): ${outcome.detail}`);
    return 1;
  }
  return printStored(context, outcome.output as StoreResult);
};

/**
 * `agent fetch HASH [--out FILE]`: fetches blob HASH from the mesh (the bytes are checked against
 * the hash) and writes it to FILE, or prints it when it is UTF-8 text. With `--out` on an agent
 * with the storage role, the agent writes the file itself (`storage.fetch`); otherwise a `fetch`
 * task brings the bytes (up to `TASK_BLOB_LIMIT`).
 */
export const fetchCommand: Command = async (context) => {
  const [hash, ...extra] = context.args.positionals;
  if (hash === undefined || extra.length > 0) throw new UsageError("fetch needs exactly one HASH (64 hex digits), e.g. agent fetch 9f86d0... --out file");
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new UsageError(`fetch expected a sha256 in lower-case hex, got ${hash}`);
  const out = stringFlag(context.args, "out");
  if (out !== undefined) {
    const here = await direct(context, "storage.fetch", { hash, out: absolute(out) });
    if (here === undefined) return 1;
    if (here !== null) {
      context.output.err(`wrote ${(here as { size: number }).size} bytes to ${out}`);
      return 0;
    }
  }
  const outcome = await submit(context, { kind: "fetch", input: { hash } });
  if (outcome.state !== "done") {
    context.output.err(`agent: fetch failed (${outcome.reason}): ${outcome.detail}`);
    return 1;
  }
  const bytes = outcome.output as Uint8Array;
  if (out !== undefined) {
    await context.runtime.files.writeFileAtomic(out, bytes, 0o644);
    context.output.err(`wrote ${bytes.byteLength} bytes to ${out}`);
    return 0;
  }
  try {
    context.output.out(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new UsageError(`blob ${hash.slice(0, 16)}… is binary (${bytes.byteLength} bytes); give --out FILE`);
  }
  return 0;
};
