// Two app processes (each its own cache, limiters and Redis connections) sharing one Redis and one
// Postgres: the multi-process guarantees of SPEC §4.4 and §8.
import type { Database } from '@portcullis/db';
import type { SharedBackends } from '@portcullis/testing';
import { beforeAll, expect, it } from 'vitest';
import {
  type ApiKeyView,
  type CreatedKeyView,
  createInstance,
  describeCluster,
  envelope,
  itemAt,
  type RunningApp,
  startApp,
} from './harness.js';

describeCluster('two app processes sharing Redis and Postgres', {}, (cluster) => {
  let a: RunningApp;
  let b: RunningApp;
  let dbA: Database;
  let dbB: Database;
  let backends: SharedBackends<Database>;
  beforeAll(() => {
    a = cluster.a;
    b = cluster.b;
    dbA = cluster.dbA;
    dbB = cluster.dbB;
    backends = cluster.backends;
  });

  it('allows exactly 10 ACTIVE keys under 50 concurrent creates spread over both processes', async () => {
    const inst = await createInstance(a);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? a : b).withKey(inst.apiKey, '/api/v2/instance/api-keys', {
          method: 'POST',
          json: { name: `k${i}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(9); // + Default = 10
    expect(statuses.filter((s) => s === 409)).toHaveLength(41);
    const { rows } = await dbA.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys WHERE instance_id = $1 AND status = 'ACTIVE'`,
      [inst.id],
    );
    expect(rows[0]?.n).toBe(10);
  });

  it('lets exactly one of two concurrent rotations of one key succeed', async () => {
    const inst = await createInstance(a);
    const list = await envelope<ApiKeyView[]>(await a.withKey(inst.apiKey, '/api/v2/instance/api-keys'));
    const keyId = itemAt(list.data, 0).id;
    const [r1, r2] = await Promise.all([
      a.withKey(inst.apiKey, `/api/v2/instance/api-keys/${keyId}/rotate`, { method: 'POST' }),
      b.withKey(inst.apiKey, `/api/v2/instance/api-keys/${keyId}/rotate`, { method: 'POST' }),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([200, 400]);
    const { rows } = await dbA.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_keys WHERE instance_id = $1',
      [inst.id],
    );
    expect(rows[0]?.n).toBe(2);
  });

  it('lets exactly one of two keys that revoke each other at once succeed, on both processes', async () => {
    // The caller's own key is checked in the database under the instance's row lock: whichever
    // revocation commits first leaves the other caller revoked, so it must not change keys anymore.
    const pairs = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const inst = await createInstance(a);
        const list = await envelope<ApiKeyView[]>(await a.withKey(inst.apiKey, '/api/v2/instance/api-keys'));
        const created = await envelope<CreatedKeyView>(
          await a.withKey(inst.apiKey, '/api/v2/instance/api-keys', {
            method: 'POST',
            json: { name: 'peer' },
          }),
        );
        return { defaultKey: inst.apiKey, defaultId: itemAt(list.data, 0).id, peer: created.data };
      }),
    );
    const results = await Promise.all(
      pairs.map(async ({ defaultKey, defaultId, peer }) => {
        const [first, second] = await Promise.all([
          a.withKey(defaultKey, `/api/v2/instance/api-keys/${peer.id}/revoke`, { method: 'POST' }),
          b.withKey(peer.key, `/api/v2/instance/api-keys/${defaultId}/revoke`, { method: 'POST' }),
        ]);
        const { rows } = await dbA.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM api_keys WHERE id = ANY($1) AND status = 'REVOKED'`,
          [[defaultId, peer.id]],
        );
        return { statuses: [first.status, second.status].sort(), revoked: rows[0]?.n };
      }),
    );
    for (const { statuses, revoked } of results) {
      // The loser is refused by the database check (400) or, when the invalidation came first, by auth (401).
      expect([
        [200, 400],
        [200, 401],
      ]).toContainEqual(statuses);
      expect(revoked).toBe(1);
    }
  });

  it('refuses a key revoked on A on the next request on B, whose L1 was warm, within 100 ms', async () => {
    const inst = await createInstance(a);
    const created = await envelope<CreatedKeyView>(
      await a.withKey(inst.apiKey, '/api/v2/instance/api-keys', { method: 'POST', json: { name: 'victim' } }),
    );
    const victim = created.data.key;
    expect((await b.withKey(victim, '/api/v2/instance')).status).toBe(200);
    expect((await b.withKey(victim, '/api/v2/instance')).status).toBe(200);
    const l1HitsBefore = b.deps.keyCache.stats().l1Hits;
    expect(l1HitsBefore).toBeGreaterThan(0);

    const revoke = await a.withKey(inst.apiKey, `/api/v2/instance/api-keys/${created.data.id}/revoke`, {
      method: 'POST',
    });
    expect(revoke.status).toBe(200);
    const revokedAt = performance.now();
    let status = (await b.withKey(victim, '/api/v2/instance')).status;
    while (status === 200 && performance.now() - revokedAt < 1000) {
      status = (await b.withKey(victim, '/api/v2/instance')).status;
    }
    expect(status).toBe(401);
    expect(performance.now() - revokedAt).toBeLessThan(100);
  });

  it('applies pause and archive on the other process at once', async () => {
    const inst = await createInstance(a);
    const spare = (
      await envelope<CreatedKeyView>(
        await a.withKey(inst.apiKey, '/api/v2/instance/api-keys', { method: 'POST', json: { name: 's' } }),
      )
    ).data;
    expect((await b.withKey(spare.key, '/api/v2/instance')).status).toBe(200);
    await a.withKey(inst.apiKey, `/api/v2/instance/api-keys/${spare.id}/pause`, {
      method: 'POST',
      json: { durationSeconds: 600 },
    });
    expect((await b.withKey(spare.key, '/api/v2/instance')).status).toBe(401);
    expect((await b.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
    await a.admin(`/admin/instances/${inst.id}/archive`, { method: 'POST' });
    expect((await b.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(401);
  });

  it('shares the per-key limit exactly across both processes', async () => {
    const limitedA = await startApp({
      db: dbA,
      redisUrl: backends.redis.url,
      limits: { keyPerMin: 20, keyMgmtPerMin: 1000 },
      redisPrefix: 'pc:exact',
    });
    const limitedB = await startApp({
      db: dbB,
      redisUrl: backends.redis.url,
      limits: { keyPerMin: 20, keyMgmtPerMin: 1000 },
      redisPrefix: 'pc:exact',
    });
    try {
      const inst = await createInstance(limitedA);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 === 0 ? limitedA : limitedB).withKey(inst.apiKey, '/api/v2/services/custody'),
        ),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(20);
      expect(results.filter((r) => r.status === 429)).toHaveLength(40);
    } finally {
      await limitedA.close();
      await limitedB.close();
    }
  });

  it('keeps authenticating from the database while Redis is down, and uses it again once back', async () => {
    const inst = await createInstance(a);
    await backends.redis.kill();
    try {
      for (let i = 0; i < 5; i += 1)
        expect((await b.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
    } finally {
      await backends.redis.restart();
    }
    const deadline = performance.now() + 5000;
    let ready = false;
    while (!ready && performance.now() < deadline) {
      ready = (await b.admin('/readyz')).status === 200;
      if (!ready) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ready).toBe(true);
  });
});
