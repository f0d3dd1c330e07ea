import { utf8 } from "../core/bytes.ts";
import { InferenceError } from "../inference/inference-error.ts";
import { isModelHash, modelHash, ModelStore, modelsDirIn } from "../inference/model-store.ts";
import type { Delivered } from "../mesh/inbound.ts";
import type { AgentService, ServiceContext, ServiceKind } from "../services/service.ts";
import { BlobClient } from "./blob-client.ts";
import { BlobError } from "./blob-error.ts";
import { BlobStore, blobsDirIn, type BlobManifest } from "./blob-store.ts";
import { Assembly, BLOB_TYPES, parseGet, parseHolders, parsePutPiece, pieces } from "./blob-wire.ts";
import { planRepairs } from "./replication.ts";
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

/** Incoming `blob.put` pieces are dropped when a blob is not complete after this long, ms. */
const ASSEMBLY_TTL_MS = 5 * 60_000;

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
  readonly #assemblies = new Map<string, { assembly: Assembly; startedAt: number }>();
  readonly #busy = new Set<string>();
  readonly #timers: unknown[] = [];
  #startedAt = 0;
  readonly counters = { stored: 0, received: 0, served: 0, fetched: 0, rereplicated: 0, expired: 0, underReplicated: 0 };

  constructor(context: ServiceContext) {
    this.#c = context;
    this.store = new BlobStore(context.runtime.files, blobsDirIn(context.config.dataDir));
    this.#models = new ModelStore(context.runtime.files, modelsDirIn(context.config.dataDir));
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
      runtime.timers.setInterval(() => void this.repair().catch((e: Error) => this.#c.log.warn("storage.repair_failed", { reason: e.message })), Math.min(sweepMs, Math.max(100, config.heartbeatMs))),
    );
  }

  async stop(): Promise<void> {
    for (const t of this.#timers.splice(0)) this.#c.runtime.timers.clearInterval(t);
    this.#assemblies.clear();
  }

  caps(): unknown {
    return { blobs: this.store.list().length };
  }

  status(): unknown {
    return { blobs: this.store.list().length, bytes: this.store.bytes(), corrupt: this.store.corrupt, refused: this.#client?.refused ?? 0, ...this.counters };
  }

  /**
   * Blob `hash` from anywhere: this agent's blobs or models, else the storage peers (known holders
   * first). A corrupt local copy is refused and replaced by the intact copy fetched.
   */
  async fetchBytes(hash: string, keep = false): Promise<Uint8Array> {
    const manifest = this.store.manifest(hash); // read first: a corrupt copy goes with its manifest
    const local = await this.#local(hash, false);
    if (local) return local;
    const peers = this.client.storagePeers();
    const order = [...(manifest?.holders ?? []).filter((h) => peers.includes(h)), ...peers.filter((p) => !manifest?.holders.includes(p))];
    const { bytes, from } = await this.client.fetch(hash, order);
    this.counters.fetched++;
    if (manifest || keep) {
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
    for (const [key, a] of this.#assemblies) if (now - a.startedAt > ASSEMBLY_TTL_MS) this.#assemblies.delete(key);
    return n;
  }

  /** Re-replicates blobs that have fewer live holders than their `replicas` (see `planRepairs`). */
  async repair(): Promise<void> {
    const { node, identity, runtime, config } = this.#c;
    if (!node.connection.connected) return;
    const grace = runtime.clock.now() - this.#startedAt > 10 * config.heartbeatMs;
    const isLost = (id: string) => {
      const peer = node.peers.get(id);
      return peer ? peer.health === "gone" : grace;
    };
    for (const step of planRepairs(this.store.list(), identity.id, isLost, this.client.storagePeers(), this.#busy)) {
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
        for (const target of step.targets) {
          try {
            await this.client.push(target, step.hash, bytes, { replicas: m.replicas, expiresAt: m.expiresAt, holders: [...holders, target] });
            holders.push(target);
            this.counters.rereplicated++;
            this.#c.log.info("storage.rereplicated", { hash: step.hash.slice(0, 16), to: target.slice(0, 8), lost: step.lost.map((l) => l.slice(0, 8)).join(",") });
          } catch (error) {
            this.#c.log.warn("storage.rereplicate_failed", { hash: step.hash.slice(0, 16), to: target.slice(0, 8), reason: (error as Error).message });
          }
        }
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
    const hash = await modelHash(bytes);
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
    if (!isModelHash(hash)) throw new BadInput(`fetch expects a blob hash (64 lower-case hex digits) or {hash}, got ${JSON.stringify(hash ?? input)}`);
    return this.fetchBytes(hash, params.keep === true);
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
    this.#busy.add(m.hash);
    try {
      const { bytes } = await this.client.fetch(m.hash);
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

  async #onPut(m: Delivered): Promise<void> {
    const piece = parsePutPiece(m.body);
    if (!piece) return void this.#c.node.refusals.count("bad_structure");
    const key = `${m.senderId}/${piece.rid}`;
    const reply = (body: Record<string, unknown>) => void this.#c.node.send(m.senderId, BLOB_TYPES.stored, { rid: piece.rid, hash: piece.hash, ...body }, { timeoutMs: 30_000 }).catch(() => {});
    if (piece.size > this.#maxBytes) return reply({ ok: false, code: "blob_too_large", error: `blob is ${piece.size} bytes, limit ${this.#maxBytes}` });
    let entry = this.#assemblies.get(key);
    if (!entry) this.#assemblies.set(key, (entry = { assembly: new Assembly(piece.size), startedAt: this.#c.runtime.clock.now() }));
    if (entry.assembly.size !== piece.size) return;
    const whole = entry.assembly.add(piece.offset, piece.data);
    if (!whole) return;
    this.#assemblies.delete(key);
    try {
      const holders = [...piece.holders, this.#c.identity.id];
      await this.store.put(whole, { storedAt: this.#c.runtime.clock.now(), expiresAt: piece.expiresAt, replicas: piece.replicas, holders }, piece.hash);
      this.counters.received++;
      reply({ ok: true });
    } catch (error) {
      this.#c.log.warn("storage.put_refused", { hash: piece.hash.slice(0, 16), from: m.senderId.slice(0, 8), reason: (error as Error).message });
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
