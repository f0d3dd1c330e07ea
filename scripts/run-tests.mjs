#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node:test through tsx. (Node 20's --test does not expand
// globs itself.) Extra arguments are passed to node before the file list, e.g. a directory filter:
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs test/wire  only the files under test/wire
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const files = (roots.length > 0 ? roots : ["test"]).flatMap((r) => (statSync(r).isDirectory() ? find(r) : [r]));
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...flags, ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
