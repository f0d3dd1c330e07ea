import type { Ed25519 } from "../crypto/ed25519.ts";
import { sealBox } from "../crypto/e2e.ts";
import type { Clock } from "../runtime/runtime.ts";
import { encodeCbor } from "./cbor.ts";
import { NONCE_BYTES, sealEnvelope, type Outgoing, type Signer } from "./envelope.ts";
import { boxContext } from "./receiver.ts";

/** What {@link EnvelopeSender} needs from the runtime. */
export interface SenderDeps {
  ed25519: Ed25519;
  clock: Clock;
  random: (length: number) => Uint8Array;
}

/**
 * Stamps (time, random nonce), optionally encrypts, and signs outgoing messages for one signer.
 * With `private: true` the payload is sealed end to end for `to` (see `crypto/e2e.ts`) and travels
 * as `box` instead of `payload`.
 */
export class EnvelopeSender {
  readonly #deps: SenderDeps;
  readonly #signer: Signer;

  constructor(deps: SenderDeps, signer: Signer) {
    this.#deps = deps;
    this.#signer = signer;
  }

  /** The signed envelope bytes for `message`. */
  async seal(message: Outgoing, options: { private?: boolean } = {}): Promise<Uint8Array> {
    const stamp = { ts: this.#deps.clock.now(), nonce: this.#deps.random(NONCE_BYTES) };
    if (!options.private) return sealEnvelope(this.#deps.ed25519, this.#signer, message, stamp);
    if (message.to === undefined) throw new TypeError(`a private message needs a recipient ("to")`);
    const box = sealBox(
      encodeCbor(message.payload ?? null),
      this.#signer.publicKey,
      message.to,
      boxContext(message.type, message.taskId ?? ""),
      this.#deps.random,
    );
    const { payload: _plain, ...rest } = message;
    return sealEnvelope(this.#deps.ed25519, this.#signer, { ...rest, box }, stamp);
  }
}
