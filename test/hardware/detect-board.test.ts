// Board detection on the fixture trees and on synthetic ones, through the real Files adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { BOARDS, detectProfile } from "../../src/profiles/detect-board.ts";
import { listProfiles } from "../../src/profiles/load-profile.ts";
import { armCpuinfo, fixture, meminfo, withTree, x86Cpuinfo } from "./sysfs-tree.ts";

const { files } = await selectRuntime();
const PROFILES_DIR = fileURLToPath(new URL("../../profiles", import.meta.url));

/** Detection on a synthetic tree. */
const detectOn = (tree: Record<string, string>) => withTree(tree, (root) => detectProfile(files, root));
const model = (text: string) => ({ "/proc/device-tree/model": `${text}\0` });

test("the Pi 4 fixture is a pi4, by its device-tree model", async () => {
  const d = await detectProfile(files, fixture("pi4"));
  assert.equal(d.profile, "pi4");
  assert.equal(d.reason, 'device-tree model "Raspberry Pi 4 Model B Rev 1.4" matches "Raspberry Pi 4"');
});

test("the Jetson Orin fixture is a jetson-orin, by its model before its release file", async () => {
  const d = await detectProfile(files, fixture("jetson-orin"));
  assert.equal(d.profile, "jetson-orin");
  assert.match(d.reason, /"NVIDIA Jetson Orin Nano Developer Kit" matches "Orin"/);
});

test("the laptop fixture is x86, with its size in the reason", async () => {
  const d = await detectProfile(files, fixture("laptop"));
  assert.deepEqual(d, { profile: "x86", reason: "no board-specific signs (8 CPU cores, 15729 MB memory)" });
});

test("a Raspberry Pi 3 B+ is a pi3", async () => {
  const d = await detectOn({ ...model("Raspberry Pi 3 Model B Plus Rev 1.3"), "/proc/meminfo": meminfo(909), "/proc/cpuinfo": armCpuinfo(4, "0xd03") });
  assert.equal(d.profile, "pi3");
});

test("a Raspberry Pi 5 is a pi5; a 2 GB one gets the pi4 limits and says why", async () => {
  const big = await detectOn({ ...model("Raspberry Pi 5 Model B Rev 1.0"), "/proc/meminfo": meminfo(8053), "/proc/cpuinfo": armCpuinfo(4, "0xd0b") });
  assert.equal(big.profile, "pi5");
  const small = await detectOn({ ...model("Raspberry Pi 5 Model B Rev 1.0"), "/proc/meminfo": meminfo(2009) });
  assert.equal(small.profile, "pi4");
  assert.match(small.reason, /2009 MB memory \(< 3072 MB\), so the smaller pi4 limits/);
});

test("a 1 GB Pi 4 gets the pi3 limits; a Pi 400 and a Compute Module 4 are pi4", async () => {
  assert.equal((await detectOn({ ...model("Raspberry Pi 4 Model B Rev 1.1"), "/proc/meminfo": meminfo(909) })).profile, "pi3");
  assert.equal((await detectOn({ ...model("Raspberry Pi 400 Rev 1.0"), "/proc/meminfo": meminfo(3884) })).profile, "pi4");
  assert.equal((await detectOn({ ...model("Raspberry Pi Compute Module 4 Rev 1.0"), "/proc/meminfo": meminfo(7810) })).profile, "pi4");
});

test("a model rule with a memory floor keeps its profile when memory is unknown", async () => {
  assert.equal((await detectOn(model("Raspberry Pi 5 Model B Rev 1.0"))).profile, "pi5");
});

test("a Jetson Nano is a jetson-nano, by its device-tree model", async () => {
  const d = await detectOn({
    ...model("NVIDIA Jetson Nano Developer Kit"),
    "/etc/nv_tegra_release": "# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n",
    "/proc/meminfo": meminfo(3964),
  });
  assert.equal(d.profile, "jetson-nano");
  assert.match(d.reason, /matches "NVIDIA Jetson Nano"/);
});

test("a Jetson with an unknown model is told apart by its L4T release", async () => {
  const old = await detectOn({ ...model("NVIDIA Jetson TX2 Developer Kit"), "/etc/nv_tegra_release": "# R32 (release), REVISION: 7.4, GCID: 33514132, BOARD: t186ref, EABI: aarch64\n" });
  assert.deepEqual(old, { profile: "jetson-nano", reason: 'Jetson: device-tree model "NVIDIA Jetson TX2 Developer Kit" matches no rule; /etc/nv_tegra_release says L4T R32 (REVISION 7.4)' });
  const recent = await detectOn({ "/etc/nv_tegra_release": "# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64\n" });
  assert.deepEqual(recent, { profile: "jetson-orin", reason: "Jetson: /etc/nv_tegra_release says L4T R35 (REVISION 4.1)" });
});

