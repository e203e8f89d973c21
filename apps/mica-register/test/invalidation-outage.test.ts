import { outboxProbe, type RedisOutage, runInvalidationOutage, waitUntil } from '@portcullis/testing';
import { expect, it } from 'vitest';
import { bearer, body, describeBackends, type KeyListing, register, startApp } from './harness.js';

/** B's L1 TTL: short, so "within the L1 TTL" is a bound a test can wait for. */
const L1_TTL_MS = 1500;
const DATA = '/api/mica/v1/health';

describeBackends('a developer key revocation is never lost to a Redis outage or a dying writer', (shared) => {
  let prefixSeq = 0;

  /** Two processes of one deployment; per-key limits out of the way of the polling. */
  const startPair = async () => {
    prefixSeq += 1;
    const common = {
      redisUrl: shared.backends.redis.url,
      redisPrefix: `pc:mica-outage${prefixSeq}`,
      limits: { perMinute: 100_000, perDay: 1_000_000 },
      // As the app's own connection: a paused Redis costs a limiter call 500 ms, not forever.
      redisCommandTimeoutMs: 500,
    };
    const a = await startApp({ db: shared.dbA, ...common });
    const b = await startApp({ db: shared.dbB, ...common, l1: { ttlMs: L1_TTL_MS } });
    shared.closeAfterTest(a);
    shared.closeAfterTest(b);
    return { a, b };
  };

  const outboxRows = () => outboxProbe(shared.dbA).count();

  it.each<[RedisOutage, string]>([
    ['writer-partitioned', 'only A lost Redis'],
    ['paused', 'Redis is paused for everyone (it keeps the stale entry)'],
  ])(
    'refuses on B a key that A revoked and died while %s (%s), within the L1 TTL and for good',
    async (outage) => {
      const { a, b } = await startPair();
      const dev = await register(a);
      const listing = await body<KeyListing>(
        await a.request('/api/mica/developer/keys', { headers: bearer(dev.managementToken) }),
      );
      const keyId = listing.keys[0]?.id;
      expect(keyId).toBeDefined();
      const call = () => b.request(DATA, { headers: { 'x-api-key': dev.apiKey } });
      expect((await call()).status).toBe(200); // fills L1 and L2
      // Warm: answered from L1. (The registration's outbox row, relayed just after it, may evict
      // the entry once more; the next request fills it again.)
      await waitUntil(async () => {
        const hits = b.deps.keyCache.stats().l1Hits;
        return (await call()).status === 200 && b.deps.keyCache.stats().l1Hits > hits;
      });

      const result = await runInvalidationOutage({
        redis: shared.backends.redis,
        outage,
        writer: a,
        change: async () => {
          const revoke = await a.request(`/api/mica/developer/keys/${keyId}`, {
            method: 'DELETE',
            headers: bearer(dev.managementToken),
          });
          expect(revoke.status).toBe(200);
        },
        accepted: async () => (await call()).status === 200,
        // The L1 TTL, plus one accepted request's Redis command timeouts (its two per-key limiters
        // wait 500 ms each on a paused Redis before falling back to process memory).
        refuseWithinMs: L1_TTL_MS + 1500,
        // Long enough for B's L1 to expire twice over and its relay and breaker to recover.
        holdMs: 2 * L1_TTL_MS + 1500,
      });
      expect(result.refusedAfterMs).toBeDefined();
      expect(result.acceptedAfterRedisBack).toBe(0);
      expect(result.checkedAfterRedisBack).toBeGreaterThan(10);
      // B uses Redis again (the L2 gate reopened) and nothing is left to relay.
      expect(b.deps.keyCache.stats().l2Trusted).toBe(true);
      await waitUntil(async () => (await outboxRows()) === 0);
    },
  );
});
