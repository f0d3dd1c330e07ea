import type { Net, Timers } from "../runtime/runtime.ts";
import { CONTROL_VERSION, ControlError, decodeJson, encodeJson, readLine, type ControlResponse } from "./control-protocol.ts";

/**
 * Sends one control request to the agent listening on `path` and returns its result. Throws
 * `ControlError`: `not_running` when nothing listens there, `timeout` after `timeoutMs`
 * (default 10,000), `bad_response`, or the agent's own error code.
 */
export async function controlRequest(
  deps: { net: Net; timers: Timers },
  path: string,
  cmd: string,
  args: Record<string, unknown> = {},
  timeoutMs = 10_000,
): Promise<unknown> {
  let conn;
  try {
    conn = await deps.net.connect({ path });
  } catch (cause) {
    throw new ControlError("not_running", `no agent is running on this data dir (nothing answers on ${path}); start one with "agent run"`, { cause });
  }
  let timer: unknown;
  try {
    const reply = await Promise.race([
      (async () => {
        await conn.write(new TextEncoder().encode(encodeJson({ v: CONTROL_VERSION, cmd, args }) + "\n"));
        return readLine(conn.readable);
      })(),
      new Promise<never>((_, reject) => {
        timer = deps.timers.setTimeout(() => reject(new ControlError("timeout", `the agent did not answer "${cmd}" within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (reply === null) throw new ControlError("bad_response", "the agent closed the connection without answering");
    let response: ControlResponse;
    try {
      response = decodeJson(reply) as ControlResponse;
    } catch (cause) {
      throw new ControlError("bad_response", "the agent's answer is not JSON", { cause });
    }
    if (response.ok) return response.result;
    throw new ControlError(response.error?.code ?? "failed", response.error?.message ?? "the agent reported an error");
  } finally {
    deps.timers.clearTimeout(timer);
    conn.close();
  }
}
