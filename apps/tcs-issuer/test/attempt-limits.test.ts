// SPEC §8: failed-attempt limits count an attempt before its secret is checked, so N concurrent
// guesses get at most the limit's number of argon2 verifications; and every answer that carries
// a new secret is never cached.
import type { Database } from '@portcullis/db';
import { createPasswordHasher } from '@portcullis/hashing';
import { delayedLimiters, firstMatching } from '@portcullis/testing';
import { hash as argon2Hash, verify as argon2Verify } from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTenant,
  issuedSecrets,
  pgliteDatabase,
  startApp,
  type TcsError,
  TEST_ARGON2,
  tenantAction,
} from './harness.js';

let db: Database;
beforeAll(async () => {
  db = await pgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describe('concurrent login guesses (SPEC §8)', () => {
  it('gives 40 concurrent wrong logins from one address at most 15 argon2 verifications, and refuses the right password sent last', async () => {
    let verifications = 0;
    const app = await startApp({
      db,
      limits: { loginFailuresPer15Min: 15 },
      hasher: createPasswordHasher({
        ...TEST_ARGON2,
        argon2: {
          hash: (password, options) => argon2Hash(password, options),
          verify: (phc, password) => {
            verifications += 1;
            return argon2Verify(phc, password);
          },
        },
      }),
    });
    try {
      const created = await createTenant(app);
      await tenantAction(app, created.tenant.slug, 'approve');
      await app.deps.hasher.warmUp();
      verifications = 0;
      const wrong = Array.from({ length: 39 }, (_, i) =>
        app.request('/v1/auth/login', {
          method: 'POST',
          json: { uuid: created.uuid, password: `wrong-guess-${i}` },
        }),
      );
      await firstMatching(wrong, (res) => res.status === 429);
      const right = await app.request('/v1/auth/login', {
        method: 'POST',
        json: { uuid: created.uuid, password: created.initialPassword },
      });
      const statuses = (await Promise.all(wrong)).map((res) => res.status);
      expect(verifications).toBeLessThanOrEqual(15);
      expect(statuses.filter((s) => s === 401)).toHaveLength(verifications);
      expect(statuses.filter((s) => s === 429)).toHaveLength(39 - verifications);
      expect(right.status).toBe(429);
      expect(right.headers.get('retry-after')).not.toBeNull();
      expect(await body<TcsError>(right)).toEqual({
        statusCode: 429,
        message: 'Too many requests, please try again later',
        error: 'Too Many Requests',
      });
    } finally {
      await app.close();
    }
  });

  it('gives back the reservation of a successful login, so successes never use up the budget', async () => {
    const app = await startApp({ db, limits: { loginFailuresPer15Min: 2 } });
    try {
      const created = await createTenant(app);
      await tenantAction(app, created.tenant.slug, 'approve');
      const ok = { uuid: created.uuid, password: created.initialPassword };
      for (let i = 0; i < 5; i += 1) {
        const res = await app.request('/v1/auth/login', { method: 'POST', json: ok });
        expect(res.status).toBe(200);
        issuedSecrets.add((await body<{ access_token: string }>(res)).access_token);
      }
      for (let i = 0; i < 2; i += 1) {
        expect(
          (await app.request('/v1/auth/login', { method: 'POST', json: { ...ok, password: 'nope-nope' } }))
            .status,
        ).toBe(401);
      }
      expect((await app.request('/v1/auth/login', { method: 'POST', json: ok })).status).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('never compares the right admin token sent among 40 concurrent attempts once 15 wrong ones hold the budget', async () => {
    // A limiter whose answers arrive 50 ms late, like a distant Redis: counting after the check
    // would let every one of these requests through its check (and the right one in).
    const app = await startApp({
      db,
      limits: { adminAuthPer15Min: 15 },
      instrument: (deps) => {
        deps.limiters = delayedLimiters(deps.limiters, 50);
      },
    });
    try {
      const attempts = Array.from({ length: 40 }, (_, i) =>
        i === 39
          ? app.admin('/admin/tenants')
          : app.request('/admin/tenants', {
              headers: { authorization: `Bearer wrong-admin-token-${i}-0123456789` },
            }),
      );
      const statuses = (await Promise.all(attempts)).map((res) => res.status);
      expect(statuses.slice(0, 39).filter((s) => s === 401)).toHaveLength(15);
      expect(statuses[39]).toBe(429);
    } finally {
      await app.close();
    }
  });
});

describe('Cache-Control on answers that carry a secret (SPEC §8)', () => {
  it('sends no-store with a new tenant, a rotated API key and a login', async () => {
    const app = await startApp({ db });
    try {
      const created = await app.admin('/admin/tenants', {
        method: 'POST',
        json: {
          slug: `cache-${process.pid}`,
          organizationName: 'Cache Co',
          ownerEmail: 'owner@example.com',
          signingProfile: 'eddsa_did',
        },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const tenant = await body<{
        tenant: { slug: string };
        uuid: string;
        initialPassword: string;
        apiKey: string;
      }>(created);
      issuedSecrets.add(tenant.apiKey).add(tenant.initialPassword);
      await tenantAction(app, tenant.tenant.slug, 'approve');
      const rotated = await app.admin(`/admin/tenants/${tenant.tenant.slug}/api-key/rotate`, {
        method: 'POST',
      });
      expect(rotated.status).toBe(200);
      expect(rotated.headers.get('cache-control')).toBe('no-store');
      issuedSecrets.add((await body<{ apiKey: string }>(rotated)).apiKey);
      const login = await app.request('/v1/auth/login', {
        method: 'POST',
        json: { uuid: tenant.uuid, password: tenant.initialPassword },
      });
      expect(login.status).toBe(200);
      expect(login.headers.get('cache-control')).toBe('no-store');
      issuedSecrets.add((await body<{ access_token: string }>(login)).access_token);
      expect((await app.request('/.well-known/jwks.json')).headers.get('cache-control')).toBe(
        'public, max-age=300',
      );
    } finally {
      await app.close();
    }
  });
});
