import type { Files } from "../runtime/runtime.ts";
import { listDir, readTrimmed, readNumber, under } from "./sysfs.ts";

/** One power rail measured by an INA3221 monitor. */
export interface PowerRail {
  /** The board's rail name, e.g. `VDD_IN`, `VDD_CPU_GPU_CV`, `POM_5V_GPU`. */
  readonly name: string;
  readonly watts: number;
  /** Bus voltage, volts, when the driver gives it. */
  readonly volts: number | null;
  /** Current, amperes, when the driver gives it. */
  readonly amps: number | null;
}

/** The board's rails and its total draw. */
export interface PowerRails {
  readonly rails: readonly PowerRail[];
  /** The whole board's draw, watts: the input rail when there is one, else the sum of the rails. */
  readonly totalWatts: number;
  /** Where `totalWatts` comes from: the input rail's name, or `sum`. */
  readonly totalFrom: string;
}

/**
 * Rails that measure the module's whole input (Orin and Xavier `VDD_IN`, Nano and TX2
 * `POM_5V_IN`). The other rails are parts of it, so adding them all would count twice.
 */
export const INPUT_RAILS: readonly string[] = ["VDD_IN", "POM_5V_IN"];

const HWMON_DRIVER = "/sys/bus/i2c/drivers/ina3221";
const IIO_DRIVER = "/sys/bus/i2c/drivers/ina3221x";

/**
 * The mainline hwmon layout (JetPack 5 and later, Orin):
 * `ina3221/<bus-addr>/hwmon/hwmon<M>/in<N>_label`, `in<N>_input` (mV), `curr<N>_input` (mA).
 * Channels with no current (the "sum of shunt voltages" channel) or labelled `NC` are skipped.
 */
async function readHwmon(files: Files, root: string): Promise<PowerRail[]> {
  const rails: PowerRail[] = [];
  const driver = under(root, HWMON_DRIVER);
  for (const device of await listDir(files, driver)) {
    for (const hwmon of await listDir(files, `${driver}/${device}/hwmon`)) {
      if (!hwmon.startsWith("hwmon")) continue;
      const dir = `${driver}/${device}/hwmon/${hwmon}`;
      for (const file of await listDir(files, dir)) {
        const n = /^in(\d+)_label$/.exec(file)?.[1];
        if (n === undefined) continue;
        const name = await readTrimmed(files, `${dir}/${file}`);
        const millivolts = await readNumber(files, `${dir}/in${n}_input`);
        const milliamps = await readNumber(files, `${dir}/curr${n}_input`);
        if (name === null || name === "NC" || millivolts === null || milliamps === null) continue;
        rails.push(Object.freeze({ name, watts: (millivolts * milliamps) / 1e6, volts: millivolts / 1000, amps: milliamps / 1000 }));
      }
    }
  }
  return rails;
}

/**
 * The older NVIDIA IIO layout (JetPack 4, Nano, TX2, Xavier):
 * `ina3221x/<bus-addr>/iio:device<M>/rail_name_<N>` and `in_power<N>_input` (mW), with
 * `in_voltage<N>_input` (mV) and `in_current<N>_input` (mA) beside them.
 */
async function readIio(files: Files, root: string): Promise<PowerRail[]> {
  const rails: PowerRail[] = [];
  const driver = under(root, IIO_DRIVER);
  for (const device of await listDir(files, driver)) {
    for (const iio of await listDir(files, `${driver}/${device}`)) {
      if (!iio.startsWith("iio:device")) continue;
      const dir = `${driver}/${device}/${iio}`;
      for (const file of await listDir(files, dir)) {
        const n = /^rail_name_(\d+)$/.exec(file)?.[1];
        if (n === undefined) continue;
        const name = await readTrimmed(files, `${dir}/${file}`);
        const milliwatts = await readNumber(files, `${dir}/in_power${n}_input`);
        if (name === null || name === "NC" || milliwatts === null) continue;
        const millivolts = await readNumber(files, `${dir}/in_voltage${n}_input`);
        const milliamps = await readNumber(files, `${dir}/in_current${n}_input`);
        rails.push(Object.freeze({ name, watts: milliwatts / 1000, volts: millivolts === null ? null : millivolts / 1000, amps: milliamps === null ? null : milliamps / 1000 }));
      }
    }
  }
  return rails;
}

/**
 * Reads the Jetson INA3221 power monitors under `root`, in either kernel layout, and gives each
 * rail's watts and the board's total. Returns null on boards without them; never throws.
 */
export async function readPowerRails(files: Files, root = "/"): Promise<PowerRails | null> {
  const rails = [...(await readHwmon(files, root)), ...(await readIio(files, root))];
  if (rails.length === 0) return null;
  const input = rails.find((r) => INPUT_RAILS.includes(r.name));
  return Object.freeze({
    rails: Object.freeze(rails),
    totalWatts: input ? input.watts : rails.reduce((sum, r) => sum + r.watts, 0),
    totalFrom: input ? input.name : "sum",
  });
}
