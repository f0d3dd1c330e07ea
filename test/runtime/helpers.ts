// Shared helpers for the runtime adapter tests. They use `node:` modules, which both Node and
// Deno provide, only for set-up (temporary folders, the umask), never for the thing under test.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Conn } from "../../src/runtime/runtime.ts";

/** True when these tests run under Deno (and so test the Deno adapter). */
export const isDeno = "Deno" in globalThis;

/** What `selectRuntime()` must give on the runtime running the tests. */
export const expected = isDeno ? { name: "deno", ed25519: "webcrypto" } : { name: "node", ed25519: "node" };

/** Runs `fn` with a fresh temporary folder, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "p2p-runtime-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` with the process umask set to `mask`, restoring the old one afterwards. */
export async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

/** The names in `dir`, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Reads from `conn` until `length` bytes have arrived (or the stream ends) and returns them. */
export async function readBytes(conn: Conn, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  const reader = conn.readable.getReader();
  try {
    while (filled < length) {
      const { value, done } = await reader.read();
      if (done) break;
      out.set(value.subarray(0, length - filled), filled);
      filled += Math.min(value.length, length - filled);
    }
  } finally {
    reader.releaseLock();
  }
  return out.subarray(0, filled);
}

/** Reads from `conn` until the peer closes it and returns the byte count. */
export async function drain(conn: Conn): Promise<number> {
  const reader = conn.readable.getReader();
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return total;
      total += value.length;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Echoes every byte `conn` receives back to it, then closes it when the peer closes. */
export async function echo(conn: Conn): Promise<void> {
  const reader = conn.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await conn.write(value);
    }
  } catch {
    // The peer reset the connection; nothing more to echo.
  } finally {
    reader.releaseLock();
    conn.close();
  }
}

/** `length` bytes of a fixed pattern, so a reordering or a dropped chunk shows. */
export function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >>> 8)) & 0xff;
  return out;
}
