import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as Ort from "onnxruntime-node";
import type { Logger } from "../../log/logger.ts";
import { InferenceError } from "../../inference/inference-error.ts";
import { planProviders, type BackendInfo } from "../../inference/providers.ts";
import { checkInputs, fromTensor, type InputMetadata, type Tensor, type TensorOutput } from "../../inference/tensor.ts";
import type { ExecutionProvider, InferenceSettings } from "../../profiles/profile.ts";

/** onnxruntime-node's module, as `import()` gives it. */
export type OrtModule = typeof Ort;

/** The package the runtime is loaded from unless told otherwise. */
export const ONNXRUNTIME_MODULE = "onnxruntime-node";

const loads = new Map<string, Promise<OrtModule>>();

/**
 * Loads onnxruntime-node with a dynamic `import()`, once per thread (the promise is kept). Nothing
 * imports it statically, so an agent without it (a bundle copied without node_modules, a CPU with
 * no binary in the package) still starts. Rejects with `InferenceError` `inference_unavailable`
 * saying why. `module` is the specifier to load (tests point it at something missing).
 */
export function loadOnnxRuntime(module: string = ONNXRUNTIME_MODULE): Promise<OrtModule> {
  let load = loads.get(module);
  if (!load) {
    load = (async () => {
      try {
        const imported = (await import(module)) as OrtModule & { default?: OrtModule };
        const ort = imported.default?.InferenceSession ? imported.default : imported;
        if (typeof ort.InferenceSession?.create !== "function") throw new Error(`${module} has no InferenceSession`);
        // onnxruntime prints its own log lines (coloured text) on stderr, between the agent's JSON
        // lines. Its failures reach us as exceptions, which the agent logs and reports itself.
        ort.env.logLevel = "fatal";
        return ort;
      } catch (error) {
        throw new InferenceError("inference_unavailable", `onnxruntime cannot be loaded (${module}): ${(error as Error).message.split("\n")[0]}`, { cause: error });
      }
    })();
    loads.set(module, load);
  }
  return load;
}

/**
 * The execution providers this onnxruntime has: `listSupportedBackends()`, plus whether each
 * provider that is not bundled has its library (`libonnxruntime_providers_<name>.so`) beside the
 * native binding. The CUDA and TensorRT libraries are what onnxruntime-node's install step would
 * download; with `onnxruntime-node-install=skip` they are absent unless put there by hand.
 */
export function backendsOf(ort: OrtModule, module: string = ONNXRUNTIME_MODULE): BackendInfo[] {
  let bindingDir: string | null = null;
  try {
    const main = createRequire(import.meta.url).resolve(module);
    bindingDir = join(dirname(main), "..", "bin", "napi-v6", process.platform, process.arch);
  } catch {
    // resolved by import() but not by require(): treat unbundled providers as not installed
  }
  const list = (ort as unknown as { listSupportedBackends?: () => Array<{ name: string; bundled: boolean }> }).listSupportedBackends?.() ?? [{ name: "cpu", bundled: true }];
  return list.map((b) => ({ ...b, installed: b.bundled || (bindingDir !== null && existsSync(join(bindingDir, `libonnxruntime_providers_${b.name}.so`))) }));
}

/** A loaded model: what it takes, and a way to run it. */
export interface ModelSession {
  readonly hash: string;
  readonly inputs: readonly InputMetadata[];
  readonly outputNames: readonly string[];
  /** The providers this session was made with. */
  readonly providers: readonly ExecutionProvider[];
  /** Checks `inputs` against the model (`bad_input` naming the input) and runs it. */
  run(inputs: Readonly<Record<string, Tensor>>): Promise<Record<string, TensorOutput>>;
  /** Frees onnxruntime's side of the session (the runtime does this when it drops one). */
  release(): Promise<void>;
}

/** Settings of `createInferenceRuntime`. */
export interface InferenceRuntimeOptions {
  /** The profile's inference settings: providers to try, thread counts (0 = onnxruntime's default). */
  settings: InferenceSettings;
  /** Where provider fallbacks are logged. */
  log?: Logger;
  /** Sessions kept (least recently used dropped first); default 4. */
  maxSessions?: number;
  /** The specifier to import (default `onnxruntime-node`). */
  module?: string;
}

/** onnxruntime, loaded, with a cache of sessions by model hash. */
export interface InferenceRuntime {
  /** onnxruntime-node's version. */
  readonly version: string;
  /** The providers new sessions ask for, best first, ending with `cpu`. */
  readonly providers: readonly ExecutionProvider[];
  /** The session for model `hash`, made from `load()`'s bytes the first time, cached after. */
  session(hash: string, load: () => Promise<Uint8Array>): Promise<ModelSession>;
  /** Releases every cached session. */
  close(): Promise<void>;
}

