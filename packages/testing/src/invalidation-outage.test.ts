import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInvalidationOutage } from './invalidation-outage.js';
import { type RedisServerHandle, redisAvailability, startRedis } from './redis.js';

const available = redisAvailability();
if (!available.ok) console.warn(`[@portcullis/testing] skipping outage tests: ${available.reason}`);

describe.runIf(available.ok)('runInvalidationOutage', () => {
  let server: RedisServerHandle;
  let probe: Redis;

  beforeAll(async () => {
    if (!available.ok) return;
    server = await startRedis({ bin: available.bin });
    probe = new Redis(server.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 200,
      retryStrategy: () => 50,
    });
    probe.on('error', () => undefined);
    await probe.connect();
  });
  afterAll(async () => {
    probe?.disconnect();
    await server?.stop();
  });

  const redisAnswers = () =>
    probe.ping().then(
      () => true,
      () => false,
    );

  it('changes with Redis down and the writer cut off, crashes the writer, and checks the reader with Redis back', async () => {
    const steps: string[] = [];
    let refusing = false;
    const result = await runInvalidationOutage({
      redis: server,
      outage: 'paused',
      writer: {
        cutRedis: () => steps.push('cut'),
        crash: async () => {
          steps.push('crash');
        },
      },
      change: async () => {
        steps.push(`change (redis answers: ${await redisAnswers()})`);
        refusing = true;
      },
      accepted: async () => !refusing,
      refuseWithinMs: 1000,
      holdMs: 100,
    });
    expect(steps).toEqual(['cut', 'change (redis answers: false)', 'crash']);
    expect(result.refusedAfterMs).toBeGreaterThanOrEqual(0);
    expect(result.acceptedAfterRedisBack).toBe(0);
    expect(result.checkedAfterRedisBack).toBeGreaterThan(0);
    expect(await redisAnswers()).toBe(true);
  });

  it('reports a reader that never refuses, and one that accepts again after Redis is back', async () => {
    const never = await runInvalidationOutage({
      redis: server,
      outage: 'writer-partitioned',
      writer: { cutRedis: () => undefined, crash: async () => undefined },
      change: async () => undefined,
      accepted: async () => true,
      refuseWithinMs: 100,
      holdMs: 100,
    });
    expect(never.refusedAfterMs).toBeUndefined();
    expect(never.acceptedAfterRedisBack).toBe(never.checkedAfterRedisBack);

    let calls = 0;
    const flapping = await runInvalidationOutage({
      redis: server,
      outage: 'killed',
      writer: { cutRedis: () => undefined, crash: async () => undefined },
      change: async () => undefined,
      accepted: async () => {
        calls += 1;
        return calls > 1; // refuses once, while Redis is down; accepts once it is back
      },
      refuseWithinMs: 1000,
      holdMs: 100,
    });
    expect(flapping.refusedAfterMs).toBeDefined();
    expect(flapping.acceptedAfterRedisBack).toBeGreaterThan(0);
  });

  it('brings Redis back when the change fails', async () => {
    await expect(
      runInvalidationOutage({
        redis: server,
        outage: 'paused',
        writer: { cutRedis: () => undefined, crash: async () => undefined },
        change: async () => {
          throw new Error('revoke answered 500');
        },
        accepted: async () => false,
        refuseWithinMs: 100,
        holdMs: 100,
      }),
    ).rejects.toThrow('revoke answered 500');
    expect(await redisAnswers()).toBe(true);
  });
});
