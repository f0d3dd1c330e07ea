// Helpers for the hardware tests: the checked-in fixture trees, and synthetic trees written to a
// temporary folder. `node:` modules (which Deno also provides) are used only to set trees up; the
// code under test reads them through the real `Files` adapter of `selectRuntime()`.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of a checked-in fixture tree: `pi4`, `jetson-orin` or `laptop`. */
export function fixture(name: "pi4" | "jetson-orin" | "laptop"): string {
  return fileURLToPath(new URL(`../fixtures/sysfs/${name}`, import.meta.url));
}

/** Runs `fn` on a fresh tree holding `tree` (absolute path in the tree → contents), removed afterwards. */
export async function withTree<T>(tree: Record<string, string>, fn: (root: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), "p2p-sysfs-"));
  try {
    for (const [path, text] of Object.entries(tree)) {
      const full = join(root, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, text);
    }
    return await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** `/proc/cpuinfo` text for `n` ARM cores (Cortex-A`part`). */
export function armCpuinfo(n: number, part = "0xd08"): string {
  let out = "";
  for (let i = 0; i < n; i++) out += `processor\t: ${i}\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: ${part}\n\n`;
  return out;
}

/** `/proc/cpuinfo` text for `n` x86 logical cores. */
export function x86Cpuinfo(n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += `processor\t: ${i}\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD Ryzen 9 7950X 16-Core Processor\n\n`;
  return out;
}

/** `/proc/meminfo` text with MemTotal `mb` MiB. */
export function meminfo(mb: number): string {
  return `MemTotal:       ${mb * 1024} kB\nMemFree:        ${Math.floor(mb * 512)} kB\n`;
}
