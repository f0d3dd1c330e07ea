// Avahi as an independent DNS-SD browser inside a test namespace. avahi-browse talks to
// avahi-daemon over the D-Bus system bus, so this starts a private dbus-daemon (socket in a
// temporary folder, permissive policy) and a private avahi-daemon (browse only: publishing off)
// inside the namespace. `ip netns exec` gives the script its own mount namespace; the script
// mounts a tmpfs over /run there, so avahi's pid file and socket never touch the host's /run.
import { execFile, spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { runIn, type NsProcess } from "./netns.ts";

/** Why the avahi browser cannot run here, or null. */
export function avahiUnavailable(): string | null {
  for (const tool of ["avahi-browse", "avahi-daemon", "dbus-daemon"]) {
    const r = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
    if (r.status !== 0) return `${tool} is not installed (apt-get install avahi-utils)`;
  }
  return null;
}

/** One resolved service as `avahi-browse -rpt` prints it. */
export interface AvahiService {
  iface: string;
  name: string;
  type: string;
  host: string;
  address: string;
  port: number;
  txt: Record<string, string>;
}

/** Decodes avahi's `\DDD` escapes in parsable output. */
function unescape(text: string): string {
  return text.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(Number(d)));
}

/** Parses the `=` (resolved) lines of `avahi-browse -p -r` output. */
export function parseAvahiBrowse(output: string): AvahiService[] {
  const out: AvahiService[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("=;")) continue;
    const f = line.split(";");
    if (f.length < 10) continue;
    const txt: Record<string, string> = {};
    for (const m of f.slice(9).join(";").matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      const item = unescape(m[1]!);
      const eq = item.indexOf("=");
      if (eq > 0) txt[item.slice(0, eq)] = item.slice(eq + 1);
    }
    out.push({ iface: f[1]!, name: unescape(f[3]!), type: f[4]!, host: f[6]!, address: f[7]!, port: Number(f[8]), txt });
  }
  return out;
}

/** A private avahi-daemon running in a namespace, and a way to browse through it. */
export class AvahiBrowser {
  readonly ns: string;
  readonly daemon: NsProcess;
  readonly bus: string;

  private constructor(ns: string, daemon: NsProcess, bus: string) {
    this.ns = ns;
    this.daemon = daemon;
    this.bus = bus;
  }

  /** Starts dbus-daemon and avahi-daemon in `ns`, with their files in `dir`; resolves once avahi answers. */
  static async start(ns: string, dir: string, timeoutMs = 15_000): Promise<AvahiBrowser> {
    const bus = join(dir, "bus");
    await writeFile(
      join(dir, "bus.conf"),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${bus}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
    );
    await writeFile(
      join(dir, "avahi.conf"),
      "[server]\nuse-ipv4=yes\nuse-ipv6=no\nenable-dbus=yes\nratelimit-interval-usec=0\n[wide-area]\nenable-wide-area=no\n[publish]\ndisable-publishing=yes\n",
    );
    // The trap stops both daemons when the test sends SIGTERM to the script.
    await writeFile(
      join(dir, "avahi.sh"),
      `set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/avahi-daemon
dbus-daemon --config-file=${dir}/bus.conf --nofork --nopidfile &
DBUS=$!
trap 'kill $AV $DBUS 2>/dev/null; wait' TERM INT EXIT
for i in $(seq 1 100); do [ -S ${bus} ] && break; sleep 0.05; done
DBUS_SYSTEM_BUS_ADDRESS=unix:path=${bus} avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f ${dir}/avahi.conf &
AV=$!
wait $AV
`,
    );
    const daemon = runIn(ns, "avahi-daemon", "sh", [join(dir, "avahi.sh")]);
    const browser = new AvahiBrowser(ns, daemon, bus);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (daemon.raw.some((l) => l.includes("Server startup complete"))) return browser;
      if (daemon.done || Date.now() > deadline) {
        await daemon.stop(2_000);
        throw new Error(`avahi-daemon did not start within ${timeoutMs} ms:\n${daemon.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs `avahi-browse -rpt <type>` once in the namespace and returns the resolved services. */
  browse(type: string, timeoutMs = 10_000): Promise<{ services: AvahiService[]; output: string }> {
    return new Promise((resolve, reject) => {
      execFile(
        "ip",
        ["netns", "exec", this.ns, "avahi-browse", "-rpt", type],
        { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${this.bus}` }, timeout: timeoutMs, killSignal: "SIGKILL" },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`avahi-browse failed: ${error.message}\n${stderr}`));
          else resolve({ services: parseAvahiBrowse(stdout), output: stdout });
        },
      );
    });
  }

  /** Stops both daemons. Never throws. */
  async stop(): Promise<void> {
    await this.daemon.stop(3_000).catch(() => undefined);
  }
}
