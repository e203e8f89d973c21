import { describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.js';

describe('createFakeClock', () => {
  it('starts at 2026-01-01T00:00:00Z by default', () => {
    const clock = createFakeClock();
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
    expect(clock.date().toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('starts at the given instant', () => {
    expect(createFakeClock(1_000).now()).toBe(1_000);
  });

  it('moves only when advanced, and returns the new time', () => {
    const clock = createFakeClock(0);
    expect(clock.now()).toBe(0);
    expect(clock.advance(1_500)).toBe(1_500);
    expect(clock.now()).toBe(1_500);
  });

  it('keeps now() bound so it can be passed as a bare function', () => {
    const clock = createFakeClock(10);
    const { now } = clock;
    clock.advance(5);
    expect(now()).toBe(15);
  });

  it('sets an instant from a number or a Date, including backwards', () => {
    const clock = createFakeClock(5_000);
    expect(clock.set(new Date('2030-06-01T12:00:00Z'))).toBe(Date.UTC(2030, 5, 1, 12));
    expect(clock.set(1)).toBe(1);
    expect(clock.now()).toBe(1);
  });

  it('returns a new Date each time so callers cannot move the clock by mutating it', () => {
    const clock = createFakeClock(0);
    clock.date().setTime(99);
    expect(clock.now()).toBe(0);
  });

  it('rejects a negative or non-finite advance', () => {
    const clock = createFakeClock(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });

  it('rejects a non-finite start or set', () => {
    expect(() => createFakeClock(Number.NaN)).toThrow(RangeError);
    expect(() => createFakeClock(0).set(new Date('not a date'))).toThrow(RangeError);
  });
});
