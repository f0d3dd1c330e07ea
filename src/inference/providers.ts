import type { ExecutionProvider } from "../profiles/profile.ts";

/** What the installed onnxruntime says about one execution provider. */
export interface BackendInfo {
  /** `cpu`, `cuda`, `tensorrt`, `webgpu`, ... */
  name: string;
  /** Built into the package's native library. */
  bundled: boolean;
  /** For a provider that is not bundled: its shared library is present beside the binding. */
  installed: boolean;
}

/** The providers sessions will ask for, and each wanted one that was left out, with why. */
export interface ProviderPlan {
  /** Best first; always ends with `cpu`. */
  providers: ExecutionProvider[];
  missing: Array<{ provider: ExecutionProvider; reason: string }>;
}

/**
 * Chooses execution providers: each provider in `wanted` (a profile's `executionProviders`, best
 * first) that the installed onnxruntime has, bundled or installed beside it; `cpu` always, last.
 * A wanted provider that is absent goes into `missing` with the reason, for the log line that says
 * what the device falls back from. (A provider that is installed can still fail when the session is
 * made, with no GPU or driver; the runtime adapter then falls back to `cpu` and logs that too.)
 */
export function planProviders(wanted: readonly ExecutionProvider[], backends: readonly BackendInfo[]): ProviderPlan {
  const providers: ExecutionProvider[] = [];
  const missing: ProviderPlan["missing"] = [];
  for (const provider of wanted) {
    if (provider === "cpu" || providers.includes(provider)) continue;
    const backend = backends.find((b) => b.name === provider);
    if (!backend) missing.push({ provider, reason: `this onnxruntime build has no ${provider} execution provider` });
    else if (!backend.bundled && !backend.installed) {
      missing.push({ provider, reason: `the ${provider} provider library (libonnxruntime_providers_${provider}.so) is not installed beside onnxruntime-node's binding` });
    } else providers.push(provider);
  }
  providers.push("cpu");
  return { providers, missing };
}
