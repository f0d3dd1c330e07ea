import { readFileSync } from "node:fs";

/**
 * Parsed JSON of one file in `test/vectors/`, read relative to this module so the tests find it
 * from any working directory, under Node and Deno alike. The caller names the shape it expects;
 * the tests check counts against the file's own `numberOfTests` so a truncated copy fails loudly.
 */
export function readVectors<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/${file}`, import.meta.url), "utf8")) as T;
}

/** The common outer shape of a Wycheproof `testvectors_v1` file. */
export interface WycheproofFile<Group> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly Group[];
}

/** Fields every Wycheproof test case has. */
export interface WycheproofCase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly result: "valid" | "invalid" | "acceptable";
}

/** Every case of every group, each paired with its group. */
export function casesOf<G extends { readonly tests: readonly unknown[] }>(file: WycheproofFile<G>): Array<{ group: G; test: G["tests"][number] }> {
  return file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));
}

/** A short test name: `tcId 30 invalid [TruncatedSignature] comment`. */
export function caseName(test: WycheproofCase): string {
  const flags = test.flags.length > 0 ? ` [${test.flags.join(", ")}]` : "";
  return `tcId ${test.tcId} ${test.result}${flags}${test.comment ? ` ${test.comment}` : ""}`;
}
