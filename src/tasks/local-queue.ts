/** One queued unit of work. */
export interface QueueItem {
  priority: number;
  /** Runs the work; the queue counts it as running until the promise settles. */
  run: () => Promise<void>;
}

/**
 * A bounded priority queue in front of the executor: higher priority first, FIFO within a
 * priority, at most `concurrency` running and `capacity` waiting. `offer` answers false when full
 * (the caller tells the submitter *busy*) or while `accepting()` says no (thermal or battery
 * limits), so memory never grows without bound.
 */
export class LocalQueue {
  readonly #waiting: Array<QueueItem & { seq: number }> = [];
  readonly #concurrency: number;
  readonly #capacity: number;
  readonly #accepting: () => boolean;
  #running = 0;
  #seq = 0;

  constructor(options: { concurrency: number; capacity: number; accepting?: () => boolean }) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError(`"concurrency" expected a positive integer, got ${options.concurrency}`);
    if (!Number.isInteger(options.capacity) || options.capacity < 0) throw new RangeError(`"capacity" expected a non-negative integer, got ${options.capacity}`);
    this.#concurrency = options.concurrency;
    this.#capacity = options.capacity;
    this.#accepting = options.accepting ?? (() => true);
  }

  /** Items waiting (not running). */
  get length(): number {
    return this.#waiting.length;
  }

  /** Items running now. */
  get running(): number {
    return this.#running;
  }

  /** Queues `item`; false when the queue is full or not accepting work. */
  offer(item: QueueItem): boolean {
    if (!this.#accepting()) return false;
    if (this.#running < this.#concurrency) {
      this.#start(item);
      return true;
    }
    if (this.#waiting.length >= this.#capacity) return false;
    const entry = { ...item, seq: this.#seq++ };
    // Insert keeping (priority desc, seq asc); the queue is short, a linear scan from the end is fine.
    let i = this.#waiting.length;
    while (i > 0 && this.#waiting[i - 1]!.priority < entry.priority) i--;
    this.#waiting.splice(i, 0, entry);
    return true;
  }

  #start(item: QueueItem): void {
    this.#running++;
    void item
      .run()
      .catch(() => {})
      .finally(() => {
        this.#running--;
        const next = this.#waiting.shift();
        if (next) this.#start(next);
      });
  }
}
