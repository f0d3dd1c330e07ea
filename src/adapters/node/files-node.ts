import { open, mkdir, rename, stat, readFile, readdir, rm } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";
import { FileNotFound, type Files } from "../../runtime/runtime.ts";

/** `Files` on `node:fs`. */
export const nodeFiles: Files = {
  async readFile(path) {
    try {
      const data = await readFile(path);
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new FileNotFound(path, { cause: error });
      throw error;
    }
  },
  async writeFileAtomic(path, data, mode) {
    const dir = dirname(path);
    // Random part: concurrent writes to one path in the same millisecond must not collide.
    const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${randomBytes(6).toString("hex")}.tmp`);
    const file = await open(temp, "wx", mode);
    try {
      try {
        await file.writeFile(data);
        await file.chmod(mode); // the umask may have narrowed or the open widened nothing; be exact
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async mkdirp(path, mode) {
    await mkdir(path, { recursive: true, mode });
  },
  async mode(path) {
    try {
      return (await stat(path)).mode & 0o7777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  },
  async remove(path) {
    await rm(path, { force: true });
  },
  async list(path) {
    try {
      return (await readdir(path)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  },
};