/**
 * Loads onnxruntime (`loadOnnxRuntime`; rejects with `inference_unavailable`) and returns a
 * runtime whose sessions use the profile's execution providers where this onnxruntime has them
 * (each missing one logged once as `inference.provider_missing`, naming it and why) and its
 * intra-/inter-op thread counts. Sessions are cached by model hash. When a session cannot be made
 * with a GPU provider but can on `cpu`, that is logged (`inference.provider_failed`) and the
 * runtime uses `cpu` from then on; a model onnxruntime refuses on `cpu` too fails with
 * `model_invalid` (and the GPU providers stay).
 */
export async function createInferenceRuntime(options: InferenceRuntimeOptions): Promise<InferenceRuntime> {
  const module = options.module ?? ONNXRUNTIME_MODULE;
  const ort = await loadOnnxRuntime(module);
  const plan = planProviders(options.settings.executionProviders, backendsOf(ort, module));
  for (const m of plan.missing) options.log?.warn("inference.provider_missing", { provider: m.provider, reason: m.reason, using: plan.providers.join(",") });
  let providers: ExecutionProvider[] = plan.providers;
  const maxSessions = options.maxSessions ?? 4;
  const cache = new Map<string, Promise<ModelSession>>();
  const threads = {
    ...(options.settings.intraOpThreads > 0 ? { intraOpNumThreads: options.settings.intraOpThreads } : {}),
    ...(options.settings.interOpThreads > 0 ? { interOpNumThreads: options.settings.interOpThreads } : {}),
  };

  const create = async (hash: string, bytes: Uint8Array) => {
    const make = (eps: ExecutionProvider[]) => ort.InferenceSession.create(bytes, { executionProviders: eps, ...threads, logSeverityLevel: 4 });
    let gpuFailure: Error | null = null;
    if (providers.length > 1) {
      try {
        return Object.assign(await make(providers), { providers: [...providers] });
      } catch (error) {
        gpuFailure = error as Error;
      }
    }
    let session: Ort.InferenceSession;
    try {
      session = await make(["cpu"]);
    } catch (error) {
      // Refused on the CPU too: the model is at fault, not the GPU providers, which stay.
      throw new InferenceError("model_invalid", `model ${hash} cannot be loaded by onnxruntime: ${(error as Error).message.split("\n")[0]}`, { cause: error });
    }
    if (gpuFailure && providers.length > 1) {
      options.log?.warn("inference.provider_failed", { providers: providers.join(","), reason: gpuFailure.message.split("\n")[0], using: "cpu" });
      providers = ["cpu"];
    }
    return Object.assign(session, { providers: ["cpu"] as ExecutionProvider[] });
  };

  const wrap = (hash: string, s: Ort.InferenceSession & { providers: ExecutionProvider[] }): ModelSession => {
    const inputs: InputMetadata[] = s.inputMetadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name }));
    return {
      hash,
      inputs,
      outputNames: s.outputNames,
      providers: s.providers,
      async run(feeds) {
        checkInputs(feeds, inputs);
        const ortFeeds: Record<string, Ort.Tensor> = {};
        for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data as Ort.Tensor.DataType, t.dims);
        let results: Ort.InferenceSession.ReturnType;
        try {
          results = await s.run(ortFeeds);
        } catch (error) {
          throw new InferenceError("inference_failed", `model ${hash} failed on inputs ${Object.keys(feeds).join(", ")}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
        }
        const out: Record<string, TensorOutput> = {};
        for (const [name, t] of Object.entries(results)) {
          const tensor = t as Ort.Tensor;
          out[name] = fromTensor(tensor.type, tensor.dims, tensor.data as ArrayLike<number | bigint>);
          tensor.dispose();
        }
        return out;
      },
      release: () => s.release(),
    };
  };

  return {
    version: ort.env.versions?.node ?? "unknown",
    get providers() {
      return providers;
    },
    async session(hash, load) {
      let entry = cache.get(hash);
      if (entry) {
        cache.delete(hash); // move to the most recently used end
      } else {
        entry = load().then(async (bytes) => wrap(hash, await create(hash, bytes)));
        entry.catch(() => cache.get(hash) === entry && cache.delete(hash)); // a failure is not cached
      }
      cache.set(hash, entry);
      while (cache.size > maxSessions) {
        const [oldest, old] = cache.entries().next().value!;
        cache.delete(oldest);
        void old.then((s) => s.release()).catch(() => {});
      }
      return entry;
    },
    async close() {
      const all = [...cache.values()];
      cache.clear();
      await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => {})));
    },
  };
}
