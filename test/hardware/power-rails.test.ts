// The Jetson INA3221 power-rail reader, both kernel layouts, through the real Files adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { readPowerRails } from "../../src/sensors/power-rails.ts";
import { fixture, withTree } from "./sysfs-tree.ts";

const { files } = await selectRuntime();
const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

test("Jetson Orin (hwmon layout): VDD_IN, VDD_CPU_GPU_CV, VDD_SOC; the total is VDD_IN", async () => {
  const p = await readPowerRails(files, fixture("jetson-orin"));
  assert.ok(p);
  assert.deepEqual(p.rails.map((r) => r.name), ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]);
  near(p.rails[0]!.watts, 5.064 * 1.056);
  near(p.rails[1]!.watts, 5.056 * 0.304);
  near(p.rails[2]!.watts, 5.056 * 0.576);
  assert.equal(p.rails[0]!.volts, 5.064);
  assert.equal(p.rails[0]!.amps, 1.056);
  assert.equal(p.totalFrom, "VDD_IN");
  near(p.totalWatts, 5.064 * 1.056);
});

test("boards without INA3221 monitors give null", async () => {
  assert.equal(await readPowerRails(files, fixture("pi4")), null);
  assert.equal(await readPowerRails(files, fixture("laptop")), null);
});

test("Jetson Nano (older IIO layout): rails from rail_name_N and in_powerN_input in mW", async () => {
  const dir = "/sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0";
  const tree = {
    [`${dir}/rail_name_0`]: "POM_5V_IN\n",
    [`${dir}/in_power0_input`]: "3126\n",
    [`${dir}/in_voltage0_input`]: "5040\n",
    [`${dir}/in_current0_input`]: "620\n",
    [`${dir}/rail_name_1`]: "POM_5V_GPU\n",
    [`${dir}/in_power1_input`]: "479\n",
    [`${dir}/rail_name_2`]: "POM_5V_CPU\n",
    [`${dir}/in_power2_input`]: "1277\n",
    [`${dir}/in_power3_input`]: "12\n", // no rail name: not a rail
  };
  await withTree(tree, async (root) => {
    const p = await readPowerRails(files, root);
    assert.deepEqual(p, {
      rails: [
        { name: "POM_5V_IN", watts: 3.126, volts: 5.04, amps: 0.62 },
        { name: "POM_5V_GPU", watts: 0.479, volts: null, amps: null },
        { name: "POM_5V_CPU", watts: 1.277, volts: null, amps: null },
      ],
      totalWatts: 3.126,
      totalFrom: "POM_5V_IN",
    });
  });
});

test("without an input rail (AGX Orin) the total is the sum; NC channels and unreadable ones are skipped", async () => {
  const a = "/sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3";
  const b = "/sys/bus/i2c/drivers/ina3221/1-0041/hwmon/hwmon4";
  const tree = {
    [`${a}/in1_label`]: "VDD_GPU_SOC\n", [`${a}/in1_input`]: "19200\n", [`${a}/curr1_input`]: "200\n",
    [`${a}/in2_label`]: "VDD_CPU_CV\n", [`${a}/in2_input`]: "19200\n", [`${a}/curr2_input`]: "100\n",
    [`${a}/in3_label`]: "VIN_SYS_5V0\n", [`${a}/in3_input`]: "5000\n", [`${a}/curr3_input`]: "600\n",
    [`${b}/in1_label`]: "NC\n", [`${b}/in1_input`]: "0\n", [`${b}/curr1_input`]: "0\n",
    [`${b}/in2_label`]: "VDDQ_VDD2_1V8AO\n", [`${b}/in2_input`]: "5000\n", [`${b}/curr2_input`]: "140\n",
    [`${b}/in3_label`]: "broken\n", [`${b}/in3_input`]: "5000\n",
  };
  await withTree(tree, async (root) => {
    const p = await readPowerRails(files, root);
    assert.ok(p);
    assert.deepEqual(p.rails.map((r) => r.name), ["VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0", "VDDQ_VDD2_1V8AO"]);
    assert.equal(p.totalFrom, "sum");
    near(p.totalWatts, 3.84 + 1.92 + 3 + 0.7);
  });
});
