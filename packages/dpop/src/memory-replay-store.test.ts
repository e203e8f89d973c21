import { createFakeClock } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryReplayStore } from './memory-replay-store.js';
import { ReplayStoreFullError } from './replay-store.js';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('createMemoryReplayStore', () => {
  it('answers true the first time and false for a replay within the TTL', () => {
    const clock = createFakeClock();
    const store = createMemoryReplayStore({ now: clock.now });
    expect(store.remember(JKT, 'a', 1_000)).toBe(true);
    clock.advance(999);
    expect(store.remember(JKT, 'a', 1_000)).toBe(false);
  });

  it('accepts a jti again once its TTL has passed', () => {
    const clock = createFakeClock();
    const store = createMemoryReplayStore({ now: clock.now });
    expect(store.remember(JKT, 'a', 1_000)).toBe(true);
    clock.advance(1_000);
    expect(store.remember(JKT, 'a', 1_000)).toBe(true);
    expect(store.remember(JKT, 'a', 1_000)).toBe(false);
  });

  it('keeps jtis apart per jkt', () => {
    const store = createMemoryReplayStore();
    expect(store.remember(JKT, 'a', 1_000)).toBe(true);
    expect(store.remember('other-jkt', 'a', 1_000)).toBe(true);
  });

  it('keeps a long jti (stored as a digest) apart from a short one', () => {
    const store = createMemoryReplayStore();
    const long = 'x'.repeat(200);
    expect(store.remember(JKT, long, 1_000)).toBe(true);
    expect(store.remember(JKT, `${long}y`, 1_000)).toBe(true);
    expect(store.remember(JKT, long, 1_000)).toBe(false);
  });

  it('refuses new jtis when full of unexpired ones, instead of forgetting a live one', () => {
    const clock = createFakeClock();
    const store = createMemoryReplayStore({ maxEntries: 2, now: clock.now });
    expect(store.remember(JKT, 'a', 10_000)).toBe(true);
    expect(store.remember(JKT, 'b', 10_000)).toBe(true);
    expect(() => store.remember(JKT, 'c', 10_000)).toThrow(ReplayStoreFullError);
    // The live ones are still remembered.
    expect(store.remember(JKT, 'a', 10_000)).toBe(false);
    expect(store.size).toBe(2);
  });

  it('makes room by dropping expired jtis', () => {
    const clock = createFakeClock();
    const store = createMemoryReplayStore({ maxEntries: 2, now: clock.now });
    store.remember(JKT, 'a', 1_000);
    store.remember(JKT, 'b', 5_000);
    clock.advance(1_000);
    expect(store.remember(JKT, 'c', 5_000)).toBe(true);
    expect(store.size).toBe(2);
  });

  it('finds an expired jti behind a live one when full (different TTLs)', () => {
    const clock = createFakeClock();
    const store = createMemoryReplayStore({ maxEntries: 2, now: clock.now });
    store.remember(JKT, 'long', 60_000);
    store.remember(JKT, 'short', 1_000);
    clock.advance(1_000);
    expect(store.remember(JKT, 'c', 1_000)).toBe(true);
    expect(store.remember(JKT, 'long', 60_000)).toBe(false);
  });

  it('rejects a maxEntries that is not a positive integer', () => {
    expect(() => createMemoryReplayStore({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => createMemoryReplayStore({ maxEntries: 1.5 })).toThrow(TypeError);
  });
});
