// The thermal-zone reader on each fixture tree and on synthetic ones, through the real Files adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { readThermal } from "../../src/sensors/thermal.ts";
import { fixture, withTree } from "./sysfs-tree.ts";

const { files } = await selectRuntime();

test("Pi 4: its one cpu-thermal zone", async () => {
  const t = await readThermal(files, fixture("pi4"));
  assert.deepEqual(t, { zones: [{ zone: "thermal_zone0", type: "cpu-thermal", celsius: 51.121 }], hottest: { zone: "thermal_zone0", type: "cpu-thermal", celsius: 51.121 } });
});

test("Jetson Orin: powered-off vision clusters (-256 °C) are left out; tj-thermal is the hottest", async () => {
  const t = await readThermal(files, fixture("jetson-orin"));
  assert.ok(t);
  assert.deepEqual(t.zones.map((z) => z.type), ["cpu-thermal", "gpu-thermal", "soc0-thermal", "soc1-thermal", "soc2-thermal", "tj-thermal"]);
  assert.deepEqual(t.hottest, { zone: "thermal_zone8", type: "tj-thermal", celsius: 48.156 });
});

test("laptop: a zone without a temp file and the cooling devices are skipped", async () => {
  const t = await readThermal(files, fixture("laptop"));
  assert.ok(t);
  assert.deepEqual(t.zones.map((z) => `${z.zone}:${z.type}:${z.celsius}`), ["thermal_zone0:acpitz:45", "thermal_zone1:INT3400 Thermal:20", "thermal_zone2:x86_pkg_temp:53"]);
  assert.equal(t.hottest.type, "x86_pkg_temp");
});

test("no thermal zones, or none readable, gives null", async () => {
  assert.equal(await readThermal(files, `${fixture("pi4")}/missing`), null);
  await withTree({ "/sys/class/thermal/thermal_zone0/type": "cpu-thermal\n", "/sys/class/thermal/thermal_zone0/temp": "n/a\n" }, async (root) => {
    assert.equal(await readThermal(files, root), null);
  });
});

test("the Jetson Nano's fixed 100 °C PMIC-Die zone is ignored; zones sort numerically", async () => {
  const tree: Record<string, string> = {};
  const zones = ["MCPU", "GPU", "PLL", "AO", "Tboard_tegra", "Tdiode_tegra", "PMIC-Die", "thermal-fan-est", "CPU", "x", "CPU-therm"];
  const temps = [41500, 39500, 40000, 47500, 32000, 40250, 100000, 40700, 41500, 99999999, 63000];
  zones.forEach((type, i) => {
    tree[`/sys/class/thermal/thermal_zone${i}/type`] = `${type}\n`;
    tree[`/sys/class/thermal/thermal_zone${i}/temp`] = `${temps[i]}\n`;
  });
  await withTree(tree, async (root) => {
    const t = await readThermal(files, root);
    assert.ok(t);
    assert.ok(!t.zones.some((z) => z.type === "PMIC-Die" || z.type === "x"), "placeholder zones are left out");
    assert.deepEqual(t.hottest, { zone: "thermal_zone10", type: "CPU-therm", celsius: 63 });
    assert.equal(t.zones.at(-1)!.zone, "thermal_zone10");
  });
});

test("a zone without a type file is named after its folder", async () => {
  await withTree({ "/sys/class/thermal/thermal_zone3/temp": "-5000\n" }, async (root) => {
    assert.deepEqual((await readThermal(files, root))?.hottest, { zone: "thermal_zone3", type: "thermal_zone3", celsius: -5 });
  });
});
