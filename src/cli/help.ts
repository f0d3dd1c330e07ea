/** Help text, one entry per command; `agent help CMD` and `agent CMD --help` print these. */
export const HELP: Record<string, string> = {
  main: `agent — a peer-to-peer mesh of AI workers

Usage: agent [COMMAND] [OPTIONS]

Commands:
  run            start the agent in the foreground (the default command)
  status         the running agent's status (--json, --watch, --peer ID)
  peers          the running agent's peer table (--json)
  submit KIND    hand a task to the running agent (--input FILE, --wait, --json, ...)
  tasks          tasks the running agent coordinates (--json)
  explain ID     why a task went where it went
  store FILE     store a file on the mesh's storage peers, replicated (--replicas N)
  fetch HASH     fetch a stored blob by its sha256 (--out FILE)
  profiles       the hardware profiles, and which one this device detects as
  bench          this device's own figures: signatures, envelopes, task jobs per second
  id             print this agent's ID, creating the identity if absent
  invite         (mesh owner) invite an agent, or make credentials for a sensor
  join TOKEN     join the mesh an invitation names
  help [CMD]     show help for a command

Options for every command:
  --data-dir DIR   where the identity and state live
                   (default $P2P_AGENT_DATA_DIR, else $XDG_STATE_HOME/p2p-agent,
                    else ~/.local/state/p2p-agent)
  --help           show help
  --version        print the version

Exit codes: 0 success, 1 failure at run time, 2 usage mistake.`,
  run: `Usage: agent [run] [OPTIONS]

Starts the agent in the foreground; Ctrl-C or SIGTERM leaves the mesh cleanly.
On first start it creates its identity and, with no invitation, founds a new mesh it owns.

Options (each also settable in --config FILE, a JSON object with the names in brackets):
  --config FILE          JSON settings file
  --profile NAME         hardware profile: auto (default), jetson, pi, a name from
                         "agent profiles", or a path to a .json profile [profile]
  --concurrency N        tasks run at once (default from the profile) [concurrency]
  --mesh NAME            name of the mesh to found when not invited (default home) [mesh]
  --broker MODE          embedded (default): host the broker here; auto: find the mesh's broker
                         by mDNS, or elect a host; or mqtt://HOST:PORT / mqtts://HOST:PORT [broker]
  --listen HOST:PORT     where the embedded broker listens (default 0.0.0.0:1883) [listen]
  --bootstrap URL        broker to try when mDNS finds none [bootstrap]
  --no-mdns              do not use mDNS [mdns: false]
  --no-inference         do not load onnxruntime (no infer kind) [inference: false]
  --mdns-interface ADDR  the interface address mDNS uses [mdnsInterface]
  --roles LIST           comma-separated: processing,vector,storage,coordinator,gateway [roles]
  --broker-rank N        0-100, how suited to host the broker in an election; 0 = never (default 1) [brokerRank]
  --heartbeat-ms N       heartbeat interval (default 2000) [heartbeatMs]
  --log-level LEVEL      debug, info (default), warn, error [logLevel]
  --metrics HOST:PORT    serve Prometheus metrics at http://HOST:PORT/metrics [metrics]
  --tls-cert FILE --tls-key FILE
                         the embedded broker listens with TLS (mqtts://) [tls: {certFile, keyFile}]
  --tls-ca FILE          PEM to trust when connecting to an mqtts:// broker [tlsCa]
Environment: P2P_AGENT_PROFILE, P2P_AGENT_MESH, P2P_AGENT_BROKER, P2P_AGENT_LISTEN,
P2P_AGENT_LOG_LEVEL (flags win over them, they win over the config file).`,
  status: `Usage: agent status [--json] [--watch [--interval SECONDS]] [--peer ID]

Shows the running agent on this data dir (asked over its control socket, agent.sock, mode 0600):
identity, version, profile, uptime, mesh, broker (mode, connection, what it hosts), resources,
peers, message counters and refusals by reason. --json prints the same as one JSON object
(fields documented in docs/cli.md). --watch repeats until Ctrl-C. --peer ID (or a unique prefix)
asks that peer for its status over the mesh (signed, members only, encrypted).
Exit 1 when no agent is running on the data dir.`,
  peers: `Usage: agent peers [--json]

The running agent's peer table: short ID (* = hosts the broker), profile, roles, health
(alive, suspect, gone), last seen, load per core, queue length, temperature.`,
  submit: `Usage: agent submit KIND [--input FILE | --input-json JSON | --input-text TEXT]
                    [--param k=v]... [--priority 0-9] [--quorum K] [--private]
                    [--id ID] [--timeout SECONDS] [--wait] [--json] [--split]
       agent submit --workflow FILE [--input... as above] [--json]

Hands a task to the running agent on this data dir, which places it on the mesh (or runs it
here). Built-in kinds: echo, sha256, sum. --input FILE sends the file's bytes (- is not
supported); --input-json a JSON value; --input-text a string. --param values parse as JSON when
they can. --quorum K runs it on K peers and takes the majority. --private encrypts it end to end.
--id makes resubmission idempotent (the same ID never runs twice). Without --wait, prints the
task ID; with --wait, prints the output and exits 1 if the task failed. --split cuts a list
input into parts sized to each capable peer (kinds sum, echo), runs them in parallel and merges
the results in order. --workflow FILE runs a dependency graph of steps (docs/tasks.md);
both wait for the result. While waiting on a terminal (not with --json), a status line on
stderr shows the task's state and the time elapsed.`,
  store: `Usage: agent store FILE [--replicas N] [--retention-hours H] [--json]

Stores the file's bytes as a blob on the mesh's storage peers and prints its sha256, the blob's
name. N copies are kept on distinct storage peers (default 2, or storage.replicas in the config);
a copy lost with its peer is re-made on another. --retention-hours deletes it after H hours
(default: kept). Storing a .onnx file shares a model: a worker that lacks it fetches it by that
hash. An agent with the storage role reads the file itself (up to storage.maxBlobMb, default 64);
through any other agent a store task carries the bytes, up to 900 KiB (docs/storage.md).`,
  fetch: `Usage: agent fetch HASH [--out FILE]

Fetches blob HASH from the mesh's storage peers; the bytes are checked against the hash and a
corrupt copy is refused. Writes FILE (on a storage agent, any size), or prints the blob when it
is UTF-8 text (through a fetch task, up to 900 KiB).`,
  tasks: `Usage: agent tasks [--json]

The tasks the running agent coordinates, most recent first: ID, kind, state, workers, retries.`,
  explain: `Usage: agent explain TASK_ID [--json]

Why the task went where it went: for each placement, every candidate peer's score, the parts of
the score (queue, speed, thermal, battery, energy, reputation), and why each loser lost.`,
  profiles: `Usage: agent profiles [--json]

Lists the shipped hardware profiles (tasks at once, memory per task, inference providers, power
model, thermal stop/resume, roles, broker rank) and marks the one --profile auto picks here, with
the reason (docs/profiles.md). --profile also takes jetson or pi (detection within that family)
or a path to your own .json profile.`,
  bench: `Usage: agent bench [--seconds N] [--json]

A quick self-test of this device, measured on the spot (no agent needs to run): Ed25519
signatures and verifications per second on the runtime's fastest path, signed envelopes built
and opened per second, and echo jobs per second through the task worker threads (one per core).
Each figure takes about --seconds N (default 1, at most 60). --json prints one JSON object.`,
  id: `Usage: agent id [--data-dir DIR]

Prints this agent's ID: its Ed25519 public key in lower-case base32 (52 characters).
Creates the identity (identity.json, mode 0600) in the data dir on first use.`,
  invite: `Usage: agent invite AGENT_ID [--days N]
       agent invite --sensor NAME [--days N]

Run on the mesh owner's device. Prints an invitation token for the agent with that ID
(get it with "agent id" on the new device), or a username and password with which a plain
MQTT sensor may publish under sensors/ and read pipeline results/ and alerts/. --days sets an expiry (default: never).`,
  join: `Usage: agent join TOKEN

Checks that TOKEN (from "agent invite" on the owner's device) invites this agent, and stores it.
The next "agent run" joins that mesh.`,
};
