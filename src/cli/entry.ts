import { main } from "./main.ts";

/** The program entry: runs the CLI on the process's arguments and exits with its code. */
const deno = (globalThis as { Deno?: { args: string[]; exit(code: number): never } }).Deno;
const argv = deno ? deno.args : globalThis.process.argv.slice(2);
const code = await main(argv, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
if (deno) deno.exit(code);
else globalThis.process.exitCode = code;
