// Bounds how long a verifier waits for its replay store without a timer per call: waiters with
// one timeout have deadlines in arrival order, so one timer, armed for the oldest, serves them all.

interface Waiter {
  readonly deadline: number;
  settled: boolean;
  readonly expire: () => void;
}

class DeadlineQueue {
  readonly #timeoutMs: number;
  #waiters: Waiter[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  add(expire: () => void): Waiter {
    const waiter: Waiter = { deadline: performance.now() + this.#timeoutMs, settled: false, expire };
    this.#waiters.push(waiter);
    if (this.#timer === undefined) this.#arm();
    return waiter;
  }

  #arm(): void {
    while (this.#head < this.#waiters.length && this.#waiters[this.#head]?.settled) this.#head += 1;
    const next = this.#waiters[this.#head];
    if (next === undefined) {
      this.#waiters = [];
      this.#head = 0;
      this.#timer = undefined;
      return;
    }
    if (this.#head > 1_024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
    this.#timer = setTimeout(this.#fire, Math.max(0, next.deadline - performance.now()));
  }

  readonly #fire = (): void => {
    const now = performance.now();
    for (let waiter = this.#waiters[this.#head]; waiter !== undefined; waiter = this.#waiters[this.#head]) {
      if (!waiter.settled) {
        if (waiter.deadline > now) break;
        waiter.settled = true;
        waiter.expire();
      }
      this.#head += 1;
    }
    this.#arm();
  };
}

const MAX_QUEUES = 16;
const queues = new Map<number, DeadlineQueue>();

/**
 * `promise`, or a rejection with `onTimeout()` once `timeoutMs` (real time, monotonic) have passed
 * without it settling. A late settlement is ignored.
 */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let deadlines = queues.get(timeoutMs);
  if (deadlines === undefined) {
    deadlines = new DeadlineQueue(timeoutMs);
    // Apps use one or two timeouts; an unbounded variety gets a queue per call instead.
    if (queues.size < MAX_QUEUES) queues.set(timeoutMs, deadlines);
  }
  const queue = deadlines;
  return new Promise<T>((resolve, reject) => {
    const waiter = queue.add(() => reject(onTimeout()));
    promise.then(
      (value) => {
        if (waiter.settled) return;
        waiter.settled = true;
        resolve(value);
      },
      (error: unknown) => {
        if (waiter.settled) return;
        waiter.settled = true;
        reject(error);
      },
    );
  });
}
