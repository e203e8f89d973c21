// One process's queue per contended row (an order book, a lending market).

/**
 * Runs the work of one key (a book, a market) one after another within this process; different
 * keys run alongside. The database's row lock is what serialises the work across processes; this
 * queue only keeps the requests that would wait for that lock from each holding a pooled
 * connection (and running into its statement timeout) while they wait: a busy row takes at most
 * one connection per process, so it cannot starve the pool, and its requests do not time out
 * queueing behind each other. A key with nothing queued leaves nothing behind.
 *
 * @example
 * const queue = new KeyedQueue();
 * const placed = await queue.run(`${instanceId}/${orderBookId}`, () => placeOrder(db, instanceId, input, new Date()));
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier `work` of `key` has settled; answers what it answers. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
