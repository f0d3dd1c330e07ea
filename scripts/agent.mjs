#!/usr/bin/env node
// The `agent` command as npm installs it: runs the TypeScript CLI from source through tsx.
// (`npm run build` makes the bundled dist/agent.mjs and the single executables.)
import { register } from "tsx/esm/api";

register();
await import("../src/cli/entry.ts");
