/**
 * The part of the `Deno` global the adapter uses, typed here so the project type-checks without
 * Deno's own type library.
 */
export interface DenoFile {
  write(data: Uint8Array): Promise<number>;
  sync(): Promise<void>;
  close(): void;
}

export interface DenoConn {
  readonly readable: ReadableStream<Uint8Array>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

export interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: { transport: string; hostname?: string; port?: number; path?: string };
  close(): void;
}

export interface DenoApi {
  readonly version: { deno: string };
  readonly errors: { NotFound: new (...args: never[]) => Error };
  readonly env: { get(name: string): string | undefined };
  readFile(path: string): Promise<Uint8Array>;
  open(path: string, options: { read?: boolean; write?: boolean; createNew?: boolean; mode?: number }): Promise<DenoFile>;
  rename(from: string, to: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  mkdir(path: string, options: { recursive: boolean; mode: number }): Promise<void>;
  stat(path: string): Promise<{ mode: number | null }>;
  remove(path: string): Promise<void>;
  readDir(path: string): AsyncIterable<{ name: string }>;
  connect(options: { hostname: string; port: number } | { transport: "unix"; path: string }): Promise<DenoConn>;
  listen(options: { hostname: string; port: number } | { transport: "unix"; path: string }): DenoListener;
}

/** The `Deno` global, or undefined outside Deno. */
export function denoGlobal(): DenoApi | undefined {
  return (globalThis as { Deno?: DenoApi }).Deno;
}
