// Mosquitto as an independent, external MQTT broker for the mesh tests: started on 127.0.0.1 with a
// free port and a temporary config file, waited for until it accepts connections, and killed.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import type { Scope } from "./mesh-fixtures.ts";
import { waitFor } from "./wait.ts";

/** The mosquitto binary, or null when it is not installed. */
export function findMosquitto(): string | null {
  if (existsSync("/usr/sbin/mosquitto")) return "/usr/sbin/mosquitto";
  const which = spawnSync("sh", ["-c", "command -v mosquitto"], { encoding: "utf8" });
  const path = which.stdout.trim();
  return which.status === 0 && path !== "" ? path : null;
}

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A running mosquitto. */
export interface Mosquitto {
  url: string;
  port: number;
  /** What mosquitto wrote to stderr (for failure messages). */
  log(): string;
}

/** Starts `binary` on 127.0.0.1 (anonymous access, no persistence); killed by `scope`. */
export async function startMosquitto(scope: Scope, binary: string): Promise<Mosquitto> {
  const dir = await scope.tempDir("p2p-mosquitto-");
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  await writeFile(conf, [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_dest stderr", ""].join("\n"));
  const child: ChildProcess = spawn(binary, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  scope.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  });
  await waitFor(async () => child.exitCode !== null || (await accepts(port)), 5_000, `mosquitto to listen on ${port}`);
  if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr}`);
  return { url: `mqtt://127.0.0.1:${port}`, port, log: () => stderr };
}
