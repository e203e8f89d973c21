/** A manually driven clock for time-dependent cores (`now()` injection, DESIGN §2). */
export interface FakeClock {
  /** Current time in ms since the Unix epoch. Pass `clock.now` wherever a core wants `now()`. */
  now(): number;
  /** Moves time forward by `ms` (≥ 0) and returns the new time in ms. */
  advance(ms: number): number;
  /** Jumps to an instant (ms since epoch, or a Date); may go backwards to simulate clock skew. */
  set(instant: number | Date): number;
  /** Current time as a new Date. */
  date(): Date;
}

function checkInstant(ms: number, what: string): number {
  if (!Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number of milliseconds`);
  return ms;
}

/**
 * Creates a fake clock starting at `startMs` (default 2026-01-01T00:00:00Z). Time moves only
 * when the test says so; `now` is bound, so it can be passed around as a plain function.
 *
 * @param startMs - starting instant in ms since the Unix epoch.
 * @example
 * ```ts
 * const clock = createFakeClock();
 * const cache = createCache({ now: clock.now, ttlMs: 30_000 });
 * clock.advance(30_001); // the entry is now stale
 * ```
 */
export function createFakeClock(startMs: number = Date.UTC(2026, 0, 1)): FakeClock {
  let current = checkInstant(startMs, 'startMs');
  return {
    now: () => current,
    advance(ms: number) {
      if (checkInstant(ms, 'advance(ms)') < 0) throw new RangeError('advance(ms) must not be negative');
      current += ms;
      return current;
    },
    set(instant: number | Date) {
      current = checkInstant(instant instanceof Date ? instant.getTime() : instant, 'set(instant)');
      return current;
    },
    date: () => new Date(current),
  };
}
