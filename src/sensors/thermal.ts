import type { Files } from "../runtime/runtime.ts";
import { listDir, readTrimmed, readNumber, under } from "./sysfs.ts";

/** One thermal zone's reading. */
export interface ThermalZone {
  /** The sysfs entry, e.g. `thermal_zone0`. */
  readonly zone: string;
  /** What it measures, from its `type` file (`cpu-thermal`, `x86_pkg_temp`, `tj-thermal`). */
  readonly type: string;
  readonly celsius: number;
}

/** Every usable thermal zone and the hottest of them. */
export interface ThermalReading {
  readonly zones: readonly ThermalZone[];
  readonly hottest: ThermalZone;
}

/**
 * Zone types that do not measure anything: Jetson Nano and TX2 kernels expose a `PMIC-Die` zone
 * that always reads 100 °C, which would otherwise hold every Jetson at its thermal limit.
 */
export const IGNORED_ZONE_TYPES: readonly string[] = ["PMIC-Die"];

/**
 * Readings outside this range, °C, are placeholders, not temperatures: Jetson Orin reports
 * -256 °C for a computer-vision cluster that is powered off.
 */
export const PLAUSIBLE_CELSIUS = { min: -40, max: 150 } as const;

const THERMAL_DIR = "/sys/class/thermal";

/**
 * Reads every `/sys/class/thermal/thermal_zone*` under `root`: its `temp` (millidegrees Celsius)
 * and `type`. Zones that cannot be read (some answer EIO while their device sleeps), that read an
 * implausible value, or whose type is in `IGNORED_ZONE_TYPES` are left out. Returns null when the
 * board has no usable zone; never throws.
 */
export async function readThermal(files: Files, root = "/"): Promise<ThermalReading | null> {
  const names = (await listDir(files, under(root, THERMAL_DIR))).filter((n) => /^thermal_zone\d+$/.test(n));
  names.sort((a, b) => Number(a.slice(12)) - Number(b.slice(12))); // thermal_zone2 before thermal_zone10
  const zones: ThermalZone[] = [];
  for (const zone of names) {
    const dir = under(root, `${THERMAL_DIR}/${zone}`);
    const milli = await readNumber(files, `${dir}/temp`);
    if (milli === null) continue;
    const celsius = milli / 1000;
    if (celsius < PLAUSIBLE_CELSIUS.min || celsius > PLAUSIBLE_CELSIUS.max) continue;
    const type = (await readTrimmed(files, `${dir}/type`)) ?? zone;
    if (IGNORED_ZONE_TYPES.includes(type)) continue;
    zones.push(Object.freeze({ zone, type, celsius }));
  }
  if (zones.length === 0) return null;
  const hottest = zones.reduce((a, b) => (b.celsius > a.celsius ? b : a));
  return Object.freeze({ zones: Object.freeze(zones), hottest });
}
