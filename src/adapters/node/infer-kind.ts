import type { Logger } from "../../log/logger.ts";
import { BUILTIN_MODEL_HASHES, BUILTIN_MODELS, resolveModelRef } from "../../inference/builtin-models.ts";
import { InferenceError } from "../../inference/inference-error.ts";
import { ModelStore, modelsDirIn } from "../../inference/model-store.ts";
import { toTensor, type Tensor } from "../../inference/tensor.ts";
import type { InferenceSettings } from "../../profiles/profile.ts";
import type { KindFn } from "../../tasks/kinds.ts";
import { nodeFiles } from "./files-node.ts";
import { createInferenceRuntime, loadOnnxRuntime, ONNXRUNTIME_MODULE, type InferenceRuntime } from "./onnx-runtime.ts";
import { vectorizeKind } from "./vectorize-kind.ts";

/**
 * What a task worker thread needs to run `infer` (it travels in `workerData`, so plain data only):
 * where the models are, and the profile's inference settings.
 */
export interface InferWorkerOptions {
  /** `<data dir>/models`: models are read from `<modelsDir>/<sha256>.onnx`, checked by hash. */
  modelsDir: string;
  settings: InferenceSettings;
  /** The onnxruntime specifier (default `onnxruntime-node`; tests point it elsewhere). */
  module?: string;
}

/** The task kinds that need onnxruntime. */
export const INFER_KIND_NAMES: readonly string[] = ["infer", "vectorize"];

/**
 * The onnxruntime task kinds for one worker thread. `infer` runs any ONNX model in the store on
 * the given tensors. Input: `{model: <sha256 hex or shipped model name>, inputs: {name: {type,
 * dims, data}}}`; output: `{name: {type, dims, data}}` for every model output (see
 * src/inference/tensor.ts). `vectorize` turns texts or chunks into embeddings
 * (src/adapters/node/vectorize-kind.ts). onnxruntime is imported on the first such task the
 * thread runs, not before; if it cannot be loaded, each fails with `inference_unavailable` and
 * every other kind carries on. Each thread caches its sessions by model hash, so a model is read,
 * verified and loaded once per thread.
 */
export function inferKinds(options: InferWorkerOptions, log?: Logger): Record<string, KindFn> {
  const store = new ModelStore(nodeFiles, options.modelsDir);
  let runtime: Promise<InferenceRuntime> | null = null;
  const getRuntime = () =>
    (runtime ??= createInferenceRuntime({ settings: options.settings, module: options.module ?? ONNXRUNTIME_MODULE, ...(log ? { log } : {}) }));
  const session = async (model: string) => (await getRuntime()).session(model, () => store.get(model));
  return {
    infer: async (input) => {
      const { model, inputs } = parseInferInput(input);
      return (await session(model)).run(inputs);
    },
    vectorize: vectorizeKind(session),
  };
}

/**
 * Checks an `infer` task's input and turns its tensors into typed arrays; `model` may name a
 * shipped model (`"sensor-anomaly"`), which becomes its hash. Throws `InferenceError` `bad_input`
 * naming the field or input that is wrong.
 */
export function parseInferInput(input: unknown): { model: string; inputs: Record<string, Tensor> } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InferenceError("bad_input", "infer input expected {model: <sha256 hex or shipped model name>, inputs: {name: {type, dims, data}}}");
  }
  const { inputs } = input as { model?: unknown; inputs?: unknown };
  const model = resolveModelRef((input as { model?: unknown }).model, 'infer input "model"');
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs) || Object.keys(inputs).length === 0) {
    throw new InferenceError("bad_input", `infer input "inputs" expected an object of named tensors {name: {type, dims, data}}`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(inputs)) tensors[name] = toTensor(name, value);
  return { model, inputs: tensors };
}

/**
 * At agent start, in the main thread: loads onnxruntime to learn whether this agent can run
 * `infer`, logs the answer, and returns the options the task workers need, or null. Logs
 * `inference.ready` (onnxruntime version, providers, models dir) or, when onnxruntime cannot be
 * loaded, `inference.unavailable` with the reason: the agent then runs without the kind and does
 * not advertise it. Creates the models dir and writes the shipped models into it
 * (`installBuiltinModels`), so `vectorize` and models named by name work out of the box. Never throws.
 */
export async function prepareInference(options: { dataDir: string; settings: InferenceSettings; log: Logger; module?: string }): Promise<InferWorkerOptions | null> {
  const module = options.module ?? ONNXRUNTIME_MODULE;
  const modelsDir = modelsDirIn(options.dataDir);
  try {
    await loadOnnxRuntime(module);
    // Planning the providers here logs each missing one once, for the whole agent.
    const runtime = await createInferenceRuntime({ settings: options.settings, log: options.log, module });
    await nodeFiles.mkdirp(modelsDir, 0o755);
    // A store that cannot take the shipped models (a full disk) still runs the models it has.
    const added = await installBuiltinModels(new ModelStore(nodeFiles, modelsDir)).catch((error: Error) => {
      options.log.warn("inference.builtin_models_failed", { reason: error.message, models: modelsDir });
      return [];
    });
    options.log.info("inference.ready", { onnxruntime: runtime.version, providers: runtime.providers.join(","), models: modelsDir, ...(added.length > 0 ? { added: added.join(",") } : {}) });
    return { modelsDir, settings: { ...options.settings, executionProviders: [...runtime.providers] }, module };
  } catch (error) {
    const code = error instanceof InferenceError ? error.code : "inference_unavailable";
    options.log.warn("inference.unavailable", { code, reason: (error as Error).message, kinds: INFER_KIND_NAMES.join(",") });
    return null;
  }
}

/**
 * Writes the shipped models (`BUILTIN_MODELS`) into `store` where they are missing or damaged, and
 * returns the names of those it wrote. An intact copy (checked by hash) is left alone, so this is
 * cheap after the first start: the models are only generated when one must be written.
 */
export async function installBuiltinModels(store: ModelStore): Promise<string[]> {
  const added: string[] = [];
  for (const [name, model] of Object.entries(BUILTIN_MODELS)) {
    const intact = await store.get(BUILTIN_MODEL_HASHES[name]!).then(
      () => true,
      () => false,
    );
    if (intact) continue;
    const hash = await store.add(model.make());
    if (hash !== BUILTIN_MODEL_HASHES[name]) throw new Error(`shipped model ${name} was generated with hash ${hash}, not its pinned ${BUILTIN_MODEL_HASHES[name]}`);
    added.push(name);
  }
  return added;
}