test("a Tegra release file without a release is a Jetson all the same, the conservative one", async () => {
  const d = await detectOn({ "/etc/nv_tegra_release": "garbled\n" });
  assert.equal(d.profile, "jetson-nano");
  assert.match(d.reason, /names no L4T release/);
});

test("an NVIDIA driver makes a gpu box, from its version file or the device node", async () => {
  const version = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
  const byFile = await detectOn({ "/proc/driver/nvidia/version": version, "/proc/meminfo": meminfo(64000), "/proc/cpuinfo": x86Cpuinfo(32) });
  assert.equal(byFile.profile, "gpu");
  assert.match(byFile.reason, /\/proc\/driver\/nvidia\/version says "NVRM version: NVIDIA UNIX x86_64 Kernel Module 550\.54\.14/);
  const byNode = await detectOn({ "/dev/nvidia0": "", "/proc/meminfo": meminfo(32000) });
  assert.deepEqual(byNode, { profile: "gpu", reason: "NVIDIA GPU driver: /dev/nvidia0 exists" });
});

test("little memory or a single core makes a low-power device", async () => {
  const small = await detectOn({ "/proc/meminfo": meminfo(479), "/proc/cpuinfo": x86Cpuinfo(2) });
  assert.deepEqual(small, { profile: "low-power", reason: "little memory: MemTotal is 479 MB (< 1536 MB)" });
  const single = await detectOn({ "/proc/meminfo": meminfo(3900), "/proc/cpuinfo": x86Cpuinfo(1) });
  assert.deepEqual(single, { profile: "low-power", reason: "few cores: 1 (< 2)" });
  const zero = await detectOn({ ...model("Raspberry Pi Zero 2 W Rev 1.0"), "/proc/meminfo": meminfo(427) });
  assert.equal(zero.profile, "low-power");
  assert.match(zero.reason, /matches "Raspberry Pi Zero"/);
});

test("an ARM board no rule names gets the generic single-board-computer profile, not x86", async () => {
  const rock = await detectOn({ ...model("Radxa ROCK 5B"), "/proc/meminfo": meminfo(15700), "/proc/cpuinfo": armCpuinfo(8, "0xd0b") });
  assert.equal(rock.profile, "pi4");
  assert.match(rock.reason, /"Radxa ROCK 5B" matches no rule \(8 CPU cores, 15700 MB memory\)/);
  const noTree = await detectOn({ "/proc/meminfo": meminfo(4000), "/proc/cpuinfo": armCpuinfo(4) });
  assert.equal(noTree.profile, "pi4");
  assert.match(noTree.reason, /^ARM CPU with no device-tree model/);
});

test("a root with nothing in it falls back to x86 and never throws", async () => {
  const d = await detectProfile(files, `${fixture("laptop")}/no-such-folder`);
  assert.deepEqual(d, { profile: "x86", reason: "no board-specific signs (size unknown)" });
});

test("every profile hardware/boards.json names is shipped, and memory floors come with a fallback", async () => {
  const shipped = new Set(await listProfiles(files, PROFILES_DIR));
  const named = [
    ...BOARDS.deviceTreeModels.flatMap((r) => [r.profile, ...(r.otherwise === undefined ? [] : [r.otherwise])]),
    ...BOARDS.tegraRelease.rules.map((r) => r.profile),
    BOARDS.tegraRelease.unknown,
    BOARDS.nvidiaGpu.profile,
    BOARDS.lowPower.profile,
    BOARDS.unknownBoard.profile,
    BOARDS.fallback,
  ];
  for (const name of named) assert.ok(shipped.has(name), `boards.json names ${name}, which is not in profiles/`);
  for (const rule of BOARDS.deviceTreeModels) assert.equal(rule.minMemMb === undefined, rule.otherwise === undefined, rule.match);
  const releases = BOARDS.tegraRelease.rules.map((r) => r.minRelease);
  assert.deepEqual(releases, [...releases].sort((a, b) => b - a), "tegra rules must go from the highest release down");
});
