/**
 * The MQTT topic layout of one mesh (MQTT 3.1.1 §4.7). Every mesh topic sits under
 * `p2p/<meshId>/`, where `<meshId>` is the mesh owner's agent ID, so several meshes can share one
 * external broker. Agent IDs are base32 and never contain `/`, `+` or `#`.
 *
 * | topic                          | QoS | retained | who publishes        | payload                 |
 * |--------------------------------|-----|----------|----------------------|-------------------------|
 * | p2p/<mesh>/presence/<agent>    | 1   | yes      | that agent (+ will)  | signed `presence`; empty = gone |
 * | p2p/<mesh>/hb/<agent>          | 0   | no       | that agent           | signed `heartbeat`      |
 * | p2p/<mesh>/inbox/<agent>       | 1   | no       | any member           | signed, addressed to it |
 * | p2p/<mesh>/all                 | 1   | no       | any member           | signed broadcast        |
 * | sensors/...                    | any | any      | sensors, agents      | plain JSON or CBOR      |
 */
export const TOPIC_ROOT = "p2p";

/** Topic names for one mesh. */
export interface MeshTopics {
  readonly prefix: string;
  presence(agentId: string): string;
  heartbeat(agentId: string): string;
  inbox(agentId: string): string;
  readonly all: string;
  /** Wildcard filters a member subscribes to. */
  readonly presenceAll: string;
  readonly heartbeatAll: string;
}

/** The topics of mesh `meshId`. */
export function meshTopics(meshId: string): MeshTopics {
  if (!/^[a-z2-7]{52}$/.test(meshId)) throw new TypeError(`"meshId" expected an agent ID, got ${JSON.stringify(meshId)}`);
  const prefix = `${TOPIC_ROOT}/${meshId}`;
  return {
    prefix,
    presence: (id) => `${prefix}/presence/${id}`,
    heartbeat: (id) => `${prefix}/hb/${id}`,
    inbox: (id) => `${prefix}/inbox/${id}`,
    all: `${prefix}/all`,
    presenceAll: `${prefix}/presence/+`,
    heartbeatAll: `${prefix}/hb/+`,
  };
}

/** Topic levels of `topic` (MQTT 3.1.1 §4.7.1.1: `/` separates levels). */
export function topicLevels(topic: string): string[] {
  return topic.split("/");
}

/**
 * True when `topic` matches `filter` under MQTT 3.1.1 §4.7.1 wildcard rules: `+` matches one
 * level, `#` (last) matches any number of levels including none; topics starting with `$` do not
 * match filters starting with a wildcard [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
  const f = topicLevels(filter);
  const t = topicLevels(topic);
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
