// The power-supply reader on each fixture tree and on synthetic ones, through the real Files adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { readBattery } from "../../src/sensors/battery.ts";
import { fixture, withTree } from "./sysfs-tree.ts";

const { files } = await selectRuntime();
const PS = "/sys/class/power_supply";

/** A power_supply entry's files. */
const supply = (name: string, fields: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [`${PS}/${name}/${k}`, `${v}\n`]));

test("laptop: BAT0 at 57% discharging at 8.45 W, AC offline; the mouse's battery is not the laptop's", async () => {
  const b = await readBattery(files, fixture("laptop"));
  assert.deepEqual(b, {
    percent: 57,
    status: "Discharging",
    discharging: true,
    watts: 8.453,
    mainsOnline: false,
    batteries: [{ name: "BAT0", percent: 57, status: "Discharging", watts: 8.453 }],
  });
});

test("Pi 4 and Jetson Orin run on mains with no power_supply batteries: null", async () => {
  assert.equal(await readBattery(files, fixture("pi4")), null);
  assert.equal(await readBattery(files, fixture("jetson-orin")), null);
});

test("watts from current_now × voltage_now when there is no power_now; signed values count as draw", async () => {
  const tree = { ...supply("BAT1", { type: "Battery", status: "Discharging", capacity: 81, current_now: -1_250_000, voltage_now: 7_600_000 }) };
  await withTree(tree, async (root) => {
    const b = await readBattery(files, root);
    assert.equal(b?.watts, 9.5);
    assert.equal(b?.mainsOnline, null);
    assert.equal(b?.discharging, true);
  });
});

test("percent from energy_now/energy_full, else charge_now/charge_full, when there is no capacity", async () => {
  const tree = {
    ...supply("BAT0", { type: "Battery", status: "Charging", energy_now: 15_000_000, energy_full: 60_000_000 }),
    ...supply("BAT1", { type: "Battery", status: "Unknown", charge_now: 3_000_000, charge_full: 4_000_000 }),
    ...supply("ADP1", { type: "Mains", online: 1 }),
  };
  await withTree(tree, async (root) => {
    const b = await readBattery(files, root);
    assert.ok(b);
    assert.deepEqual(b.batteries.map((x) => x.percent), [25, 75]);
    assert.equal(b.percent, 50);
    assert.equal(b.status, "Charging");
    assert.equal(b.discharging, false);
    assert.equal(b.mainsOnline, true);
    assert.equal(b.watts, null);
  });
});

test("'Not charging' on a charge threshold with mains online is not discharging; with mains offline it is", async () => {
  const battery = supply("BAT0", { type: "Battery", status: "Not charging", capacity: 80 });
  await withTree({ ...battery, ...supply("AC", { type: "Mains", online: 1 }) }, async (root) => {
    assert.equal((await readBattery(files, root))?.discharging, false);
  });
  await withTree({ ...battery, ...supply("AC", { type: "Mains", online: 0 }) }, async (root) => {
    assert.equal((await readBattery(files, root))?.discharging, true);
  });
});

test("a USB-C supply online counts as external power, even with the Mains one offline", async () => {
  const tree = {
    ...supply("BAT0", { type: "Battery", status: "Full", capacity: 100 }),
    ...supply("AC", { type: "Mains", online: 0 }),
    ...supply("ucsi-source-psy-USBC000:001", { type: "USB", online: 1 }),
  };
  await withTree(tree, async (root) => {
    const b = await readBattery(files, root);
    assert.equal(b?.mainsOnline, true);
    assert.equal(b?.discharging, false);
  });
});

test("an absent battery slot (present 0) and a battery without any charge figure are skipped", async () => {
  const tree = {
    ...supply("BAT0", { type: "Battery", present: 0, capacity: 0 }),
    ...supply("BAT1", { type: "Battery", status: "Discharging" }),
  };
  await withTree(tree, async (root) => assert.equal(await readBattery(files, root), null));
});
