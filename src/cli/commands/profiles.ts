import { BUILTIN_PROFILES } from "../../profiles/builtin.ts";
import { detectProfile } from "../../profiles/detect-board.ts";
import { validateProfile } from "../../profiles/validate-profile.ts";
import type { Command } from "../context.ts";
import { table } from "../render-status.ts";

/** `agent profiles`: the shipped hardware profiles, and what `--profile auto` picks on this device. */
export const profilesCommand: Command = async ({ runtime, args, output }) => {
  const profiles = Object.entries(BUILTIN_PROFILES).map(([name, raw]) => validateProfile(raw, `profiles/${name}.json`));
  const detected = await detectProfile(runtime.files);
  if (args.flags.json) {
    output.out(JSON.stringify({ detected, profiles }));
    return 0;
  }
  const rows = profiles.map((p) => [
    p.name + (p.name === detected.profile ? " *" : ""),
    String(p.concurrency),
    `${p.memoryLimitMb} MB`,
    p.inference.executionProviders.join(">"),
    `${p.power.idleWatts}-${p.power.busyWatts} W`,
    `${p.thermal.maxC}/${p.thermal.resumeC} °C`,
    p.roles.join(","),
    String(p.brokerRank),
  ]);
  for (const line of table(["PROFILE", "TASKS", "MEMORY", "PROVIDERS", "POWER", "STOP/RESUME", "ROLES", "RANK"], rows)) output.out(line);
  output.out(`* detected here: ${detected.profile} (${detected.reason})`);
  return 0;
};
