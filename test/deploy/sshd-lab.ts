// A throwaway SSH server for the flash tests: OpenSSH's sshd with its own host key, config and
// authorized key (all in a temporary folder), listening only on the "device" host of a two-host
// test LAN (test/support/netns.ts); the flash script runs on the other host. `ip netns exec` gives
// sshd its own mount namespace, where a tmpfs over /run holds its privilege-separation folder
// (/run/sshd), so the host's /run is untouched. Root may log in with the test key only.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createLan, runIn, type Host, type Lan, type NsProcess } from "../support/netns.ts";

/** The absolute path of sshd (it refuses to run from a relative one), or null. */
export function sshdPath(): string | null {
  return ["/usr/sbin/sshd", "/usr/bin/sshd", "/usr/local/sbin/sshd"].find((p) => existsSync(p)) ?? null;
}

/** Why the SSH tools are missing, or null when sshd, ssh, scp and ssh-keygen are all there. */
export function sshToolsUnavailable(): string | null {
  if (sshdPath() === null) return "sshd is not installed (apt-get install openssh-server)";
  for (const tool of ["ssh", "scp", "ssh-keygen"]) {
    const r = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
    if (r.status !== 0) return `${tool} is not installed (apt-get install openssh-client)`;
  }
  return null;
}

/** A running sshd on the device host of a two-host LAN. */
export interface SshLab {
  lan: Lan;
  /** Where sshd listens (host 1). */
  device: Host;
  /** Where the client runs (host 2). */
  client: Host;
  port: number;
  /** The client's private key (ssh -i). */
  key: string;
  /** `-o` options that pin the lab's host key and keep ssh away from ~/.ssh and any agent. */
  sshOptions: string[];
  sshd: NsProcess;
  /** How many logins sshd has accepted so far. */
  logins(): number;
  /** Stops sshd and removes the namespaces. Never throws. */
  stop(): Promise<void>;
}

/** Runs `ssh-keygen` for a new Ed25519 key at `path` (no passphrase). */
function keygen(path: string): void {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "p2p-agent flash test", "-f", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh-keygen -f ${path} exited ${r.status}: ${r.stderr}`);
}

/**
 * Makes keys and an sshd config in `dir`, a LAN of two hosts (subnet `subnet`), and starts sshd on
 * host 1, port `port`; resolves once it listens. Throws (after cleaning up) when it does not.
 */
export async function startSshLab(dir: string, options: { subnet?: number; port?: number } = {}): Promise<SshLab> {
  const port = options.port ?? 2222;
  const sshd = sshdPath();
  if (sshd === null) throw new Error("sshd is not installed");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const key = join(dir, "client_ed25519");
  keygen(hostKey);
  keygen(key);
  await writeFile(join(dir, "authorized_keys"), await readFile(`${key}.pub`));
  const lan = createLan(2, { subnet: options.subnet ?? 9 });
  const [device, client] = lan.hosts as [Host, Host];
  try {
    await writeFile(join(dir, "known_hosts"), `[${device.address}]:${port} ${(await readFile(`${hostKey}.pub`, "utf8")).trim()}\n`);
    const config = [
      `ListenAddress ${device.address}:${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PidFile none",
      "AllowUsers root",
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The temporary folder is not owned the way StrictModes wants a home's .ssh to be.
      "StrictModes no",
      "PrintMotd no",
      "PrintLastLog no",
      "X11Forwarding no",
      "AllowTcpForwarding no",
      "AllowAgentForwarding no",
      // scp speaks SFTP since OpenSSH 9.0; sshd's built-in server needs no helper binary.
      "Subsystem sftp internal-sftp",
      "LogLevel INFO",
    ];
    const configFile = join(dir, "sshd_config");
    await writeFile(configFile, config.join("\n") + "\n");
    // Inside the namespace's own mount namespace: a fresh /run for /run/sshd, then sshd in the
    // foreground (-D) logging to stderr (-e).
    const script = `mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec "$0" -D -e -f "$1"`;
    const proc = runIn(device.ns, "sshd", "sh", ["-c", script, sshd, configFile]);
    await waitForRaw(proc, (line) => line.startsWith("Server listening on"), "sshd listening", 10_000);
    const sshOptions = [
      `UserKnownHostsFile=${join(dir, "known_hosts")}`,
      "GlobalKnownHostsFile=/dev/null",
      "StrictHostKeyChecking=yes",
      "BatchMode=yes",
      "IdentitiesOnly=yes",
      "IdentityAgent=none",
      "ConnectTimeout=10",
    ];
    return {
      lan,
      device,
      client,
      port,
      key,
      sshOptions,
      sshd: proc,
      logins: () => proc.raw.filter((l) => l.startsWith("Accepted publickey for root")).length,
      async stop() {
        await proc.stop(2_000).catch(() => undefined);
        lan.destroy();
      },
    };
  } catch (error) {
    lan.destroy();
    throw error;
  }
}

/** Waits until `proc` prints a raw output line matching `match` (JSON or not). */
export function waitForRaw(proc: NsProcess, match: (line: string) => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (proc.raw.some(match)) return resolve();
      if (proc.done || Date.now() > deadline) {
        return reject(new Error(`${proc.label}: ${proc.done ? "exited" : `nothing within ${timeoutMs} ms`} before ${what}\n${proc.tail()}`));
      }
      setTimeout(poll, 25);
    };
    poll();
  });
}
