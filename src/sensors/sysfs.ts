import type { Files } from "../runtime/runtime.ts";

/**
 * Small readers for sysfs and procfs through the `Files` contract, shared by the sensor readers
 * and board detection. Every path is taken under a `root` ("/" on a device, a fixture folder in
 * tests). None of them throws: sensors are optional hardware, and a file that is missing or
 * cannot be read (sysfs answers EIO or ENODATA for a sensor that is powered off) is no reading.
 */

/** `path` (absolute, `/`-separated) under `root`: `under("/tmp/pi4/", "/proc/x")` = `/tmp/pi4/proc/x`. */
export function under(root: string, path: string): string {
  const base = root.replace(/\/+$/, "");
  return `${base}/${path.replace(/^\/+/, "")}`;
}

const decoder = new TextDecoder();

/** The text of a file, or null when it is missing or unreadable. Trailing NULs are kept. */
export async function readText(files: Files, path: string): Promise<string | null> {
  try {
    return decoder.decode(await files.readFile(path));
  } catch {
    return null;
  }
}

/** The file's text trimmed of whitespace and NULs (device-tree strings end in NUL); null when missing or blank. */
export async function readTrimmed(files: Files, path: string): Promise<string | null> {
  const text = await readText(files, path);
  if (text === null) return null;
  const line = text.replace(/[\s\0]+$/, "").replace(/^\s+/, "");
  return line === "" ? null : line;
}

/** The file as a decimal number (sysfs values such as `48312`), or null when missing or not a number. */
export async function readNumber(files: Files, path: string): Promise<number | null> {
  const line = await readTrimmed(files, path);
  if (line === null || !/^[-+]?\d+(\.\d+)?$/.test(line)) return null;
  return Number(line);
}

/** The names in a directory, sorted; `[]` when it is missing or unreadable. */
export async function listDir(files: Files, path: string): Promise<string[]> {
  try {
    return await files.list(path);
  } catch {
    return [];
  }
}

/** True when `path` exists (any kind of file: a device node such as `/dev/nvidia0` too). */
export async function exists(files: Files, path: string): Promise<boolean> {
  try {
    return (await files.mode(path)) !== null;
  } catch {
    return false;
  }
}
