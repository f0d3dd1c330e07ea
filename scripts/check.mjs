#!/usr/bin/env node
// Project checks, run first by `npm test`: no hand-written file over 500 lines, and no `node:`
// import or Buffer in the core. Usage: node scripts/check.mjs [ROOT] (default: this project).
// Prints one line per problem on stderr and exits 1, or one OK line and exits 0.
import { fileURLToPath } from "node:url";
import { MAX_LINES, runChecks } from "./check-lib.mjs";

const root = process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url));
const { problems, files, coreFiles } = await runChecks(root);
const count = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;
if (problems.length > 0) {
  for (const line of problems) console.error(`check: ${line}`);
  console.error(`check: ${count(problems.length, "problem")} found`);
  process.exitCode = 1;
} else {
  console.log(`check: OK: ${count(files, "file")} within ${MAX_LINES} lines; ${count(coreFiles, "core file")} free of node: imports and Buffer`);
}
