import { decodeCbor, encodeCbor } from "../wire/cbor.ts";
import type { Files } from "../runtime/runtime.ts";
import type { TaskOutcome, TaskSpec } from "./task.ts";

/** One task's journal record. */
export interface JournalEntry {
  spec: TaskSpec;
  /** Who asked: `local` (CLI) or the requesting agent's ID (MQTT submission). */
  origin: string;
  submittedAt: number;
  outcome: TaskOutcome | null;
  /** True once the outcome was handed to whoever asked. */
  delivered: boolean;
  /** When the task finished and when its outcome was delivered, ms since the epoch (absent in older entries). */
  finishedAt?: number | null;
  deliveredAt?: number | null;
}

/**
 * The coordinator's journal: one CBOR file per task in `<data dir>/tasks/`, written atomically at
 * submission and again when the task finishes and when its outcome is delivered. On start the
 * coordinator resumes every entry without an outcome. Delivered entries are kept for `keepMs`
 * (default 24 h) so a resubmitted ID gets the same outcome instead of a second run, then removed.
 */
export class TaskJournal {
  readonly #files: Files;
  readonly #dir: string;
  readonly #keepMs: number;
  #dirReady: Promise<void> | null = null;
  /** The last write of each task still under way: writes of one task land in the order made. */
  readonly #writing = new Map<string, Promise<void>>();

  constructor(files: Files, dataDir: string, keepMs = 24 * 3600_000) {
    this.#files = files;
    this.#dir = `${dataDir}/tasks`;
    this.#keepMs = keepMs;
  }

  /**
   * Writes `entry` (creating the directory on first use). Writes of one task run one after the
   * other, in call order, so an older state never lands over a newer one.
   */
  write(entry: JournalEntry): Promise<void> {
    const id = entry.spec.id;
    const { finishedAt, deliveredAt, ...rest } = entry;
    const times: Record<string, bigint> = {};
    if (typeof finishedAt === "number") times.finishedAt = BigInt(finishedAt);
    if (typeof deliveredAt === "number") times.deliveredAt = BigInt(deliveredAt);
    const bytes = encodeCbor({ ...rest, spec: { ...entry.spec, deadline: BigInt(entry.spec.deadline) }, submittedAt: BigInt(entry.submittedAt), ...times });
    const write = async () => {
      await (this.#dirReady ??= this.#files.mkdirp(this.#dir, 0o700));
      await this.#files.writeFileAtomic(this.#path(id), bytes, 0o600);
    };
    const previous = this.#writing.get(id);
    const next = previous ? previous.then(write, write) : write();
    this.#writing.set(id, next);
    const forget = () => {
      if (this.#writing.get(id) === next) this.#writing.delete(id);
    };
    next.then(forget, forget);
    return next;
  }

  /** The entry for task `id`, or null. */
  async read(id: string): Promise<JournalEntry | null> {
    try {
      return this.#decode(await this.#files.readFile(this.#path(id)));
    } catch {
      return null;
    }
  }

  /** Every readable entry; removes delivered ones older than `keepMs` and unreadable files. */
  async load(now: number): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for (const name of await this.#files.list(this.#dir)) {
      if (!name.endsWith(".task")) continue;
      const path = `${this.#dir}/${name}`;
      let entry: JournalEntry | null = null;
      try {
        entry = this.#decode(await this.#files.readFile(path));
      } catch {
        entry = null;
      }
      if (entry === null || (entry.delivered && now - entry.submittedAt > this.#keepMs)) {
        await this.#files.remove(path);
        continue;
      }
      out.push(entry);
    }
    return out;
  }

  #path(id: string): string {
    return `${this.#dir}/${id}.task`;
  }

  #decode(bytes: Uint8Array): JournalEntry {
    const raw = decodeCbor(bytes) as JournalEntry & { submittedAt: bigint | number; spec: TaskSpec & { deadline: bigint | number }; finishedAt?: bigint | number | null; deliveredAt?: bigint | number | null };
    const { finishedAt, deliveredAt, ...rest } = raw;
    const times: Pick<JournalEntry, "finishedAt" | "deliveredAt"> = {};
    if (finishedAt !== undefined && finishedAt !== null) times.finishedAt = Number(finishedAt);
    if (deliveredAt !== undefined && deliveredAt !== null) times.deliveredAt = Number(deliveredAt);
    return { ...rest, submittedAt: Number(raw.submittedAt), spec: { ...raw.spec, deadline: Number(raw.spec.deadline) }, ...times };
  }
}
