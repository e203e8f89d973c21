// Two issuer processes (own caches, limiters, token services and Redis connections) sharing one
// Redis and one Postgres: the multi-process guarantees of SPEC §6.2 and §8.
import type { Database } from '@portcullis/db';
import { beforeAll, expect, it } from 'vitest';
import { generateDidKey } from '../src/crypto/did-key.js';
import {
  body,
  createTenant,
  describeCluster,
  issuedSecrets,
  login,
  type RunningApp,
  type TcsError,
  tenantAction,
  uniqueSlug,
} from './harness.js';

describeCluster(
  'two issuer processes sharing Redis and Postgres',
  { limits: { loginFailuresPer15Min: 15 } },
  (cluster) => {
    let a: RunningApp;
    let b: RunningApp;
    let dbA: Database;
    beforeAll(() => {
      a = cluster.a;
      b = cluster.b;
      dbA = cluster.dbA;
    });

    const whoami = (app: RunningApp, key: string) =>
      app.request('/v1/tenant', { headers: { 'x-api-key': key } });

    it('creates one active signing key for two processes starting together', async () => {
      const { rows } = await dbA.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM signing_keys WHERE active',
      );
      expect(rows[0]?.n).toBe(1);
      expect(a.deps.tokens.jwks()).toEqual(b.deps.tokens.jwks());
    });

    it('accepts on B a login token issued by A', async () => {
      const created = await createTenant(a);
      await tenantAction(a, created.tenant.slug, 'approve');
      const token = await login(a, created.uuid, created.initialPassword);
      const res = await b.request('/v1/did', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    });

    it('refuses on B, whose cache was warm, the key of a tenant suspended on A, within 100 ms', async () => {
      const created = await createTenant(a);
      await tenantAction(a, created.tenant.slug, 'approve');
      expect((await whoami(b, created.apiKey)).status).toBe(200);
      expect((await whoami(b, created.apiKey)).status).toBe(200);
      expect(b.deps.keyCache.stats().l1Hits).toBeGreaterThan(0);

      await tenantAction(a, created.tenant.slug, 'suspend');
      const suspendedAt = performance.now();
      let status = (await whoami(b, created.apiKey)).status;
      while (status === 200 && performance.now() - suspendedAt < 1000) {
        status = (await whoami(b, created.apiKey)).status;
      }
      expect(status).toBe(403);
      expect(performance.now() - suspendedAt).toBeLessThan(100);
    });

    it('refuses on B a key rotated away on A', async () => {
      const created = await createTenant(a);
      await tenantAction(a, created.tenant.slug, 'approve');
      expect((await whoami(b, created.apiKey)).status).toBe(200);
      const rotated = await a.admin(`/admin/tenants/${created.tenant.slug}/api-key/rotate`, {
        method: 'POST',
      });
      expect(rotated.status).toBe(200);
      const { apiKey } = await body<{ apiKey: string }>(rotated);
      const rotatedAt = performance.now();
      let status = (await whoami(b, created.apiKey)).status;
      while (status === 200 && performance.now() - rotatedAt < 1000) {
        status = (await whoami(b, created.apiKey)).status;
      }
      expect(status).toBe(401);
      expect(performance.now() - rotatedAt).toBeLessThan(100);
      expect((await whoami(b, apiKey)).status).toBe(200);
    });

    it('creates one tenant when both processes get the same slug concurrently', async () => {
      const json = {
        slug: uniqueSlug('race'),
        organizationName: 'R',
        ownerEmail: 'r@r.example',
        signingProfile: 'eddsa_did',
      };
      const statuses = (
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? a : b).admin('/admin/tenants', { method: 'POST', json }),
          ),
        )
      ).map((res) => res.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    });

    it('leaves one live API key and one issuing DID after concurrent rotations and approvals on both', async () => {
      const created = await createTenant(a);
      const slug = created.tenant.slug;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const app = i % 2 === 0 ? a : b;
          return i % 3 === 0
            ? app.admin(`/admin/tenants/${slug}/approve`, { method: 'POST' })
            : app.admin(`/admin/tenants/${slug}/api-key/rotate`, { method: 'POST' });
        }),
      );
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
      const keys = await dbA.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tenant_api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE t.slug = $1 AND k.revoked_at IS NULL`,
        [slug],
      );
      expect(keys.rows[0]?.n).toBe(1);
      const dids = await dbA.query<{ n: number; issuing: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE d.issuing)::int AS issuing
         FROM dids d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = $1`,
        [slug],
      );
      expect(dids.rows[0]).toEqual({ n: 1, issuing: 1 });
    });

    it('serialises concurrent DID creates and imports of one tenant on both processes, up to the cap of 20', async () => {
      const created = await createTenant(a);
      await tenantAction(a, created.tenant.slug, 'approve'); // approval makes the first DID
      const token = await login(a, created.uuid, created.initialPassword);
      const headers = { authorization: `Bearer ${token}` };
      const imports = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const { didKey, privateJwk } = await generateDidKey('EdDSA');
          issuedSecrets.add(privateJwk.d as string);
          return { did: didKey.did, privateJwk };
        }),
      );
      // 12 creates and 12 imports at once, alternating processes: 19 places are left.
      const requests = [
        ...Array.from({ length: 12 }, () => ({ path: '/v1/did', json: undefined as unknown })),
        ...imports.map((json) => ({ path: '/v1/did/import', json: json as unknown })),
      ];
      const responses = await Promise.all(
        requests.map(({ path, json }, i) =>
          (i % 2 === 0 ? a : b).request(path, {
            method: 'POST',
            headers,
            ...(json === undefined ? {} : { json }),
          }),
        ),
      );
      const statuses = responses.map((res) => res.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(19);
      expect(statuses.filter((s) => s === 409)).toHaveLength(5);
      for (const res of responses.filter((r) => r.status === 409)) {
        expect(await body<TcsError>(res)).toEqual({
          statusCode: 409,
          message: 'DID limit reached: a tenant holds at most 20 DIDs',
          error: 'Conflict',
        });
      }
      const dids = await dbA.query<{ n: number; issuing: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE issuing)::int AS issuing FROM dids WHERE tenant_id = $1`,
        [created.tenant.id],
      );
      expect(dids.rows[0]).toEqual({ n: 20, issuing: 1 });
      // The 21st, on either process, is refused too.
      expect((await b.request('/v1/did', { method: 'POST', headers })).status).toBe(409);
    });

    it('never answers 500 to concurrent DID creates of one tenant, leaving one issuing DID', async () => {
      const created = await createTenant(a);
      await tenantAction(a, created.tenant.slug, 'approve');
      const token = await login(a, created.uuid, created.initialPassword);
      const statuses = (
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? a : b).request('/v1/did', {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
            }),
          ),
        )
      ).map((res) => res.status);
      expect(statuses).toEqual(Array(10).fill(201));
      const dids = await dbA.query<{ n: number; issuing: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE issuing)::int AS issuing FROM dids WHERE tenant_id = $1`,
        [created.tenant.id],
      );
      expect(dids.rows[0]).toEqual({ n: 11, issuing: 1 });
    });

    it('counts failed logins across both processes (shared Redis counters): the 16th is refused', async () => {
      const created = await createTenant(a);
      await tenantAction(a, created.tenant.slug, 'approve');
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        const res = await (i % 2 === 0 ? a : b).request('/v1/auth/login', {
          method: 'POST',
          json: { uuid: created.uuid, password: `wrong-password-${i}` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual(Array(15).fill(401));
      const refused = await b.request('/v1/auth/login', {
        method: 'POST',
        json: { uuid: created.uuid, password: created.initialPassword },
      });
      expect(refused.status).toBe(429);
    });
  },
);
