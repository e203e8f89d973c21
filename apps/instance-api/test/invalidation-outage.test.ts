import { outboxProbe, type RedisOutage, runInvalidationOutage, waitUntil } from '@portcullis/testing';
import { expect, it } from 'vitest';
import { type CreatedKeyView, createInstance, describeBackends, envelope, startApp } from './harness.js';

/** B's L1 TTL: short, so "within the L1 TTL" is a bound a test can wait for. */
const L1_TTL_MS = 1500;

describeBackends('an invalidation is never lost to a Redis outage or a dying writer', (shared) => {
  let prefixSeq = 0;

  /** Two processes of one deployment; rate limits in process memory so a paused Redis costs no wait. */
  const startPair = async () => {
    prefixSeq += 1;
    const common = {
      redisUrl: shared.backends.redis.url,
      redisPrefix: `pc:outage${prefixSeq}`,
      limitStore: 'memory',
    } as const;
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
    ['killed', 'Redis is killed (and restarted empty)'],
  ])(
    'refuses on B a key that A revoked and died while %s (%s), within the L1 TTL and for good',
    async (outage) => {
      const { a, b } = await startPair();
      const inst = await createInstance(a);
      const created = await envelope<CreatedKeyView>(
        await a.withKey(inst.apiKey, '/api/v2/instance/api-keys', {
          method: 'POST',
          json: { name: 'victim' },
        }),
      );
      const victim = created.data.key;
      expect((await b.withKey(victim, '/api/v2/instance')).status).toBe(200); // fills L1 and L2
      // Warm: answered from L1. (The creation's outbox row, relayed just after it, may evict the
      // entry once more; the next request fills it again.)
      await waitUntil(async () => {
        const hits = b.deps.keyCache.stats().l1Hits;
        return (
          (await b.withKey(victim, '/api/v2/instance')).status === 200 &&
          b.deps.keyCache.stats().l1Hits > hits
        );
      });

      const result = await runInvalidationOutage({
        redis: shared.backends.redis,
        outage,
        writer: a,
        change: async () => {
          const revoke = await a.withKey(inst.apiKey, `/api/v2/instance/api-keys/${created.data.id}/revoke`, {
            method: 'POST',
          });
          expect(revoke.status).toBe(200);
        },
        accepted: async () => (await b.withKey(victim, '/api/v2/instance')).status === 200,
        // The L1 TTL, plus one request's worth of Redis timeouts while Redis is unreachable.
        refuseWithinMs: L1_TTL_MS + 500,
        // Long enough for B's L1 to expire twice over and its relay and breaker to recover.
        holdMs: 2 * L1_TTL_MS + 1500,
      });
      expect(result.refusedAfterMs).toBeDefined();
      expect(result.acceptedAfterRedisBack).toBe(0);
      expect(result.checkedAfterRedisBack).toBeGreaterThan(10);
      // B uses Redis again (the L2 gate reopened) and nothing is left to relay.
      expect(b.deps.keyCache.stats().l2Trusted).toBe(true);
      await waitUntil(async () => (await outboxRows()) === 0);
      // The instance's own key was never affected.
      expect((await b.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
    },
  );
});
