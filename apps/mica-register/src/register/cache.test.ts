import { createFakeClock } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { createBoundedCache } from './cache.js';

describe('createBoundedCache', () => {
  it('serves a loaded value until the TTL passes, then loads again', async () => {
    const clock = createFakeClock();
    const cache = createBoundedCache<number>({ now: clock.now, ttlMs: 1000 });
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.getOrLoad('k', load)).toBe(1);
    clock.advance(999);
    expect(await cache.getOrLoad('k', load)).toBe(1);
    clock.advance(1);
    expect(await cache.getOrLoad('k', load)).toBe(2);
  });

  it('evicts the least recently used entry past maxEntries', async () => {
    const cache = createBoundedCache<string>({ now: () => 0, maxEntries: 2 });
    const loaded: string[] = [];
    const get = (key: string) =>
      cache.getOrLoad(key, async () => {
        loaded.push(key);
        return key;
      });
    await get('a');
    await get('b');
    await get('a'); // a is now the most recent
    await get('c'); // evicts b
    await get('a');
    await get('b');
    expect(loaded).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.size).toBe(2);
  });

  it('keeps the total weight under maxWeight and never stores an entry heavier than it', async () => {
    const cache = createBoundedCache<string>({ now: () => 0, maxWeight: 10, weigh: (v) => v.length });
    await cache.getOrLoad('a', async () => 'aaaaaa');
    await cache.getOrLoad('b', async () => 'bbbbbb'); // 12 > 10: a goes
    expect(cache.size).toBe(1);
    await cache.getOrLoad('big', async () => 'x'.repeat(11));
    expect(cache.size).toBe(1);
  });

  it('shares one load between concurrent misses of a key', async () => {
    const cache = createBoundedCache<number>({ now: () => 0 });
    let loads = 0;
    let release: (n: number) => void = () => undefined;
    const gate = new Promise<number>((resolve) => {
      release = resolve;
    });
    const load = () => {
      loads += 1;
      return gate;
    };
    const all = Promise.all([
      cache.getOrLoad('k', load),
      cache.getOrLoad('k', load),
      cache.getOrLoad('k', load),
    ]);
    await Promise.resolve();
    release(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(loads).toBe(1);
  });

  it('does not store a failed load, and tries again on the next call', async () => {
    const cache = createBoundedCache<number>({ now: () => 0 });
    await expect(cache.getOrLoad('k', async () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    await expect(
      cache.getOrLoad('k', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await cache.getOrLoad('k', async () => 3)).toBe(3);
  });

  it('drops everything on clear(), including a load that was running', async () => {
    const cache = createBoundedCache<number>({ now: () => 0 });
    await cache.getOrLoad('a', async () => 1);
    let release: (n: number) => void = () => undefined;
    const running = cache.getOrLoad('b', () => new Promise<number>((resolve) => (release = resolve)));
    cache.clear();
    await Promise.resolve();
    release(2);
    expect(await running).toBe(2);
    expect(cache.size).toBe(0);
    expect(await cache.getOrLoad('a', async () => 10)).toBe(10);
    expect(await cache.getOrLoad('b', async () => 20)).toBe(20);
  });

  it('stores nothing with a TTL of 0', async () => {
    const cache = createBoundedCache<number>({ now: () => 0, ttlMs: 0 });
    await cache.getOrLoad('k', async () => 1);
    expect(cache.size).toBe(0);
  });

  it('refuses negative or non-finite bounds', () => {
    expect(() => createBoundedCache({ now: () => 0, ttlMs: -1 })).toThrow(TypeError);
    expect(() => createBoundedCache({ now: () => 0, maxEntries: Number.NaN })).toThrow(TypeError);
  });
});
