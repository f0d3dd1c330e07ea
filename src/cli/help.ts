/** Help text, one entry per command; `agent help CMD` and `agent CMD --help` print these. */
export const HELP: Record<string, string> = {
  main: `agent — a peer-to-peer mesh of AI workers

Usage: agent [COMMAND] [OPTIONS]

Commands:
  run            start the agent in the foreground (the default command)
  id             print this agent's ID, creating the identity if absent
  help [CMD]     show help for a command

Options for every command:
  --data-dir DIR   where the identity and state live
                   (default $P2P_AGENT_DATA_DIR, else $XDG_STATE_HOME/p2p-agent,
                    else ~/.local/state/p2p-agent)
  --help           show help
  --version        print the version

Exit codes: 0 success, 1 failure at run time, 2 usage mistake.`,
  id: `Usage: agent id [--data-dir DIR]

Prints this agent's ID: its Ed25519 public key in lower-case base32 (52 characters).
Creates the identity (identity.json, mode 0600) in the data dir on first use.`,
};
