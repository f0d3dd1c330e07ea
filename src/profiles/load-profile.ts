import { FileNotFound, type Files } from "../runtime/runtime.ts";
import type { Profile } from "./profile.ts";
import { PROFILE_NAME, ProfileError, validateProfile } from "./validate-profile.ts";

/** The file in a profiles folder that describes profiles rather than being one. */
export const SCHEMA_FILE = "schema.json";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The profile names in the folder `dir` (its `*.json` files but `schema.json`), sorted; `[]`
 * when the folder does not exist.
 */
export async function listProfiles(files: Files, dir: string): Promise<string[]> {
  return (await files.list(dir))
    .filter((f) => f.endsWith(".json") && f !== SCHEMA_FILE)
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

const MISSING: unique symbol = Symbol("missing");

/** Reads and parses `path`: `MISSING` when there is no such file, a `ProfileError` naming it for any other failure. */
async function readJson(files: Files, path: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await files.readFile(path);
  } catch (error) {
    if (error instanceof FileNotFound) return MISSING;
    throw new ProfileError("", `cannot be read: ${String(error)}`, { source: path, cause: error });
  }
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch (error) {
    throw new ProfileError("", `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { source: path, cause: error });
  }
}

/**
 * Loads a profile and validates it. `ref` is either a file path ending in `.json` (the user's own
 * profile, any name) or the name of a profile in the folder `dir` (`pi4` reads `dir/pi4.json`,
 * whose `name` must then be `pi4`). Throws a `ProfileError`: code `profile_not_found` for a
 * missing file or unknown name (the message lists the names available), `bad_profile` for a file
 * that is not JSON or breaks a rule, naming the field. `auto` is not a profile: run
 * `detectProfile` first and load the name it gives.
 */
export async function loadProfile(files: Files, ref: string, dir: string): Promise<Profile> {
  if (typeof ref !== "string" || ref === "") throw new TypeError(`"ref" expected a profile name or a path ending in .json, got ${JSON.stringify(ref)}`);
  if (ref.endsWith(".json")) {
    const value = await readJson(files, ref);
    if (value === MISSING) throw new ProfileError("", "no such file", { source: ref, code: "profile_not_found" });
    return validateProfile(value, ref);
  }
  const path = `${dir.replace(/\/+$/, "")}/${ref}.json`;
  const value = PROFILE_NAME.test(ref) && `${ref}.json` !== SCHEMA_FILE ? await readJson(files, path) : MISSING;
  if (value === MISSING) {
    const names = await listProfiles(files, dir);
    const available = names.length === 0 ? `there are no profiles in ${dir}` : `available: ${names.join(", ")}`;
    throw new ProfileError("", `unknown profile ${JSON.stringify(ref)}; ${available}, or give a path ending in .json`, { code: "profile_not_found" });
  }
  const profile = validateProfile(value, path);
  if (profile.name !== ref) throw new ProfileError("name", `must match the file name ${JSON.stringify(ref)}, got ${JSON.stringify(profile.name)}`, { source: path });
  return profile;
}
