import { toHex } from "../core/bytes.ts";
import type { Ed25519 } from "../crypto/ed25519.ts";
import type { Clock } from "../runtime/runtime.ts";
import { MembershipError, verifyCert, type MemberCert } from "./membership.ts";

/**
 * The agents this node knows to be members: the mesh owner, and every agent whose member
 * certificate (carried in its presence) checked out. Certificates are verified once and cached by
 * their bytes. Receivers refuse every other sender, so even on an external broker that enforces
 * nothing, non-members are kept out.
 */
export class Members {
  readonly #known = new Map<string, number>(); // agent ID -> certificate expiry (0 = never)
  readonly #checked = new Map<string, MemberCert>(); // certificate hex -> result
  readonly #deps: { ed25519: Ed25519; clock: Clock; meshId: string };

  constructor(deps: { ed25519: Ed25519; clock: Clock; meshId: string }) {
    this.#deps = deps;
    this.#known.set(deps.meshId, 0);
  }

  /** True when `agentId` is a member now. */
  has(agentId: string): boolean {
    const exp = this.#known.get(agentId);
    return exp !== undefined && (exp === 0 || exp >= this.#deps.clock.now());
  }

  /**
   * Checks `cert` for `agentId` and remembers the agent as a member. Throws `MembershipError`
   * when the certificate is invalid, expired, or for another agent.
   */
  async admit(agentId: string, cert: Uint8Array): Promise<void> {
    const key = toHex(cert);
    let checked = this.#checked.get(key);
    if (checked === undefined) {
      checked = await verifyCert(this.#deps.ed25519, cert, this.#deps.meshId, this.#deps.clock.now());
      if (this.#checked.size > 10_000) this.#checked.clear();
      this.#checked.set(key, checked);
    } else if (checked.exp !== 0 && checked.exp < this.#deps.clock.now()) {
      throw new MembershipError("expired", "certificate expired");
    }
    if (checked.kind !== "agent" || checked.member !== agentId) {
      throw new MembershipError("bad_token", `certificate is not for agent ${agentId}`);
    }
    this.#known.set(agentId, checked.exp);
  }
}
