import { DatabaseUnavailableError } from './errors.js';

/** Releases a held lock. Calling it more than once is harmless. */
export type Release = () => void;

interface Waiter {
  grant(release: Release): void;
}

/**
 * A FIFO mutex with a bounded wait. PGlite is one Postgres session, so every statement and
 * every whole transaction must hold it: otherwise a plain query could run inside another
 * caller's open transaction and be rolled back with it.
 */
export class SessionLock {
  #held = false;
  readonly #waiters: Waiter[] = [];

  /**
   * Resolves with a release function once the lock is ours.
   *
   * @param timeoutMs - give up after this many ms with a `DB_BUSY` {@link DatabaseUnavailableError};
   *   `undefined` waits without bound.
   */
  acquire(timeoutMs: number | undefined): Promise<Release> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        grant: (release) => {
          if (timer !== undefined) clearTimeout(timer);
          resolve(release);
        },
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(
            new DatabaseUnavailableError(
              'DB_BUSY',
              `embedded database stayed busy for ${timeoutMs} ms (is db.query() or db.transaction() ` +
                'being called inside a transaction callback? use its tx argument)',
            ),
          );
        }, timeoutMs);
      }
      this.#waiters.push(waiter);
    });
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next === undefined) this.#held = false;
      else next.grant(this.#releaser());
    };
  }
}
