import type { Logger } from "../../log/logger.ts";
import { InferenceError } from "../../inference/inference-error.ts";
import { isModelHash, ModelStore, modelsDirIn } from "../../inference/model-store.ts";
import { toTensor, type Tensor } from "../../inference/tensor.ts";
import type { InferenceSettings } from "../../profiles/profile.ts";
import type { KindFn } from "../../tasks/kinds.ts";
import { nodeFiles } from "./files-node.ts";
import { createInferenceRuntime, loadOnnxRuntime, ONNXRUNTIME_MODULE, type InferenceRuntime } from "./onnx-runtime.ts";

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
export const INFER_KIND_NAMES: readonly string[] = ["infer"];

/**
 * The onnxruntime task kinds for one worker thread, today just `infer`: run any ONNX model in the
 * store on the given tensors. Input: `{model: <sha256 hex>, inputs: {name: {type, dims, data}}}`;
 * output: `{name: {type, dims, data}}` for every model output (see src/inference/tensor.ts).
 * onnxruntime is imported on the first `infer` the thread runs, not before; if it cannot be
 * loaded, each `infer` fails with `inference_unavailable` and every other kind carries on. Each
 * thread caches its sessions by model hash, so a model is read, verified and loaded once per thread.
 */
export function inferKinds(options: InferWorkerOptions, log?: Logger): Record<string, KindFn> {
  const store = new ModelStore(nodeFiles, options.modelsDir);
  let runtime: Promise<InferenceRuntime> | null = null;
  const getRuntime = () =>
    (runtime ??= createInferenceRuntime({ settings: options.settings, module: options.module ?? ONNXRUNTIME_MODULE, ...(log ? { log } : {}) }));
  return {
    infer: async (input) => {
      const { model, inputs } = parseInferInput(input);
      const session = await (await getRuntime()).session(model, () => store.get(model));
      return session.run(inputs);
    },
  };
}

/**
 * Checks an `infer` task's input and turns its tensors into typed arrays. Throws `InferenceError`
 * `bad_input` naming the field or input that is wrong.
 */
export function parseInferInput(input: unknown): { model: string; inputs: Record<string, Tensor> } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InferenceError("bad_input", "infer input expected {model: <sha256 hex>, inputs: {name: {type, dims, data}}}");
  }
  const { model, inputs } = input as { model?: unknown; inputs?: unknown };
  if (!isModelHash(model)) throw new InferenceError("bad_input", `infer input "model" expected a model's sha256 (64 lower-case hex digits), got ${JSON.stringify(model)?.slice(0, 80)}`);
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
 * not advertise it. Creates the models dir. Never throws.
 */
export async function prepareInference(options: { dataDir: string; settings: InferenceSettings; log: Logger; module?: string }): Promise<InferWorkerOptions | null> {
  const module = options.module ?? ONNXRUNTIME_MODULE;
  const modelsDir = modelsDirIn(options.dataDir);
  try {
    await loadOnnxRuntime(module);
    // Planning the providers here logs each missing one once, for the whole agent.
    const runtime = await createInferenceRuntime({ settings: options.settings, log: options.log, module });
    await nodeFiles.mkdirp(modelsDir, 0o755);
    options.log.info("inference.ready", { onnxruntime: runtime.version, providers: runtime.providers.join(","), models: modelsDir });
    return { modelsDir, settings: { ...options.settings, executionProviders: [...runtime.providers] }, module };
  } catch (error) {
    const code = error instanceof InferenceError ? error.code : "inference_unavailable";
    options.log.warn("inference.unavailable", { code, reason: (error as Error).message, kinds: INFER_KIND_NAMES.join(",") });
    return null;
  }
}
