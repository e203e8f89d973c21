// The Redis store against a redis-server spawned for this file (paused in one test, so never a
// shared one). Two "verifier processes" each have their own client and store over the one server.
import { createFakeClock, type RedisServerHandle, redisAvailability, startRedis } from '@portcullis/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateTestKey, makeProof } from '../test/proofs.js';
import { createRedisReplayStore } from './redis-replay-store.js';
import { DpopInfrastructureError, verifyDpopProof } from './verify.js';

const URL = 'https://issuer.example/v1/credential';
const redisServer = redisAvailability();
if (!redisServer.ok) console.warn(`skipping DPoP Redis replay suite: ${redisServer.reason}`);

describe.runIf(redisServer.ok)('createRedisReplayStore with a real Redis', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedis(redisServer.ok ? { bin: redisServer.bin } : {});
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const connect = async (): Promise<Redis> => {
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 500 });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  };

  it('answers true once and false for the same jkt and jti', async () => {
    const store = createRedisReplayStore({ redis: await connect(), prefix: 't1:' });
    expect(await store.remember('jkt', 'jti', 60_000)).toBe(true);
    expect(await store.remember('jkt', 'jti', 60_000)).toBe(false);
    expect(await store.remember('jkt2', 'jti', 60_000)).toBe(true);
  });

  it('stores SET NX with the TTL in ms, under prefix, jkt and a digest of the jti', async () => {
    const redis = await connect();
    const store = createRedisReplayStore({ redis, prefix: 't2:' });
    await store.remember('jkt', 'a jti with spaces and \u0000 NUL', 60_000);
    const keys = await redis.keys('t2:*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^t2:jkt:[A-Za-z0-9_-]{43}$/);
    const ttl = await redis.pttl(keys[0] ?? '');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('forgets a jti after its TTL', async () => {
    const redis = await connect();
    const store = createRedisReplayStore({ redis, prefix: 't3:' });
    expect(await store.remember('jkt', 'jti', 30)).toBe(true);
    await expect
      .poll(async () => (await redis.keys('t3:*')).length, { timeout: 2_000, interval: 20 })
      .toBe(0);
    expect(await store.remember('jkt', 'jti', 30)).toBe(true);
  });

  it('catches a replay across two verifier processes sharing the Redis', async () => {
    const key = generateTestKey('ES256');
    const clock = createFakeClock();
    const proof = makeProof(key, { htm: 'POST', htu: URL, iat: clock.now() / 1000 });
    const verifierA = createRedisReplayStore({ redis: await connect(), prefix: 't4:' });
    const verifierB = createRedisReplayStore({ redis: await connect(), prefix: 't4:' });
    const options = { proof, method: 'POST', url: URL, now: clock.now };
    expect(await verifyDpopProof({ ...options, replay: verifierA })).toMatchObject({ ok: true });
    expect(await verifyDpopProof({ ...options, replay: verifierB })).toMatchObject({
      ok: false,
      rule: 'replay',
    });
  });

  it('lets exactly one of many concurrent verifications of one proof through', async () => {
    const key = generateTestKey('EdDSA');
    const clock = createFakeClock();
    const proof = makeProof(key, { htm: 'POST', htu: URL, iat: clock.now() / 1000 });
    const storeA = createRedisReplayStore({ redis: await connect(), prefix: 't5:' });
    const storeB = createRedisReplayStore({ redis: await connect(), prefix: 't5:' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        verifyDpopProof({
          proof,
          method: 'POST',
          url: URL,
          now: clock.now,
          replay: i % 2 === 0 ? storeA : storeB,
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.rule === 'replay')).toHaveLength(19);
  });

  it('fails closed when Redis does not answer', async () => {
    const redis = await connect();
    const store = createRedisReplayStore({ redis, prefix: 't6:' });
    const key = generateTestKey('ES256');
    const clock = createFakeClock();
    const proof = makeProof(key, { htm: 'POST', htu: URL, iat: clock.now() / 1000 });
    server.pause();
    try {
      await expect(
        verifyDpopProof({
          proof,
          method: 'POST',
          url: URL,
          now: clock.now,
          replay: store,
          replayTimeoutMs: 200,
        }),
      ).rejects.toBeInstanceOf(DpopInfrastructureError);
    } finally {
      server.resume();
    }
  });

  it('fails closed when Redis is unreachable', async () => {
    const redis = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    redis.on('error', () => undefined);
    clients.push(redis);
    const store = createRedisReplayStore({ redis });
    const key = generateTestKey('ES256');
    const clock = createFakeClock();
    const proof = makeProof(key, { htm: 'POST', htu: URL, iat: clock.now() / 1000 });
    await expect(
      verifyDpopProof({ proof, method: 'POST', url: URL, now: clock.now, replay: store }),
    ).rejects.toMatchObject({
      dependency: 'replay-store',
    });
  });
});
