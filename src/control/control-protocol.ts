/**
 * The local control protocol between `agent status` (and friends) and the running agent: a Unix
 * socket in the data dir (`agent.sock`, mode 0600), one request per connection. The client writes
 * one JSON line `{"v":1,"cmd":"status","args":{}}`; the agent answers one JSON line
 * `{"ok":true,"result":…}` or `{"ok":false,"error":{"code":"…","message":"…"}}` and closes.
 */
export const CONTROL_SOCKET = "agent.sock";
export const CONTROL_VERSION = 1;
/** Longest request or response line accepted, bytes. */
export const MAX_LINE = 4 << 20;

/** A control request. */
export interface ControlRequest {
  v: number;
  cmd: string;
  args: Record<string, unknown>;
}

/** A control response. */
export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** A control call failed; `code` is stable (`not_running`, `timeout`, `bad_response`, or the agent's own code). */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ControlError";
  }
}

/** Reads one `\n`-terminated line (at most {@link MAX_LINE} bytes) from `readable`; null at end of stream without one. */
export async function readLine(readable: ReadableStream<Uint8Array>): Promise<string | null> {
  const reader = readable.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text.length > 0 ? text : null;
      text += decoder.decode(value, { stream: true });
      const nl = text.indexOf("\n");
      if (nl >= 0) return text.slice(0, nl);
      if (text.length > MAX_LINE) throw new ControlError("bad_request", `line longer than ${MAX_LINE} bytes`);
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * JSON has no bytes: on the control socket a `Uint8Array` travels as `{"$bytes": "<base64>"}`.
 * `encodeJson` and `decodeJson` convert both ways (use them for every request and response).
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v instanceof Uint8Array) {
      let bin = "";
      for (let i = 0; i < v.length; i++) bin += String.fromCharCode(v[i]!);
      return { $bytes: btoa(bin) };
    }
    if (typeof v === "bigint") return Number(v);
    return v;
  });
}

/** Inverse of {@link encodeJson}. */
export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v) => {
    if (v && typeof v === "object" && !Array.isArray(v) && typeof v.$bytes === "string" && Object.keys(v).length === 1) {
      return Uint8Array.from(atob(v.$bytes), (c) => c.charCodeAt(0));
    }
    return v;
  });
}
