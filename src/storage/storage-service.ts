import { utf8 } from "../core/bytes.ts";
import { InferenceError } from "../inference/inference-error.ts";
import { ModelStore, modelsDirIn } from "../inference/model-store.ts";
import { contentHash, isContentHash } from "../runtime/content.ts";
import type { Delivered } from "../mesh/inbound.ts";
import type { AgentService, ServiceContext, ServiceKind } from "../services/service.ts";
import { BlobClient } from "./blob-client.ts";
import { BlobError } from "./blob-error.ts";
import { BlobStore, blobsDirIn, type BlobManifest } from "./blob-store.ts";
import { BLOB_TYPES, parseGet, parseHolders, parsePutPiece, pieces } from "./blob-wire.ts";
import { PUT_STALL_MS, PUTS_PER_SENDER, PutIntake } from "./put-intake.ts";
import { planRepairs, RepairBackoff } from "./replication.ts";
import { storageControl } from "./storage-control.ts";
import type { ControlHandler } from "../control/control-server.ts";

/** A `store` task's output. */
export interface StoreResult {
  hash: string;
  size: number;
  /** Agents holding a copy now, this one first. */
  holders: string[];
  /** Copies made (holders.length), and how many were asked for. */
  replicas: number;
  wanted: number;
}

/** Largest blob a `fetch` task returns: its output travels in one task envelope (1 MiB, with room for the rest). */
export const TASK_FETCH_LIMIT = 900 * 1024;

/** Longest wait before a peer that refused a copy of a blob is offered it again, ms. */
const REPAIR_BACKOFF_CAP_MS = 10 * 60_000;

/** A kind's input or params are wrong (task failure code `bad_input`). */
export class BadInput extends Error {
  readonly code = "bad_input";
}

/**
 * The storage role: content-addressed blobs on this agent's disk (`BlobStore`), replicated to
 * other storage peers. Kinds `store` and `fetch` run on the main thread. It answers `blob.put`,
 * `blob.get` and `blob.holders` from peers, re-replicates blobs whose holders left (the lowest
 * surviving holder acts, see `planRepairs`) and deletes blobs past their retention. See
 * docs/storage.md.
 */
export class StorageService implements AgentService {
  readonly name = "storage";
  readonly kinds: Readonly<Record<string, ServiceKind>>;
  readonly control: Readonly<Record<string, ControlHandler>>;
  readonly #c: ServiceContext;
  readonly store: BlobStore;
  readonly #models: ModelStore;
  #client: BlobClient | null = null;
  readonly #intake: PutIntake;
  readonly #backoff: RepairBackoff;
  readonly #busy = new Set<string>();
  readonly #timers: unknown[] = [];
  #startedAt = 0;
  readonly counters = { stored: 0, received: 0, served: 0, fetched: 0, rereplicated: 0, expired: 0, underReplicated: 0 };

  constructor(context: ServiceContext) {
    this.#c = context;
    this.store = new BlobStore(context.runtime.files, blobsDirIn(context.config.dataDir));
    this.#models = new ModelStore(context.runtime.files, modelsDirIn(context.config.dataDir));
    const maxBlobBytes = this.#maxBytes;
    this.#intake = new PutIntake({ maxBlobBytes, perSender: PUTS_PER_SENDER, budgetBytes: Math.min(2 * maxBlobBytes, this.#maxTotal), stallMs: PUT_STALL_MS });
    this.#backoff = new RepairBackoff(this.#repairEveryMs, REPAIR_BACKOFF_CAP_MS);
    this.kinds = { store: (input, params) => this.#storeKind(input, params), fetch: (input, params) => this.#fetchKind(input, params) };
    this.control = storageControl(this, (bytes, params) => this.#storeKind(bytes, params));
  }

  /** The network client (also used for models), once started. */
  get client(): BlobClient {
    if (!this.#client) throw new Error("storage service is not started");
    return this.#client;
  }

  get #maxBytes(): number {
    return this.#c.config.storage.maxBlobMb * 1024 * 1024;
  }

  get #maxTotal(): number {
    return this.#c.config.storage.maxTotalMb * 1024 * 1024;
  }

  get #repairEveryMs(): number {
    return Math.min(this.#c.config.storage.sweepSeconds * 1000, Math.max(100, this.#c.config.heartbeatMs));
  }

  /** True when `size` more bytes of a new blob fit the disk quota (blobs held plus transfers open). */
  #fits(size: number): boolean {
    return this.store.bytes() + this.#intake.reserved() + size <= this.#maxTotal;
  }

