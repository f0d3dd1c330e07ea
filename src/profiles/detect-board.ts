import BOARDS_JSON from "../../hardware/boards.json" with { type: "json" };
import type { Files } from "../runtime/runtime.ts";
import { exists, readTrimmed, readText, under } from "../sensors/sysfs.ts";

/** A device-tree model rule: a substring of `/proc/device-tree/model` and the profile it means. */
export interface ModelRule {
  readonly match: string;
  readonly profile: string;
  /** When set and the board has less memory (MemTotal, MiB), `otherwise` is used instead. */
  readonly minMemMb?: number;
  readonly otherwise?: string;
}

/** The detection data of `hardware/boards.json`; rules are tried in order, the first match wins. */
export interface BoardData {
  readonly deviceTreeModels: readonly ModelRule[];
  readonly tegraRelease: {
    readonly file: string;
    /** Highest `minRelease` first: the first rule whose `minRelease` ≤ the L4T release applies. */
    readonly rules: readonly { readonly minRelease: number; readonly profile: string }[];
    /** For a release file whose release cannot be read. */
    readonly unknown: string;
  };
  /** Any of these files existing means an NVIDIA GPU driver is loaded. */
  readonly nvidiaGpu: { readonly files: readonly string[]; readonly profile: string };
  readonly lowPower: { readonly belowMemMb: number; readonly belowCores: number; readonly profile: string };
  /** A device-tree board or ARM CPU that no rule names. */
  readonly unknownBoard: { readonly profile: string };
  /** When nothing else matched. */
  readonly fallback: string;
}

/** The detection data shipped in `hardware/boards.json`. */
export const BOARDS: BoardData = BOARDS_JSON as BoardData;

/** The profile detection chose and what it found, for `agent --profile auto` to log. */
export interface Detection {
  readonly profile: string;
  readonly reason: string;
}

/** What detection read about the machine. */
interface Facts {
  model: string | null;
  memMb: number | null;
  cores: number | null;
  arm: boolean;
}

async function readFacts(files: Files, root: string): Promise<Facts> {
  const model = await readTrimmed(files, under(root, "/proc/device-tree/model"));
  const meminfo = await readText(files, under(root, "/proc/meminfo"));
  const kb = meminfo === null ? undefined : /^MemTotal:\s*(\d+)\s*kB/m.exec(meminfo)?.[1];
  const cpuinfo = (await readText(files, under(root, "/proc/cpuinfo"))) ?? "";
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  return {
    model,
    memMb: kb === undefined ? null : Math.round(Number(kb) / 1024),
    cores: cores === 0 ? null : cores,
    arm: /^(CPU architecture|CPU implementer)\s*:/m.test(cpuinfo),
  };
}

const size = (facts: Facts) => {
  const parts = [];
  if (facts.cores !== null) parts.push(`${facts.cores} CPU core${facts.cores === 1 ? "" : "s"}`);
  if (facts.memMb !== null) parts.push(`${facts.memMb} MB memory`);
  return parts.length === 0 ? "size unknown" : parts.join(", ");
};

/**
 * Works out which shipped profile suits the machine whose filesystem is at `root` ("/" on the
 * device; a fixture folder in tests), using `boards` (by default `hardware/boards.json`). In
 * order: the device-tree model (`/proc/device-tree/model`, NUL-terminated) against the model
 * rules, where a rule may fall back to a smaller profile on a board with less memory; a Jetson
 * release file (`/etc/nv_tegra_release`), by L4T release; an NVIDIA GPU driver
 * (`/proc/driver/nvidia/version` or `/dev/nvidia0`); little memory (`/proc/meminfo`) or few
 * cores (`/proc/cpuinfo`); an unnamed ARM or device-tree board; else the fallback. Missing files
 * only mean "not this"; it never throws for them. The reason says what was found.
 */
export async function detectProfile(files: Files, root = "/", boards: BoardData = BOARDS): Promise<Detection> {
  const facts = await readFacts(files, root);
  const { model, memMb } = facts;

  if (model !== null) {
    const rule = boards.deviceTreeModels.find((r) => model.includes(r.match));
    if (rule) {
      const found = `device-tree model ${JSON.stringify(model)} matches ${JSON.stringify(rule.match)}`;
      if (rule.minMemMb !== undefined && rule.otherwise !== undefined && memMb !== null && memMb < rule.minMemMb) {
        return { profile: rule.otherwise, reason: `${found}, but it has ${memMb} MB memory (< ${rule.minMemMb} MB), so the smaller ${rule.otherwise} limits` };
      }
      return { profile: rule.profile, reason: found };
    }
  }

  const tegra = await readText(files, under(root, boards.tegraRelease.file));
  if (tegra !== null) {
    const m = /R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)/.exec(tegra);
    const unmatched = model === null ? "" : `device-tree model ${JSON.stringify(model)} matches no rule; `;
    if (!m) return { profile: boards.tegraRelease.unknown, reason: `Jetson: ${unmatched}${boards.tegraRelease.file} is present but names no L4T release` };
    const release = Number(m[1]);
    const rule = boards.tegraRelease.rules.find((r) => release >= r.minRelease);
    return { profile: rule?.profile ?? boards.tegraRelease.unknown, reason: `Jetson: ${unmatched}${boards.tegraRelease.file} says L4T R${release} (REVISION ${m[2]})` };
  }

  for (const file of boards.nvidiaGpu.files) {
    if (!(await exists(files, under(root, file)))) continue;
    // Only /proc text is read: opening a device node such as /dev/nvidia0 could block or fail.
    const text = file.startsWith("/proc/") ? await readTrimmed(files, under(root, file)) : null;
    const first = text?.split("\n")[0]!.replace(/\s+/g, " ").slice(0, 100);
    return { profile: boards.nvidiaGpu.profile, reason: `NVIDIA GPU driver: ${file} ${first ? `says ${JSON.stringify(first)}` : "exists"}` };
  }

  const low = boards.lowPower;
  if (memMb !== null && memMb < low.belowMemMb) {
    return { profile: low.profile, reason: `little memory: MemTotal is ${memMb} MB (< ${low.belowMemMb} MB)` };
  }
  if (facts.cores !== null && facts.cores < low.belowCores) {
    return { profile: low.profile, reason: `few cores: ${facts.cores} (< ${low.belowCores})` };
  }

  if (model !== null || facts.arm) {
    const what = model !== null ? `device-tree model ${JSON.stringify(model)} matches no rule` : "ARM CPU with no device-tree model";
    return { profile: boards.unknownBoard.profile, reason: `${what} (${size(facts)}): the generic single-board-computer limits` };
  }
  return { profile: boards.fallback, reason: `no board-specific signs (${size(facts)})` };
}
