/**
 * Thrown when more argon2 computations are waiting than the hasher's `maxQueued`: the process is
 * overloaded with password work (a login flood). An infrastructure condition, never "wrong
 * password": apps answer 503 with `Retry-After`, so the flood is shed instead of stalling others.
 */
export class PasswordHasherBusyError extends Error {
  override readonly name = 'PasswordHasherBusyError';
  constructor() {
    super('password hashing is overloaded; try again shortly');
  }
}

/** A FIFO concurrency gate: at most `limit` tasks run, at most `maxQueued` wait. */
export interface Gate {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly running: number;
  /** Tasks waiting now. */
  readonly queued: number;
}

export function createGate(limit: number, maxQueued: number): Gate {
  let running = 0;
  const waiting: Array<() => void> = [];

  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < limit) {
        running += 1;
      } else {
        if (waiting.length >= maxQueued) throw new PasswordHasherBusyError();
        // The slot is handed over by release(): `running` stays counted for the next task.
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get queued() {
      return waiting.length;
    },
  };
}
