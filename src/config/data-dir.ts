/** Environment variable that overrides the data dir (the `--data-dir` flag wins over it). */
export const DATA_DIR_ENV = "P2P_AGENT_DATA_DIR";

/**
 * Where the agent keeps its identity and state, first match wins:
 * 1. `flag` (`--data-dir DIR`);
 * 2. `$P2P_AGENT_DATA_DIR`;
 * 3. `$XDG_STATE_HOME/p2p-agent`;
 * 4. `$HOME/.local/state/p2p-agent` (the XDG default for state).
 * Throws `TypeError` when none can be found.
 */
export function resolveDataDir(
  flag: string | undefined,
  env: (name: string) => string | undefined,
  home: string | undefined,
): string {
  if (flag === "") throw new TypeError("--data-dir needs a directory, got an empty string");
  const chosen = flag ?? nonEmpty(env(DATA_DIR_ENV));
  if (chosen !== undefined) return trimSlash(chosen);
  const xdg = nonEmpty(env("XDG_STATE_HOME"));
  if (xdg !== undefined) return `${trimSlash(xdg)}/p2p-agent`;
  if (home) return `${trimSlash(home)}/.local/state/p2p-agent`;
  throw new TypeError(`no data dir: pass --data-dir DIR or set ${DATA_DIR_ENV}`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}
