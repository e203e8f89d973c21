import { outboxProbe, type RedisOutage, runInvalidationOutage, waitUntil } from '@portcullis/testing';
import { expect, it } from 'vitest';
import { createTenant, describeBackends, startApp, tenantAction } from './harness.js';

/** B's L1 TTL: short, so "within the L1 TTL" is a bound a test can wait for. */
const L1_TTL_MS = 1500;

describeBackends('a tenant key change is never lost to a Redis outage or a dying writer', (shared) => {
  let prefixSeq = 0;

  const startPair = async () => {
    prefixSeq += 1;
    const common = { redisUrl: shared.backends.redis.url, redisPrefix: `pc:tcs-outage${prefixSeq}` };
    // Started together, as two processes of one deployment would: one signing key between them.
    const [a, b] = await Promise.all([
      startApp({ db: shared.dbA, ...common }),
      startApp({ db: shared.dbB, ...common, l1: { ttlMs: L1_TTL_MS } }),
    ]);
    shared.closeAfterTest(a);
    shared.closeAfterTest(b);
    return { a, b };
  };

  const outboxRows = () => outboxProbe(shared.dbA).count();

  it.each<[RedisOutage, 'rotates its key' | 'suspends it']>([
    ['writer-partitioned', 'rotates its key'],
    ['paused', 'rotates its key'],
    ['paused', 'suspends it'],
  ])(
    'refuses on B a tenant key after A, with Redis %s, %s and dies: within the L1 TTL and for good',
    async (outage, change) => {
      const { a, b } = await startPair();
      const created = await createTenant(a);
      const slug = created.tenant.slug;
      await tenantAction(a, slug, 'approve');
      const whoami = () => b.request('/v1/tenant', { headers: { 'x-api-key': created.apiKey } });
      expect((await whoami()).status).toBe(200); // fills L1 and L2
      // Warm: answered from L1. (The approval's outbox rows, relayed just after it, may evict the
      // entry once more; the next request fills it again.)
      await waitUntil(async () => {
        const hits = b.deps.keyCache.stats().l1Hits;
        return (await whoami()).status === 200 && b.deps.keyCache.stats().l1Hits > hits;
      });

      const result = await runInvalidationOutage({
        redis: shared.backends.redis,
        outage,
        writer: a,
        change: async () => {
          const res =
            change === 'rotates its key'
              ? await a.admin(`/admin/tenants/${slug}/api-key/rotate`, { method: 'POST' })
              : await a.admin(`/admin/tenants/${slug}/suspend`, { method: 'POST' });
          expect(res.status).toBe(200);
        },
        accepted: async () => (await whoami()).status === 200,
        // The L1 TTL, plus one request's worth of Redis timeouts while Redis is unreachable.
        refuseWithinMs: L1_TTL_MS + 500,
        // Long enough for B's L1 to expire twice over and its relay and breaker to recover.
        holdMs: 2 * L1_TTL_MS + 1500,
      });
      expect(result.refusedAfterMs).toBeDefined();
      expect(result.acceptedAfterRedisBack).toBe(0);
      expect(result.checkedAfterRedisBack).toBeGreaterThan(10);
      expect((await whoami()).status).toBe(change === 'rotates its key' ? 401 : 403);
      // B uses Redis again (the L2 gate reopened) and nothing is left to relay.
      expect(b.deps.keyCache.stats().l2Trusted).toBe(true);
      await waitUntil(async () => (await outboxRows()) === 0);
    },
  );
});
