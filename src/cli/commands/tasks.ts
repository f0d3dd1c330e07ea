import { controlRequest } from "../../control/control-client.ts";
import { CONTROL_SOCKET, encodeJson } from "../../control/control-protocol.ts";
import { FileNotFound } from "../../runtime/runtime.ts";
import type { TaskOutcome } from "../../tasks/task.ts";
import { stringFlag, UsageError } from "../args.ts";
import type { Command, CommandContext } from "../context.ts";
import { withProgress } from "../progress.ts";
import { duration, table } from "../render-status.ts";

/** Flags of `agent submit`. */
export const SUBMIT_FLAGS = {
  input: "string",
  "input-json": "string",
  "input-text": "string",
  param: "string",
  priority: "string",
  quorum: "string",
  private: "boolean",
  wait: "boolean",
  json: "boolean",
  id: "string",
  timeout: "string",
  split: "boolean",
  workflow: "string",
} as const;

const socket = (c: CommandContext) => `${c.dataDir}/${CONTROL_SOCKET}`;

async function readInput(context: CommandContext): Promise<unknown> {
  const { args, runtime } = context;
  const given = ["input", "input-json", "input-text"].filter((f) => args.flags[f] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --input, --input-json, --input-text, not ${given.join(" and ")}`);
  const file = stringFlag(args, "input");
  if (file !== undefined) {
    try {
      return await runtime.files.readFile(file);
    } catch (error) {
      if (error instanceof FileNotFound) throw new UsageError(`input file ${file} does not exist`);
      throw error;
    }
  }
  const json = stringFlag(args, "input-json");
  if (json !== undefined) {
    try {
      return JSON.parse(json);
    } catch (error) {
      throw new UsageError(`--input-json is not valid JSON: ${(error as Error).message}`);
    }
  }
  return stringFlag(args, "input-text") ?? null;
}

/** `k=v` pairs from every `--param` (repeatable; values parse as JSON when they can). */
function params(argv: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const text = arg === "--param" ? argv[++i] : arg.startsWith("--param=") ? arg.slice(8) : undefined;
    if (text === undefined) continue;
    const eq = text.indexOf("=");
    if (eq < 1) throw new UsageError(`--param expected k=v, got ${JSON.stringify(text)}`);
    const raw = text.slice(eq + 1);
    try {
      out[text.slice(0, eq)] = JSON.parse(raw);
    } catch {
      out[text.slice(0, eq)] = raw;
    }
  }
  return out;
}

function int(args: CommandContext["args"], name: string): number | undefined {
  const text = stringFlag(args, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} expected an integer, got ${text}`);
  return n;
}

function printOutcome(context: CommandContext, outcome: TaskOutcome): number {
  if (context.args.flags.json) context.output.out(encodeJson(outcome)); // bytes as {"$bytes": base64}, as on the control socket
  else if (outcome.state === "done") {
    context.output.out(typeof outcome.output === "string" ? outcome.output : encodeJson(outcome.output));
    context.output.err(`task ${outcome.id} done by ${outcome.workers.map((w) => w.slice(0, 8)).join(", ")} in ${duration(outcome.durationMs)}`);
  } else context.output.err(`agent: task ${outcome.id} failed (${outcome.reason}): ${outcome.detail}`);
  return outcome.state === "done" ? 0 : 1;
}

/** How long `submit --wait` waits for an outcome: a day. */
const WAIT_MS = 24 * 3600_000;

/**
 * `submit --wait` on a terminal: the same outcome, with a status line on stderr meanwhile (the
 * task's state from the control `task` command every 500 ms, and the time elapsed). A plain task
 * is submitted without waiting, so its ID is known, and its outcome fetched with `result`; split
 * and workflow runs answer only when finished, so their line shows the time alone.
 */
async function waitWithProgress(context: CommandContext, request: Record<string, unknown>, composite: boolean, write: (text: string) => void): Promise<TaskOutcome> {
  const ask = (cmd: string, args: Record<string, unknown>, timeoutMs?: number) => controlRequest(context.runtime, socket(context), cmd, args, timeoutMs);
  const progress = { write, clock: context.runtime.clock, timers: context.runtime.timers };
  if (composite) return (await withProgress(ask("submit", request, WAIT_MS), { ...progress, label: request.workflow !== undefined ? "workflow" : "split task" })) as TaskOutcome;
  const { id } = (await ask("submit", { ...request, wait: false })) as { id: string };
  const state = async () => ((await ask("task", { id }, 2_000)) as { state: string }).state;
  return (await withProgress(ask("result", { id }, WAIT_MS), { ...progress, label: `task ${id}`, state })) as TaskOutcome;
}

