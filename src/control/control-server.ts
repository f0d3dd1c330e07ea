import type { Logger } from "../log/logger.ts";
import type { Files, Listener, Net } from "../runtime/runtime.ts";
import { CONTROL_VERSION, ControlError, decodeJson, encodeJson, readLine, type ControlRequest, type ControlResponse } from "./control-protocol.ts";

/** A control command: takes the request's args, returns what goes into `result`. */
export type ControlHandler = (args: Record<string, unknown>) => unknown | Promise<unknown>;

/**
 * The running agent's end of the control socket. `start()` listens on `path` with mode 0600; a
 * socket file left by an agent that died is detected (nobody answers on it) and replaced, while a
 * live agent on the same data dir makes `start()` fail with code `already_running`.
 */
export class ControlServer {
  readonly #deps: { net: Net; files: Files; path: string; handlers: Record<string, ControlHandler>; log: Logger };
  #listener: Listener | null = null;
  #loop: Promise<void> | null = null;

  constructor(deps: { net: Net; files: Files; path: string; handlers: Record<string, ControlHandler>; log: Logger }) {
    this.#deps = deps;
  }

  /** Starts listening. Idempotent. */
  async start(): Promise<void> {
    if (this.#listener) return;
    const { net, files, path } = this.#deps;
    if ((await files.mode(path)) !== null) {
      const alive = await net.connect({ path }).then(
        (conn) => (conn.close(), true),
        () => false,
      );
      if (alive) throw new ControlError("already_running", `another agent is running on this data dir (${path} answers)`);
      await files.remove(path);
    }
    const listener = await net.listen({ path, mode: 0o600 });
    this.#listener = listener;
    this.#loop = (async () => {
      for await (const conn of listener) void this.#serve(conn);
    })();
  }

  /** Stops listening and removes the socket file. Idempotent. */
  async stop(): Promise<void> {
    const listener = this.#listener;
    this.#listener = null;
    if (!listener) return;
    await listener.close();
    await this.#loop;
    await this.#deps.files.remove(this.#deps.path);
  }

  async #serve(conn: { readable: ReadableStream<Uint8Array>; write(b: Uint8Array): Promise<void>; close(): void }): Promise<void> {
    let response: ControlResponse;
    try {
      const line = await readLine(conn.readable);
      if (line === null) throw new ControlError("bad_request", "empty request");
      let request: ControlRequest;
      try {
        request = decodeJson(line) as ControlRequest;
      } catch {
        throw new ControlError("bad_request", "request is not JSON");
      }
      if (request?.v !== CONTROL_VERSION || typeof request.cmd !== "string") throw new ControlError("bad_request", `expected {"v":${CONTROL_VERSION},"cmd":…}`);
      const handler = this.#deps.handlers[request.cmd];
      if (!handler) throw new ControlError("unknown_command", `unknown control command ${JSON.stringify(request.cmd)}`);
      const args = typeof request.args === "object" && request.args !== null ? request.args : {};
      response = { ok: true, result: await handler(args) };
    } catch (error) {
      const code = error instanceof ControlError ? error.code : "failed";
      response = { ok: false, error: { code, message: (error as Error).message } };
      if (code === "failed") this.#deps.log.warn("control.failed", { reason: (error as Error).message });
    }
    try {
      await conn.write(new TextEncoder().encode(encodeJson(response) + "\n"));
    } catch {
      // the client went away
    } finally {
      conn.close();
    }
  }
}
