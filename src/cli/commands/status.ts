import { controlRequest } from "../../control/control-client.ts";
import { CONTROL_SOCKET } from "../../control/control-protocol.ts";
import { stringFlag, UsageError } from "../args.ts";
import type { Command, CommandContext } from "../context.ts";
import { renderPeers, renderStatus, type PeerView, type StatusView } from "../render-status.ts";

/** Flags of `agent status`. */
export const STATUS_FLAGS = { json: "boolean", watch: "boolean", peer: "string", interval: "string" } as const;
/** Flags of `agent peers`. */
export const PEERS_FLAGS = { json: "boolean" } as const;

function ask(context: CommandContext, cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
  return controlRequest(context.runtime, `${context.dataDir}/${CONTROL_SOCKET}`, cmd, args);
}

/**
 * `agent status`: the running agent's status from its control socket: identity, mesh, broker,
 * resources, peers, counters and refusals. `--json` prints the raw object; `--watch` repeats
 * every `--interval` seconds (default 2) until interrupted; `--peer ID` asks that peer over the mesh.
 */
export const statusCommand: Command = async (context) => {
  const { args, output, runtime } = context;
  if (args.positionals.length > 0) throw new UsageError(`status takes no arguments, got ${args.positionals.join(" ")}`);
  const peer = stringFlag(args, "peer");
  const intervalText = stringFlag(args, "interval") ?? "2";
  const interval = Number(intervalText);
  if (!(interval >= 0.2)) throw new UsageError(`--interval expected seconds (at least 0.2), got ${intervalText}`);
  const once = async () => {
    const status = (await ask(context, "status", peer ? { peer } : {})) as StatusView;
    if (args.flags.json) output.out(JSON.stringify(status));
    else {
      if (args.flags.watch) output.out("\u001b[H\u001b[2J"); // clear the terminal between frames
      for (const line of renderStatus(status, runtime.clock.now())) output.out(line);
    }
  };
  await once();
  if (!args.flags.watch) return 0;
  for (;;) {
    await new Promise<void>((resolve) => runtime.timers.setTimeout(resolve, interval * 1000));
    await once();
  }
};

/** `agent peers`: the running agent's peer table. */
export const peersCommand: Command = async (context) => {
  const { args, output, runtime } = context;
  if (args.positionals.length > 0) throw new UsageError(`peers takes no arguments, got ${args.positionals.join(" ")}`);
  const peers = (await ask(context, "peers")) as PeerView[];
  if (args.flags.json) output.out(JSON.stringify(peers));
  else for (const line of renderPeers(peers, runtime.clock.now())) output.out(line);
  return 0;
};
