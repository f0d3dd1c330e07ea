import type { Files } from "../runtime/runtime.ts";
import { BUILTIN_PROFILES } from "./builtin.ts";
import { detectProfile } from "./detect-board.ts";
import { loadProfile } from "./load-profile.ts";
import type { Profile } from "./profile.ts";
import { ProfileError, validateProfile } from "./validate-profile.ts";

/** Aliases people type for a family of boards; each maps to the detection limited to that family. */
const FAMILIES: Record<string, readonly string[]> = {
  jetson: ["jetson-nano", "jetson-orin"],
  pi: ["pi3", "pi4", "pi5"],
};

/**
 * The profile `ref` names, validated, and why it was chosen:
 * - `auto`: detected from the board (device-tree model, Tegra release, GPU, CPU and memory);
 * - `jetson` or `pi`: detected, but only among that family (falls back to its first member);
 * - a shipped name (`pi4`, `x86`, …);
 * - a path ending in `.json`: the user's own profile file.
 * Throws `ProfileError` (codes `profile_not_found`, `bad_profile`) naming the problem.
 */
export async function resolveProfile(files: Files, ref: string, root = "/"): Promise<{ profile: Profile; reason: string }> {
  if (ref.endsWith(".json")) return { profile: await loadProfile(files, ref, "."), reason: `from file ${ref}` };
  let name = ref;
  let reason = `named on the command line or in config`;
  const family = FAMILIES[ref];
  if (ref === "auto" || family) {
    const detected = await detectProfile(files, root);
    if (family && !family.includes(detected.profile)) {
      name = family[0]!;
      reason = `asked for ${ref}; detection said ${detected.profile} (${detected.reason}), so the family's first profile`;
    } else {
      name = detected.profile;
      reason = `detected: ${detected.reason}`;
    }
  }
  const raw = BUILTIN_PROFILES[name];
  if (raw === undefined) {
    throw new ProfileError("", `no profile named ${JSON.stringify(name)}; shipped: ${Object.keys(BUILTIN_PROFILES).join(", ")}, or auto, jetson, pi, or a path to a .json file`, { code: "profile_not_found" });
  }
  return { profile: validateProfile(raw, `profiles/${name}.json`), reason };
}
