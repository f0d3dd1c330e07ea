import { isMainThread, workerData } from "node:worker_threads";
import { runTaskWorker } from "../adapters/node/task-worker.ts";
import { main } from "./main.ts";

/**
 * The program entry: runs the CLI on the process's arguments and exits with its code. No top-level
 * await, so the module also loads where that is unavailable (`require(esm)`, a CommonJS bundle).
 */
const deno = (globalThis as { Deno?: { args: string[]; exit(code: number): never } }).Deno;
const argv = deno ? deno.args : globalThis.process.argv.slice(2);
// The bundle is also the task workers' script: a worker thread started with role "task-worker"
// runs task code instead of the CLI (see src/adapters/node/worker-executor.ts).
if (!isMainThread && (workerData as { role?: string } | null)?.role === "task-worker") runTaskWorker();
else void main(argv, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  // A status line (`submit --wait` progress) only when a person watches both streams.
  ...(globalThis.process.stdout.isTTY && globalThis.process.stderr.isTTY ? { status: (text: string) => void globalThis.process.stderr.write(text) } : {}),
}).then((code) => {
  if (deno) deno.exit(code);
  else globalThis.process.exitCode = code;
});
