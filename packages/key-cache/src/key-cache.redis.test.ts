// The cache against a real redis-server spawned for this file (never the shared one: these tests
// pause and kill it). Each "process" is a cache with its own two ioredis connections.
import { type RedisServerHandle, redisAvailability, startRedis } from '@portcullis/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKeyCache, type KeyCache, type KeyCacheOptions } from './key-cache.js';

interface Row {
  status: string;
}

const redisServer = redisAvailability();
if (!redisServer.ok) console.warn(`skipping key-cache Redis suite: ${redisServer.reason}`);

describe.runIf(redisServer.ok)('key cache with Redis', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];
  const caches: KeyCache<Row>[] = [];
  let namespaceSeq = 0;
  let namespace = '';

  beforeAll(async () => {
    server = await startRedis(redisServer.ok ? { bin: redisServer.bin } : {});
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const connect = async (): Promise<Redis> => {
    const client = new Redis(server.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  };

  /** A cache as one app process would build it, over a shared "database". */
  const processCache = async (
    db: Map<string, Row>,
    options: Partial<KeyCacheOptions<Row>> = {},
  ): Promise<{ cache: KeyCache<Row>; loads: string[] }> => {
    const loads: string[] = [];
    const cache = createKeyCache<Row>({
      load: async (id) => {
        loads.push(id);
        return db.get(id) ?? null;
      },
      redis: await connect(),
      subscriber: await connect(),
      namespace,
      redisBreaker: { timeoutMs: 100, failureThreshold: 2, cooldownMs: 200 },
      ...options,
    });
    await cache.start();
    caches.push(cache);
    return { cache, loads };
  };

  const freshNamespace = () => {
    namespaceSeq += 1;
    namespace = `test:kc${namespaceSeq}`;
  };

  it('answers a second process from L2 without touching the database', async () => {
    freshNamespace();
    const db = new Map([['d1', { status: 'ACTIVE' }]]);
    const a = await processCache(db);
    const b = await processCache(db);
    await a.cache.get('d1');
    expect(await b.cache.get('d1')).toEqual({ status: 'ACTIVE' });
    expect(b.loads).toEqual([]);
    expect(b.cache.stats().l2Hits).toBe(1);
  });

  it('counts a known-absent answer from L2 as a negative hit', async () => {
    freshNamespace();
    const db = new Map<string, { status: string }>();
    const a = await processCache(db);
    const b = await processCache(db);
    expect(await a.cache.get('gone')).toBeNull();
    expect(await b.cache.get('gone')).toBeNull();
    expect(b.loads).toEqual([]);
    expect(b.cache.stats()).toMatchObject({ l2Hits: 1, l2NegativeHits: 1, l1NegativeHits: 0 });
  });

  it('shows a revocation on another process with a warm L1 within 100 ms', async () => {
    freshNamespace();
    const db = new Map([['d1', { status: 'ACTIVE' }]]);
    const a = await processCache(db);
    const b = await processCache(db);
    await b.cache.get('d1');
    await b.cache.get('d1');
    expect(b.cache.stats().l1Hits).toBe(1);

    db.set('d1', { status: 'REVOKED' });
    const revokedAt = performance.now();
    await a.cache.invalidate('d1');
    let seen = (await b.cache.get('d1'))?.status;
    while (seen !== 'REVOKED' && performance.now() - revokedAt < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen = (await b.cache.get('d1'))?.status;
    }
    const elapsedMs = performance.now() - revokedAt;
    expect(seen).toBe('REVOKED');
    expect(elapsedMs).toBeLessThan(100);
  });

  it('never writes a row loaded before an invalidation back into L2', async () => {
    freshNamespace();
    const db = new Map([['d1', { status: 'ACTIVE' }]]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = await processCache(db, {
      load: async (id) => {
        const row = db.get(id) ?? null; // read before the revocation commits
        await gate;
        return row;
      },
    });
    const revoker = await processCache(db);
    const reader = await processCache(db, { l1: false });

    const inFlight = slow.cache.get('d1');
    await new Promise((resolve) => setTimeout(resolve, 20)); // let it read the version first
    db.set('d1', { status: 'REVOKED' });
    await revoker.cache.invalidate('d1');
    release();
    expect(await inFlight).toEqual({ status: 'ACTIVE' });
    expect(await reader.cache.get('d1')).toEqual({ status: 'REVOKED' });
    expect(reader.loads).toEqual(['d1']);
  });

  it('keeps answering from the database while Redis is killed, and uses Redis again once it is back', async () => {
    freshNamespace();
    const db = new Map([['d1', { status: 'ACTIVE' }]]);
    const a = await processCache(db, { l1: false });
    const b = await processCache(db, { l1: { ttlMs: 60_000 } });
    await a.cache.get('d1');

    await server.kill();
    for (let i = 0; i < 5; i += 1) expect(await a.cache.get('d1')).toEqual({ status: 'ACTIVE' });
    expect(a.loads.length).toBeGreaterThanOrEqual(5);
    expect(a.cache.stats().redisErrors + a.cache.stats().redisSkipped).toBeGreaterThan(0);

    await server.restart();
    // Reconnection and the breaker cooldown take a moment; bounded wait for L2 hits to return.
    const deadline = performance.now() + 5000;
    const hitsBefore = a.cache.stats().l2Hits;
    while (a.cache.stats().l2Hits === hitsBefore && performance.now() < deadline) {
      await a.cache.get('d1');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(a.cache.stats().l2Hits).toBeGreaterThan(hitsBefore);
    expect(a.cache.stats().breaker).toBe('closed');

    // The subscription is back too: an invalidation from A reaches B's warm L1.
    await b.cache.get('d1');
    await waitFor(async () => {
      db.set('d1', { status: 'REVOKED' });
      await a.cache.invalidate('d1');
      return (await b.cache.get('d1'))?.status === 'REVOKED';
    });
    expect((await b.cache.get('d1'))?.status).toBe('REVOKED');
  });

  it('answers within the command timeout while Redis is paused', async () => {
    freshNamespace();
    const db = new Map([['d1', { status: 'ACTIVE' }]]);
    const a = await processCache(db, { l1: false });
    await server.pause();
    try {
      for (let i = 0; i < 3; i += 1) expect(await a.cache.get('d1')).toEqual({ status: 'ACTIVE' });
      expect(a.cache.stats().breaker).toBe('open');
    } finally {
      await server.resume();
    }
  });

  it('replays an invalidation that could not reach Redis once Redis answers again', async () => {
    freshNamespace();
    const db = new Map([['d1', { status: 'ACTIVE' }]]);
    const a = await processCache(db);
    const reader = await processCache(db, { l1: false });
    await reader.cache.get('d1'); // L2 now holds ACTIVE

    await server.pause();
    db.set('d1', { status: 'REVOKED' });
    await a.cache.invalidate('d1'); // cannot reach Redis: kept for replay
    await server.resume();

    const ok = await waitFor(async () => (await reader.cache.get('d1'))?.status === 'REVOKED');
    expect(ok).toBe(true);
  });

  it('drops L1 when the subscriber reconnects, since invalidations may have been missed', async () => {
    freshNamespace();
    const db = new Map([['d1', { status: 'ACTIVE' }]]);
    const b = await processCache(db, { l1: { ttlMs: 60_000 } });
    await b.cache.get('d1');
    expect(b.cache.stats().l1Size).toBe(1);
    await server.kill();
    db.set('d1', { status: 'REVOKED' }); // changed while nobody could publish
    await server.restart();
    const ok = await waitFor(async () => (await b.cache.get('d1'))?.status === 'REVOKED');
    expect(ok).toBe(true);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
