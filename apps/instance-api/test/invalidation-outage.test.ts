// SPEC §8, "an invalidation is never lost": two app processes sharing one Postgres and one
// private Redis; A revokes a key while Redis is unreachable (for A alone, or for everyone) and
// dies before Redis returns. B, whose cache was warm for the key, must refuse it within its L1 TTL
// and never accept it again — also after Redis comes back still holding the stale L2 entry.
import type { Database } from '@portcullis/db';
import {
  outboxProbe,
  type RedisOutage,
  runInvalidationOutage,
  type SharedBackends,
  waitUntil,
} from '@portcullis/testing';
import { afterEach, beforeAll, expect, it } from 'vitest';
import {
  type CreatedKeyView,
  createInstance,
  describeBackends,
  envelope,
  type RunningApp,
  startApp,
} from './harness.js';

/** B's L1 TTL: short, so "within the L1 TTL" is a bound a test can wait for. */
const L1_TTL_MS = 1500;

describeBackends('an invalidation is never lost to a Redis outage or a dying writer', (shared) => {
  let backends: SharedBackends<Database>;
  let dbA: Database;
  let dbB: Database;
  const running: RunningApp[] = [];
  let prefixSeq = 0;

  beforeAll(() => {
    backends = shared.backends;
    dbA = shared.dbA;
    dbB = shared.dbB;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
  });

  /** Two processes of one deployment; rate limits in process memory so a paused Redis costs no wait. */
  const startPair = async () => {
    prefixSeq += 1;
    const common = {
      redisUrl: backends.redis.url,
      redisPrefix: `pc:outage${prefixSeq}`,
      limitStore: 'memory',
    } as const;
    const a = await startApp({ db: dbA, ...common });
    const b = await startApp({ db: dbB, ...common, l1: { ttlMs: L1_TTL_MS } });
    running.push(a, b);
    return { a, b };
  };

  const outboxRows = () => outboxProbe(dbA).count();

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
        redis: backends.redis,
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