/**
 * `agent submit KIND`: hands a task to the running agent. Without `--wait` it prints the task ID;
 * with `--wait` it waits and prints the output (text as is, anything else as JSON; `--json` for
 * the whole outcome) and exits 1 when the task failed. On a terminal, without `--json`, a status
 * line on stderr shows the task's state and the time elapsed while it waits.
 */
export const submitCommand: Command = async (context) => {
  const { args, output, runtime } = context;
  const workflowFile = stringFlag(args, "workflow");
  const [kindArg, ...extra] = args.positionals;
  const kind = kindArg ?? (workflowFile !== undefined ? "workflow" : undefined);
  if (kind === undefined || extra.length > 0) throw new UsageError("submit needs exactly one KIND (or --workflow FILE), e.g. agent submit sha256 --input FILE");
  let workflow: unknown;
  if (workflowFile !== undefined) {
    try {
      workflow = JSON.parse(new TextDecoder().decode(await runtime.files.readFile(workflowFile)));
    } catch (error) {
      throw new UsageError(`workflow file ${workflowFile}: ${error instanceof FileNotFound ? "does not exist" : (error as Error).message}`);
    }
  }
  const timeoutSeconds = int(args, "timeout");
  const spec = {
    kind,
    input: await readInput(context),
    params: { ...params(context.argv), ...(timeoutSeconds !== undefined ? { timeoutMs: timeoutSeconds * 1000 } : {}) },
    ...(int(args, "priority") !== undefined ? { priority: int(args, "priority") } : {}),
    ...(int(args, "quorum") !== undefined ? { quorum: int(args, "quorum") } : {}),
    ...(args.flags.private ? { private: true } : {}),
    ...(stringFlag(args, "id") ? { id: stringFlag(args, "id") } : {}),
  };
  const composite = workflow !== undefined || Boolean(args.flags.split);
  const wait = Boolean(args.flags.wait) || composite; // split and workflow runs answer when finished
  const request = { spec, wait, ...(workflow !== undefined ? { workflow } : {}), ...(args.flags.split ? { split: true } : {}) };
  if (wait && !args.flags.json && output.status) return printOutcome(context, await waitWithProgress(context, request, composite, output.status));
  const answer = await controlRequest(runtime, socket(context), "submit", request, wait ? WAIT_MS : 10_000);
  if (wait) return printOutcome(context, answer as TaskOutcome);
  const id = (answer as { id: string }).id;
  output.out(args.flags.json ? JSON.stringify({ id }) : id);
  return 0;
};

/** `agent tasks`: the tasks the running agent coordinates, most recent first. */
export const tasksCommand: Command = async (context) => {
  const list = (await controlRequest(context.runtime, socket(context), "tasks")) as Array<{ id: string; kind: string; state: string; workers: string[]; retries: number; submittedAt: number; outcome: { state: string; reason?: string; workers?: string[] } | null }>;
  if (context.args.flags.json) {
    context.output.out(JSON.stringify(list));
    return 0;
  }
  if (list.length === 0) {
    context.output.out("no tasks yet");
    return 0;
  }
  const now = context.runtime.clock.now();
  const rows = list.map((t) => [t.id, t.kind, t.outcome?.state === "failed" ? `failed (${t.outcome.reason})` : t.state, (t.outcome?.workers ?? t.workers).map((w) => w.slice(0, 8)).join(",") || "-", String(t.retries), `${duration(now - t.submittedAt)} ago`]);
  for (const line of table(["TASK", "KIND", "STATE", "WORKERS", "RETRIES", "SUBMITTED"], rows)) context.output.out(line);
  return 0;
};

/** `agent explain TASK_ID`: why the task went where it went. */
export const explainCommand: Command = async (context) => {
  const [id] = context.args.positionals;
  if (id === undefined) throw new UsageError("explain needs a TASK_ID (see agent tasks)");
  const placements = (await controlRequest(context.runtime, socket(context), "explain", { id })) as Array<{ at: number; chosen: string[]; ranking: Array<{ id: string; score: number; parts: Record<string, number>; excluded: string | null; lost: string | null }> }>;
  if (context.args.flags.json) {
    context.output.out(JSON.stringify(placements));
    return 0;
  }
  if (placements.length === 0) context.output.out(`task ${id} has not been placed yet`);
  placements.forEach((p, i) => {
    context.output.out(`placement ${i + 1} at ${new Date(p.at).toISOString()}: chose ${p.chosen.map((c) => c.slice(0, 8)).join(", ")}`);
    const rows = p.ranking.map((r) => [r.id.slice(0, 8), r.score.toFixed(3), Object.entries(r.parts).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(" "), p.chosen.includes(r.id) ? "chosen" : (r.lost ?? "")]);
    for (const line of table(["PEER", "SCORE", "PARTS", "OUTCOME"], rows)) context.output.out(`  ${line}`);
  });
  return 0;
};
