// Types for check-lib.mjs, so the TypeScript tests can import it.

/** The most lines a hand-written source file may have. */
export const MAX_LINES: number;
/** Top-level folders whose hand-written files are checked for length. */
export const CHECKED_ROOTS: readonly string[];
/** Extensions of hand-written code files. */
export const CODE_EXTENSIONS: readonly string[];
/** Folders under src/ that are not core. */
export const NON_CORE: readonly string[];
/** Checked code files under `root`, relative and `/`-separated, sorted. */
export function listSourceFiles(root: string): Promise<string[]>;
/** True when `text` marks itself as generated in its first five lines. */
export function isGenerated(text: string): boolean;
/** The number of lines in `text`. */
export function countLines(text: string): number;
/** True when `path` is core code (under src/, not an adapter or the CLI). */
export function isCore(path: string): boolean;
/** `text` with comments and literal contents blanked, and its string literals by quote offset. */
export function stripSource(text: string): { code: string; strings: Map<number, string> };
/** `node:` imports and Buffer uses in `text`, with 1-based lines. */
export function coreProblems(text: string): Array<{ line: number; message: string }>;
/** Every check over the project at `root`. */
export function runChecks(root: string): Promise<{ problems: string[]; files: number; coreFiles: number }>;
