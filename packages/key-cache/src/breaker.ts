/**
 * A small circuit breaker for an optional dependency (here: Redis in front of a database).
 *
 * Closed: calls go through; `failureThreshold` consecutive failures open it.
 * Open: calls are refused at once (no waiting on a dead server) for `cooldownMs`.
 * Half-open: after the cooldown one trial call goes through; success closes, failure re-opens.
 *
 * Every call is also bounded by `timeoutMs`, so a paused or black-holed server costs at most that
 * long per request and then counts as a failure.
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. Default 3. */
  failureThreshold?: number;
  /** How long the breaker stays open before a trial call, in milliseconds. Default 1000. */
  cooldownMs?: number;
  /** Upper bound on one call, in milliseconds. Default 100. */
  timeoutMs?: number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  clock?: () => number;
  /** Called when the breaker changes state. */
  onStateChange?: (state: BreakerState) => void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Raised instead of calling through while the breaker is open. */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor() {
    super('circuit open: call skipped');
  }
}

/** Raised when a call takes longer than `timeoutMs`. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
  constructor(timeoutMs: number) {
    super(`call timed out after ${timeoutMs} ms`);
  }
}

export interface CircuitBreaker {
  /** Runs `fn` under the breaker: refused while open, bounded by the timeout, outcome recorded. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Current state, after applying the cooldown. */
  state(): BreakerState;
}

/**
 * Creates a circuit breaker.
 *
 * @example
 * const breaker = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, timeoutMs: 100 });
 * const value = await breaker.run(() => redis.get('k')).catch(() => undefined);
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const failureThreshold = options.failureThreshold ?? 3;
  const cooldownMs = options.cooldownMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 100;
  const clock = options.clock ?? (() => performance.now());
  const onStateChange = options.onStateChange;

  let failures = 0;
  let openedAt = 0;
  let current: BreakerState = 'closed';
  let trialInFlight = false;

  const setState = (next: BreakerState): void => {
    if (next === current) return;
    current = next;
    onStateChange?.(next);
  };

  const state = (): BreakerState => {
    if (current === 'open' && clock() - openedAt >= cooldownMs) setState('half-open');
    return current;
  };

  const succeed = (): void => {
    failures = 0;
    setState('closed');
  };

  const fail = (): void => {
    failures += 1;
    if (current === 'half-open' || failures >= failureThreshold) {
      openedAt = clock();
      setState('open');
    }
  };

  async function run<T>(fn: () => Promise<T>): Promise<T> {
    const now = state();
    if (now === 'open') throw new BreakerOpenError();
    // Half-open lets exactly one trial through; the rest still skip until it settles.
    if (now === 'half-open') {
      if (trialInFlight) throw new BreakerOpenError();
      trialInFlight = true;
    }
    try {
      const value = await withTimeout(fn(), timeoutMs);
      succeed();
      return value;
    } catch (error) {
      fail();
      throw error;
    } finally {
      if (now === 'half-open') trialInFlight = false;
    }
  }

  return { run, state };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
  });
  // The losing promise may still reject later; keep that from becoming an unhandled rejection.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