  async start(): Promise<void> {
    if (this.#client) return;
    const { node, runtime, identity, config } = this.#c;
    this.#startedAt = runtime.clock.now();
    await this.store.load(identity.id, this.#startedAt);
    this.#client = new BlobClient({ node, runtime, log: this.#c.log, maxBytes: this.#maxBytes });
    node.handle(BLOB_TYPES.put, (m) => this.#onPut(m));
    node.handle(BLOB_TYPES.get, (m) => this.#onGet(m));
    node.handle(BLOB_TYPES.holders, async (m) => {
      const h = parseHolders(m.body);
      if (h && this.store.manifest(h.hash)?.holders.includes(m.senderId)) await this.store.setHolders(h.hash, h.holders);
    });
    const sweepMs = config.storage.sweepSeconds * 1000;
    this.#timers.push(
      runtime.timers.setInterval(() => void this.sweep().catch((e: Error) => this.#c.log.warn("storage.sweep_failed", { reason: e.message })), sweepMs),
      runtime.timers.setInterval(() => void this.repair().catch((e: Error) => this.#c.log.warn("storage.repair_failed", { reason: e.message })), this.#repairEveryMs),
    );
  }

  /**
   * Stops the sweeps, ends every push and pull in flight (their waits reject at once, so repairs
   * and heals stop), drops open transfers and repair backoffs. `start()` may be called again.
   */
  async stop(): Promise<void> {
    for (const t of this.#timers.splice(0)) this.#c.runtime.timers.clearInterval(t);
    this.#client?.close();
    this.#client = null;
    this.#intake.clear();
    this.#backoff.clear();
  }

  caps(): unknown {
    return { blobs: this.store.list().length };
  }

  status(): unknown {
    const transfers = { open: this.#intake.size, reservedBytes: this.#intake.reserved(), stalled: this.#intake.stalled, refused: { ...this.#intake.refusedBy } };
    return { blobs: this.store.list().length, bytes: this.store.bytes(), maxBytes: this.#maxTotal, corrupt: this.store.corrupt, refused: this.#client?.refused ?? 0, ...this.counters, transfers };
  }

  /**
   * Blob `hash` from anywhere: this agent's blobs or models, else the storage peers (known holders
   * first). A corrupt local copy is refused and replaced by the intact copy fetched. A blob over
   * `maxBytes` fails with `blob_too_large` as soon as its size is known (from the manifest, the
   * local copy or the first piece), without asking further peers. `keep` keeps a copy here when it
   * fits the disk quota (else it is only returned, `storage.not_kept`).
   */
  async fetchBytes(hash: string, keep = false, maxBytes = this.#maxBytes): Promise<Uint8Array> {
    const tooLarge = (size: number) => new BlobError("blob_too_large", `blob ${hash.slice(0, 16)} is ${size} bytes, limit ${maxBytes}${maxBytes < this.#maxBytes ? " (what a task envelope carries: use agent fetch on a storage peer)" : " (storage.maxBlobMb)"}`);
    const manifest = this.store.manifest(hash); // read first: a corrupt copy goes with its manifest
    if (manifest && manifest.size > maxBytes) throw tooLarge(manifest.size);
    const local = await this.#local(hash, false);
    if (local && local.byteLength > maxBytes) throw tooLarge(local.byteLength);
    if (local) return local;
    const client = this.client;
    const peers = client.storagePeers();
    const order = [...(manifest?.holders ?? []).filter((h) => peers.includes(h)), ...peers.filter((p) => !manifest?.holders.includes(p))];
    const { bytes, from } = await client.fetch(hash, order, undefined, maxBytes);
    this.counters.fetched++;
    if (!manifest && keep && !this.#fits(bytes.byteLength)) {
      this.#c.log.warn("storage.not_kept", { hash: hash.slice(0, 16), size: bytes.byteLength, reason: "storage_full" });
    } else if (manifest || keep) {
      const now = this.#c.runtime.clock.now();
      const holders = [...(manifest?.holders ?? [from]), this.#c.identity.id];
      await this.store.put(bytes, { storedAt: now, expiresAt: manifest?.expiresAt ?? null, replicas: manifest?.replicas ?? this.#c.config.storage.replicas, holders }, hash);
    }
    return bytes;
  }

  /** Deletes blobs past their retention; returns how many. */
  async sweep(): Promise<number> {
    const now = this.#c.runtime.clock.now();
    let n = 0;
    for (const m of this.store.list()) {
      if (m.expiresAt === null || m.expiresAt > now || this.#busy.has(m.hash)) continue;
      await this.store.remove(m.hash);
      this.counters.expired++;
      n++;
      this.#c.log.info("storage.expired", { hash: m.hash.slice(0, 16), size: m.size });
    }
    this.#intake.prune(now);
    this.#backoff.retain(new Set(this.store.list().map((m) => m.hash)));
    return n;
  }

  /** Re-replicates blobs that have fewer live holders than their `replicas` (see `planRepairs`). */
  async repair(): Promise<void> {
    const { node, identity, runtime, config } = this.#c;
    const client = this.#client;
    if (!client || !node.connection.connected) return;
    const now = runtime.clock.now();
    this.#intake.prune(now);
    const grace = runtime.clock.now() - this.#startedAt > 10 * config.heartbeatMs;
    const isLost = (id: string) => {
      const peer = node.peers.get(id);
      return peer ? peer.health === "gone" : grace;
    };
    const backedOff = (hash: string, peer: string) => this.#backoff.blocked(hash, peer, now);
    for (const step of planRepairs(this.store.list(), identity.id, isLost, client.storagePeers(), this.#busy, backedOff)) {
      if (this.#client !== client) return; // stopped
      this.#busy.add(step.hash);
      let corrupt: BlobManifest | null = null;
      try {
        const m = this.store.manifest(step.hash);
        if (!m) continue;
        const bytes = await this.store.get(step.hash).catch((error: unknown) => {
          if (error instanceof BlobError && error.code === "blob_corrupt") corrupt = m;
          throw error;
        });
        const holders = [...step.survivors];
        let made = 0;
        for (const target of step.targets) {
          if (made >= step.missing || this.#client !== client) break; // a refusing target is passed over for the next
          try {
            await client.push(target, step.hash, bytes, { replicas: m.replicas, expiresAt: m.expiresAt, holders: [...holders, target] });
            holders.push(target);
            made++;
            this.#backoff.succeeded(step.hash, target);
            this.counters.rereplicated++;
            this.#c.log.info("storage.rereplicated", { hash: step.hash.slice(0, 16), to: target.slice(0, 8), lost: step.lost.map((l) => l.slice(0, 8)).join(",") });
          } catch (error) {
            if (this.#client !== client) break;
            const waitMs = this.#backoff.failed(step.hash, target, runtime.clock.now());
            this.#c.log.warn("storage.rereplicate_failed", { hash: step.hash.slice(0, 16), to: target.slice(0, 8), reason: (error as Error).message, retryInMs: waitMs });
          }
        }
        if (this.#client !== client) return;
        if (holders.length !== m.holders.length || step.lost.length > 0) await this.#announceHolders(step.hash, holders);
      } catch (error) {
        this.#c.log.warn("storage.repair_failed", { hash: step.hash.slice(0, 16), reason: (error as Error).message });
      } finally {
        this.#busy.delete(step.hash);
      }
      if (corrupt) await this.#heal(corrupt);
    }
  }

  async #storeKind(input: unknown, params: Record<string, unknown>): Promise<StoreResult> {
    const bytes = input instanceof Uint8Array ? input : typeof input === "string" ? utf8(input) : null;
    if (!bytes) throw new BadInput(`store expects bytes or text as input, got ${input === null ? "null" : typeof input}`);
    if (bytes.byteLength > this.#maxBytes) throw new BlobError("blob_too_large", `blob is ${bytes.byteLength} bytes, limit ${this.#maxBytes} (storage.maxBlobMb)`);
    const { config, identity, runtime, log } = this.#c;
    const replicas = params.replicas ?? config.storage.replicas;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new BadInput(`"replicas" expected an integer from 1 to 16, got ${JSON.stringify(params.replicas)}`);
    const hours = params.retentionHours ?? config.storage.retentionHours;
    if (hours !== null && (typeof hours !== "number" || !(hours > 0))) throw new BadInput(`"retentionHours" expected a positive number, got ${JSON.stringify(params.retentionHours)}`);
    const now = runtime.clock.now();
    const expiresAt = hours === null ? null : now + hours * 3_600_000;
    const hash = await contentHash(bytes);
    if (!this.store.manifest(hash) && !this.#fits(bytes.byteLength)) throw new BlobError("storage_full", `no room for ${bytes.byteLength} more bytes: ${this.store.bytes()} held, ${this.#intake.reserved()} being received, quota ${this.#maxTotal} (storage.maxTotalMb)`);
    this.#busy.add(hash);
    try {
      await this.store.put(bytes, { storedAt: now, expiresAt, replicas, holders: [identity.id] }, hash);
      this.counters.stored++;
      const holders = [identity.id];
      const candidates = shuffle(this.client.storagePeers(), runtime.random(32));
      while (holders.length < replicas && candidates.length > 0) {
        const batch = candidates.splice(0, replicas - holders.length);
        const planned = [...holders, ...batch];
        const results = await Promise.allSettled(batch.map((peer) => this.client.push(peer, hash, bytes, { replicas, expiresAt, holders: planned })));
        results.forEach((r, i) => {
          if (r.status === "fulfilled") holders.push(batch[i]!);
          else log.warn("storage.push_failed", { hash: hash.slice(0, 16), to: batch[i]!.slice(0, 8), reason: (r.reason as Error).message });
        });
      }
      await this.#announceHolders(hash, holders);
      if (holders.length < replicas) {
        this.counters.underReplicated++;
        log.warn("storage.under_replicated", { hash: hash.slice(0, 16), replicas: holders.length, wanted: replicas });
      }
      log.info("storage.stored", { hash: hash.slice(0, 16), size: bytes.byteLength, holders: holders.map((h) => h.slice(0, 8)).join(",") });
      return { hash, size: bytes.byteLength, holders, replicas: holders.length, wanted: replicas };
    } finally {
      this.#busy.delete(hash);
    }
  }

  async #fetchKind(input: unknown, params: Record<string, unknown>): Promise<Uint8Array> {
    const hash = typeof input === "string" ? input : (input as { hash?: unknown } | null)?.hash;
    if (!isContentHash(hash)) throw new BadInput(`fetch expects a blob hash (64 lower-case hex digits) or {hash}, got ${JSON.stringify(hash ?? input)}`);
    return this.fetchBytes(hash, params.keep === true, Math.min(TASK_FETCH_LIMIT, this.#maxBytes));
  }

  /**
   * An intact local copy (blob, else model of that hash), or null. A corrupt blob is refused (the
   * store deletes it); with `heal`, an intact copy is then fetched from the other holders.
   */
  async #local(hash: string, heal: boolean): Promise<Uint8Array | null> {
    const manifest = this.store.manifest(hash);
    try {
      return await this.store.get(hash);
    } catch (error) {
      if (!(error instanceof BlobError)) throw error;
      if (error.code === "blob_corrupt") {
        this.#c.log.warn("storage.corrupt", { hash: hash.slice(0, 16), reason: error.message });
        if (heal && manifest) void this.#heal(manifest);
      }
    }
    try {
      return await this.#models.get(hash);
    } catch (error) {
      if (error instanceof InferenceError) return null;
      throw error;
    }
  }

  /** Replaces a copy found corrupt with an intact one from the other holders (or any storage peer). */
  async #heal(m: BlobManifest): Promise<void> {
    if (this.#busy.has(m.hash)) return;
    const client = this.#client;
    if (!client) return;
    this.#busy.add(m.hash);
    try {
      const { bytes } = await client.fetch(m.hash);
      if (this.#client !== client) return; // stopped meanwhile
      await this.store.put(bytes, { storedAt: this.#c.runtime.clock.now(), expiresAt: m.expiresAt, replicas: m.replicas, holders: m.holders }, m.hash);
      this.#c.log.info("storage.healed", { hash: m.hash.slice(0, 16) });
    } catch (error) {
      this.#c.log.warn("storage.heal_failed", { hash: m.hash.slice(0, 16), reason: (error as Error).message });
    } finally {
      this.#busy.delete(m.hash);
    }
  }

  /** Tells every holder but this agent who holds blob `hash` now, and records it here. */
  async #announceHolders(hash: string, holders: readonly string[]): Promise<void> {
    await this.store.setHolders(hash, holders);
    for (const h of holders) if (h !== this.#c.identity.id) void this.#c.node.send(h, BLOB_TYPES.holders, { hash, holders: [...holders] }, { timeoutMs: 30_000 }).catch(() => {});
  }

  /**
   * A `blob.put` piece. Only live storage peers may push; the transfer limits (`PutIntake`) and the
   * disk quota are checked when a transfer opens, and a refusal is answered with `blob.stored`
   * {ok: false, code}. A blob held here already keeps its manifest, merged with the sender's (see
   * `BlobStore.merge`): a push can add holders or lengthen retention, never shorten it.
   */
  async #onPut(m: Delivered): Promise<void> {
    const { node, runtime, identity, log } = this.#c;
    if (!this.#client) return; // stopped
    const piece = parsePutPiece(m.body);
    if (!piece) return void node.refusals.count("bad_structure");
    const reply = (body: Record<string, unknown>) => void node.send(m.senderId, BLOB_TYPES.stored, { rid: piece.rid, hash: piece.hash, ...body }, { timeoutMs: 30_000 }).catch(() => {});
    const peer = node.peers.get(m.senderId);
    const held = this.store.manifest(piece.hash) !== null;
    const result =
      !peer || peer.health === "gone" || !peer.presence.roles.includes("storage")
        ? this.#intake.count("not_storage_peer", "only live storage peers may push blobs")
        : this.#intake.offer(m.senderId, piece, runtime.clock.now(), (size) => held || this.#fits(size));
    if (result === null) return;
    if ("refused" in result) {
      log.debug("storage.put_refused", { hash: piece.hash.slice(0, 16), from: m.senderId.slice(0, 8), code: result.refused, reason: result.error });
      if (peer) reply({ ok: false, code: result.refused, error: result.error });
      return;
    }
    try {
      const actual = await contentHash(result.whole);
      if (actual !== piece.hash) throw new BlobError("blob_corrupt", `blob bytes hash to ${actual}, not ${piece.hash}; refused`);
      const meta = { expiresAt: piece.expiresAt, replicas: piece.replicas, holders: [...piece.holders, identity.id] };
      if (!(held && (await this.store.has(piece.hash)) && (await this.store.merge(piece.hash, meta)))) {
        await this.store.put(result.whole, { storedAt: runtime.clock.now(), ...meta }, piece.hash);
      }
      this.counters.received++;
      reply({ ok: true });
    } catch (error) {
      log.warn("storage.put_refused", { hash: piece.hash.slice(0, 16), from: m.senderId.slice(0, 8), reason: (error as Error).message });
      reply({ ok: false, code: (error as { code?: string }).code ?? "task_error", error: (error as Error).message });
    }
  }

  async #onGet(m: Delivered): Promise<void> {
    const req = parseGet(m.body);
    if (!req) return void this.#c.node.refusals.count("bad_structure");
    const send = (body: Record<string, unknown>) => this.#c.node.send(m.senderId, BLOB_TYPES.data, { rid: req.rid, hash: req.hash, ...body }, { private: true, timeoutMs: 60_000 });
    const had = this.store.manifest(req.hash) !== null;
    const bytes = await this.#local(req.hash, true);
    if (!bytes) return void send({ found: false, code: had ? "blob_corrupt" : "blob_not_found" }).catch(() => {});
    this.counters.served++;
    const parts = pieces(bytes);
    try {
      for (let i = 0; i < parts.length; i += 4) await Promise.all(parts.slice(i, i + 4).map((p) => send({ size: bytes.byteLength, offset: p.offset, data: p.data })));
    } catch (error) {
      this.#c.log.debug("storage.serve_failed", { hash: req.hash.slice(0, 16), to: m.senderId.slice(0, 8), reason: (error as Error).message });
    }
  }
}

/** `items` in an order drawn from `seed` (spreads copies over the storage peers). */
function shuffle<T>(items: T[], seed: Uint8Array): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = seed[i % seed.length]! % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
