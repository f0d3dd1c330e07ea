import { main } from "./main.ts";

/**
 * The program entry: runs the CLI on the process's arguments and exits with its code. No top-level
 * await: the single executables embed this entry bundled as CommonJS (Node 24's SEA main script
 * cannot be an ES module), and CommonJS has none.
 */
const deno = (globalThis as { Deno?: { args: string[]; exit(code: number): never } }).Deno;
const argv = deno ? deno.args : globalThis.process.argv.slice(2);
void main(argv, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then((code) => {
  if (deno) deno.exit(code);
  else globalThis.process.exitCode = code;
});
