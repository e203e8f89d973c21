// Two app processes (own caches, limiters and Redis connections) sharing one Redis and one
// Postgres: the multi-process guarantees of SPEC §5.2 and §8.
import type { Database } from '@portcullis/db';
import { beforeAll, expect, it } from 'vitest';
import {
  bearer,
  body,
  type CreatedKey,
  describeCluster,
  type KeyListing,
  type RunningApp,
  register,
} from './harness.js';

describeCluster('two MiCA app processes sharing Redis and Postgres', {}, (cluster) => {
  let a: RunningApp;
  let b: RunningApp;
  let dbA: Database;
  beforeAll(() => {
    a = cluster.a;
    b = cluster.b;
    dbA = cluster.dbA;
  });

  const DATA = '/api/mica/v1/health';

  it('refuses a key revoked on A on the next request on B', async () => {
    const dev = await register(a);
    const call = () => b.request(DATA, { headers: { 'x-api-key': dev.apiKey } });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const [key] = (
      await body<KeyListing>(
        await a.request('/api/mica/developer/keys', { headers: bearer(dev.managementToken) }),
      )
    ).keys;
    const revoke = await a.request(`/api/mica/developer/keys/${key?.id}`, {
      method: 'DELETE',
      headers: bearer(dev.managementToken),
    });
    expect(revoke.status).toBe(200);
    expect((await call()).status).toBe(401);
  });

  it('refuses a rotated-away key on the next request on B', async () => {
    const dev = await register(a);
    expect((await b.request(DATA, { headers: { 'x-api-key': dev.apiKey } })).status).toBe(200);
    const [key] = (
      await body<KeyListing>(
        await a.request('/api/mica/developer/keys', { headers: bearer(dev.managementToken) }),
      )
    ).keys;
    const rotated = await body<CreatedKey>(
      await a.request(`/api/mica/developer/keys/${key?.id}/rotate`, {
        method: 'POST',
        headers: bearer(dev.managementToken),
      }),
    );
    expect((await b.request(DATA, { headers: { 'x-api-key': dev.apiKey } })).status).toBe(401);
    expect((await b.request(DATA, { headers: { 'x-api-key': rotated.apiKey } })).status).toBe(200);
  });

  it('keeps at most 3 active keys under 20 concurrent creates on both processes', async () => {
    const dev = await register(a);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).request('/api/mica/developer/keys', {
          method: 'POST',
          headers: bearer(dev.managementToken),
          json: { name: `k${i}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(2); // + the key made at registration = 3
    expect(statuses.filter((s) => s === 409)).toHaveLength(18);
    const { rows } = await dbA.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM developer_keys WHERE developer_id = $1 AND revoked_at IS NULL',
      [dev.developer.id],
    );
    expect(rows[0]?.n).toBe(3);
  });

  it('shares the per-minute limit exactly across both processes', async () => {
    const dev = await register(a);
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        (i % 2 === 0 ? a : b).request(DATA, { headers: { 'x-api-key': dev.apiKey } }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(60);
    expect(results.filter((r) => r.status === 429)).toHaveLength(30);
  });
});
