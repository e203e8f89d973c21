import { createFakeClock } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { createKeyCache } from './key-cache.js';

interface Row {
  status: string;
}

function countingLoader(rows: Map<string, Row>) {
  const calls: string[] = [];
  const load = async (id: string): Promise<Row | null> => {
    calls.push(id);
    return rows.get(id) ?? null;
  };
  return { load, calls };
}

describe('key cache without Redis (single node)', () => {
  it('loads once and then answers from L1', async () => {
    const { load, calls } = countingLoader(new Map([['d1', { status: 'ACTIVE' }]]));
    const cache = createKeyCache<Row>({ load });
    expect(await cache.get('d1')).toEqual({ status: 'ACTIVE' });
    expect(await cache.get('d1')).toEqual({ status: 'ACTIVE' });
    expect(calls).toEqual(['d1']);
    expect(cache.stats()).toMatchObject({ loads: 1, l1Hits: 1, breaker: 'disabled' });
  });

  it('caches an unknown id as known absent', async () => {
    const { load, calls } = countingLoader(new Map());
    const cache = createKeyCache<Row>({ load });
    expect(await cache.get('nope')).toBeNull();
    expect(await cache.get('nope')).toBeNull();
    expect(calls).toEqual(['nope']);
    expect(cache.stats()).toMatchObject({ loads: 1, l1Hits: 1, l1NegativeHits: 1, l2NegativeHits: 0 });
  });

  it('forgets a negative entry when the id is invalidated (a key was created)', async () => {
    const rows = new Map<string, Row>();
    const { load } = countingLoader(rows);
    const cache = createKeyCache<Row>({ load });
    expect(await cache.get('new')).toBeNull();
    rows.set('new', { status: 'ACTIVE' });
    await cache.invalidate('new');
    expect(await cache.get('new')).toEqual({ status: 'ACTIVE' });
  });

  it('makes one loader call for concurrent misses of one id', async () => {
    const { load, calls } = countingLoader(new Map([['d1', { status: 'ACTIVE' }]]));
    const cache = createKeyCache<Row>({ load });
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.get('d1')));
    expect(new Set(results.map((r) => r?.status))).toEqual(new Set(['ACTIVE']));
    expect(calls).toHaveLength(1);
  });

  it('does not let a load that straddles an invalidation fill L1 with the old row', async () => {
    const rows = new Map([['d1', { status: 'ACTIVE' }]]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const cache = createKeyCache<Row>({
      load: async (id) => {
        const row = rows.get(id) ?? null;
        if (first) {
          first = false;
          await gate;
        }
        return row;
      },
    });
    const slow = cache.get('d1');
    rows.set('d1', { status: 'REVOKED' });
    await cache.invalidate('d1');
    release();
    expect(await slow).toEqual({ status: 'ACTIVE' });
    expect(await cache.get('d1')).toEqual({ status: 'REVOKED' });
  });

  it('expires L1 entries after ttlMs on its clock', async () => {
    const clock = createFakeClock(0);
    const rows = new Map([['d1', { status: 'ACTIVE' }]]);
    const { load, calls } = countingLoader(rows);
    const cache = createKeyCache<Row>({ load, clock: clock.now, l1: { ttlMs: 1000, negativeTtlMs: 100 } });
    await cache.get('d1');
    clock.advance(999);
    await cache.get('d1');
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await cache.get('d1');
    expect(calls).toHaveLength(2);
  });

  it('expires negative entries after negativeTtlMs', async () => {
    const clock = createFakeClock(0);
    const { load, calls } = countingLoader(new Map());
    const cache = createKeyCache<Row>({ load, clock: clock.now, l1: { ttlMs: 1000, negativeTtlMs: 100 } });
    await cache.get('x');
    clock.advance(100);
    await cache.get('x');
    expect(calls).toHaveLength(2);
  });

  it('keeps at most maxEntries in L1', async () => {
    const rows = new Map(Array.from({ length: 20 }, (_, i) => [`d${i}`, { status: 'ACTIVE' }] as const));
    const { load } = countingLoader(rows);
    const cache = createKeyCache<Row>({ load, l1: { maxEntries: 5 } });
    for (const id of rows.keys()) await cache.get(id);
    expect(cache.stats().l1Size).toBe(5);
  });

  it('goes to the loader every time when L1 is disabled', async () => {
    const { load, calls } = countingLoader(new Map([['d1', { status: 'ACTIVE' }]]));
    const cache = createKeyCache<Row>({ load, l1: false });
    await cache.get('d1');
    await cache.get('d1');
    expect(calls).toHaveLength(2);
  });

  it('rejects when the loader fails, caches nothing, and retries on the next lookup', async () => {
    let fail = true;
    const cache = createKeyCache<Row>({
      load: async () => {
        if (fail) throw new Error('database unreachable');
        return { status: 'ACTIVE' };
      },
    });
    await expect(cache.get('d1')).rejects.toThrow('database unreachable');
    fail = false;
    expect(await cache.get('d1')).toEqual({ status: 'ACTIVE' });
  });

  it('shares one loader failure among concurrent waiters', async () => {
    let calls = 0;
    const cache = createKeyCache<Row>({
      load: async () => {
        calls += 1;
        throw new Error('database unreachable');
      },
    });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => cache.get('d1')));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });

  it('peeks L1 synchronously: undefined on a miss, the row or null once cached, undefined once stale', async () => {
    const clock = createFakeClock();
    const { load, calls } = countingLoader(new Map([['d1', { status: 'ACTIVE' }]]));
    const cache = createKeyCache<Row>({ load, clock: clock.now, l1: { ttlMs: 1000, negativeTtlMs: 500 } });
    expect(cache.peek('d1')).toBeUndefined();
    expect(cache.peek('gone')).toBeUndefined();
    await cache.get('d1');
    await cache.get('gone');
    const hits = cache.stats().l1Hits;
    expect(cache.peek('d1')).toEqual({ status: 'ACTIVE' });
    expect(cache.peek('gone')).toBeNull();
    expect(cache.stats().l1Hits).toBe(hits + 2);
    clock.advance(600);
    expect(cache.peek('gone')).toBeUndefined();
    expect(cache.peek('d1')).toEqual({ status: 'ACTIVE' });
    await cache.invalidate('d1');
    expect(cache.peek('d1')).toBeUndefined();
    expect(calls).toEqual(['d1', 'gone']);
  });

  it('reads synchronously on an L1 hit and through a promise on a miss', async () => {
    const { load, calls } = countingLoader(new Map([['d1', { status: 'ACTIVE' }]]));
    const cache = createKeyCache<Row>({ load });
    const miss = cache.read('d1');
    expect(miss).toBeInstanceOf(Promise);
    expect(await miss).toEqual({ status: 'ACTIVE' });
    expect(cache.read('d1')).toEqual({ status: 'ACTIVE' });
    expect(calls).toEqual(['d1']);
  });

  it('never answers a peek when L1 is disabled', async () => {
    const { load } = countingLoader(new Map([['d1', { status: 'ACTIVE' }]]));
    const cache = createKeyCache<Row>({ load, l1: false });
    await cache.get('d1');
    expect(cache.peek('d1')).toBeUndefined();
  });

  it('answers nothing from L1 after close', async () => {
    const { load, calls } = countingLoader(new Map([['d1', { status: 'ACTIVE' }]]));
    const cache = createKeyCache<Row>({ load });
    await cache.get('d1');
    await cache.close();
    await cache.get('d1');
    expect(calls).toHaveLength(2);
  });
});
