import type { Files } from "../runtime/runtime.ts";
import { listDir, readTrimmed, readNumber, under } from "./sysfs.ts";

/** One battery of the device. */
export interface BatteryCell {
  /** The power_supply entry, e.g. `BAT0`. */
  readonly name: string;
  /** Charge, 0 to 100. */
  readonly percent: number;
  /** The kernel's status: `Charging`, `Discharging`, `Full`, `Not charging` or `Unknown`. */
  readonly status: string;
  /** Power flowing in or out, watts (always positive), or null when the battery does not say. */
  readonly watts: number | null;
}

/** The device's batteries taken together. */
export interface BatteryReading {
  /** Mean charge of the batteries, 0 to 100. */
  readonly percent: number;
  /** `Discharging` if any battery is, else `Charging` if any is, else the first battery's status. */
  readonly status: string;
  /** True when running down on battery power: what the limits guard stops work on. */
  readonly discharging: boolean;
  /** Total power in or out of the batteries, watts, or null when unknown. */
  readonly watts: number | null;
  /** Whether external power (a `Mains` or `USB*` supply) is online; null when none is listed. */
  readonly mainsOnline: boolean | null;
  readonly batteries: readonly BatteryCell[];
}

const SUPPLY_DIR = "/sys/class/power_supply";

/** A battery's charge in percent: `capacity`, else `energy_now/energy_full`, else `charge_now/charge_full`. */
async function percentOf(files: Files, dir: string): Promise<number | null> {
  const capacity = await readNumber(files, `${dir}/capacity`);
  if (capacity !== null) return Math.min(100, Math.max(0, capacity));
  for (const kind of ["energy", "charge"]) {
    const now = await readNumber(files, `${dir}/${kind}_now`);
    const full = await readNumber(files, `${dir}/${kind}_full`);
    if (now !== null && full !== null && full > 0) return Math.min(100, Math.max(0, (100 * now) / full));
  }
  return null;
}

/** Watts from `power_now` (µW), else `current_now` (µA) times `voltage_now` (µV). Some drivers sign them. */
async function wattsOf(files: Files, dir: string): Promise<number | null> {
  const power = await readNumber(files, `${dir}/power_now`);
  if (power !== null) return Math.abs(power) / 1e6;
  const current = await readNumber(files, `${dir}/current_now`);
  const voltage = await readNumber(files, `${dir}/voltage_now`);
  if (current !== null && voltage !== null) return Math.abs(current * voltage) / 1e12;
  return null;
}

/**
 * Reads `/sys/class/power_supply/*` under `root`. Supplies of type `Battery` give charge, status
 * and power draw; those with `scope` `Device` (a wireless mouse's battery) are not the device's
 * own and are skipped. Supplies of type `Mains` or `USB*` tell whether external power is online.
 * `discharging` is true when a battery says `Discharging`, or when external power is known to be
 * offline and no battery says `Charging` or `Full`. Returns null when the device has no battery
 * (mains only); never throws.
 */
export async function readBattery(files: Files, root = "/"): Promise<BatteryReading | null> {
  const base = under(root, SUPPLY_DIR);
  const batteries: BatteryCell[] = [];
  let mainsOnline: boolean | null = null;
  for (const name of await listDir(files, base)) {
    const dir = `${base}/${name}`;
    const type = await readTrimmed(files, `${dir}/type`);
    if (type === "Mains" || type?.startsWith("USB")) {
      const online = await readNumber(files, `${dir}/online`);
      if (online !== null) mainsOnline = mainsOnline === true || online > 0;
      continue;
    }
    if (type !== "Battery" || (await readTrimmed(files, `${dir}/scope`)) === "Device") continue;
    if ((await readNumber(files, `${dir}/present`)) === 0) continue;
    const percent = await percentOf(files, dir);
    if (percent === null) continue;
    const status = (await readTrimmed(files, `${dir}/status`)) ?? "Unknown";
    batteries.push(Object.freeze({ name, percent, status, watts: await wattsOf(files, dir) }));
  }
  if (batteries.length === 0) return null;
  const statuses = batteries.map((b) => b.status);
  const status = statuses.includes("Discharging") ? "Discharging" : statuses.includes("Charging") ? "Charging" : statuses[0]!;
  const discharging = status === "Discharging" || (mainsOnline === false && status !== "Charging" && status !== "Full");
  const known = batteries.filter((b) => b.watts !== null);
  return Object.freeze({
    percent: batteries.reduce((sum, b) => sum + b.percent, 0) / batteries.length,
    status,
    discharging,
    watts: known.length === 0 ? null : known.reduce((sum, b) => sum + b.watts!, 0),
    mainsOnline,
    batteries: Object.freeze(batteries),
  });
}
