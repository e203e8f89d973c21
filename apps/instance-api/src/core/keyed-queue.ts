// One process's queue per contended row (an order book, a lending market, a custody token).

/**
 * Runs the work of one key (a book, a market, a token) at most `concurrency` at a time within
 * this process, in arrival order; different keys run alongside. The database's row locks are what
 * serialise the work across processes; this queue only keeps the requests that would wait for
 * those locks from each holding a pooled connection (and running into its statement timeout)
 * while they wait: a busy row takes at most `concurrency` connections per process, so it cannot
 * starve the pool, and its requests do not time out queueing behind each other. A key with
 * nothing queued leaves nothing behind.
 *
 * @example
 * const queue = new KeyedQueue(); // one at a time per key
 * const placed = await queue.run(`${instanceId}/${orderBookId}`, () => placeOrder(db, instanceId, input, new Date()));
 */
export class KeyedQueue {
  readonly #lanes = new Map<string, { running: number; waiting: Array<() => void> }>();
  readonly #concurrency: number;

  /** `concurrency`: how many pieces of work of one key may run at once (default 1). */
  constructor(concurrency = 1) {
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new TypeError('KeyedQueue: concurrency must be a positive integer');
    }
    this.#concurrency = concurrency;
  }

  /** Runs `work` once it is first in line for a free slot of `key`; answers what it answers. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { running: 0, waiting: [] };
      this.#lanes.set(key, lane);
    }
    if (lane.running < this.#concurrency) {
      lane.running += 1;
    } else {
      const queued = lane;
      // The slot is handed over by the work that frees it (see finally), so `running` stays.
      await new Promise<void>((resolve) => queued.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = lane.waiting.shift();
      if (next !== undefined) {
        next();
      } else {
        lane.running -= 1;
        if (lane.running === 0) this.#lanes.delete(key);
      }
    }
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.#lanes.size;
  }
}
