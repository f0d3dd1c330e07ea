// Writes the models shipped with the project (src/inference/builtin-models.ts) as ONNX files,
// deterministically and without Python: each as <OUT>/<sha256>.onnx, the layout of an agent's
// models dir, plus <OUT>/models.json naming them. `npm run build` runs it into dist/models/.
// Usage: node --import tsx scripts/make-models.ts [OUT]   (default: dist/models)
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BUILTIN_MODELS } from "../src/inference/builtin-models.ts";
import { modelHash } from "../src/inference/model-store.ts";

/** One written model: its name, hash, file and size. */
export interface MadeModel {
  name: string;
  sha256: string;
  file: string;
  bytes: number;
  describe: string;
}

/**
 * Writes every built-in model to `outDir` as `<sha256>.onnx` (creating the folder) and an index,
 * `models.json`: `{"<name>": {"sha256", "file", "bytes", "describe"}}`. Running it twice writes
 * the same bytes. Returns what it wrote.
 */
export async function makeModels(outDir: string): Promise<MadeModel[]> {
  await mkdir(outDir, { recursive: true });
  const made: MadeModel[] = [];
  for (const [name, model] of Object.entries(BUILTIN_MODELS)) {
    const bytes = model.make();
    const sha256 = await modelHash(bytes);
    const file = `${sha256}.onnx`;
    await writeFile(join(outDir, file), bytes);
    made.push({ name, sha256, file, bytes: bytes.byteLength, describe: model.describe });
  }
  const index = Object.fromEntries(made.map(({ name, ...rest }) => [name, rest]));
  await writeFile(join(outDir, "models.json"), `${JSON.stringify(index, null, 2)}\n`);
  return made;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const out = resolve(process.argv[2] ?? join(fileURLToPath(new URL("..", import.meta.url)), "dist", "models"));
  for (const m of await makeModels(out)) console.log(`${m.name.padEnd(16)} ${m.sha256}  ${m.bytes} bytes  ${m.describe}`);
  console.log(`make-models: wrote ${out}`);
}
