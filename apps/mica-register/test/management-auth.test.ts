// SPEC §5.2 and §8: failed management-token authentications are limited per address, each attempt
// reserved before the token is looked up; and every answer that carries a new key or token is
// never cached.
import { randomBytes } from 'node:crypto';
import type { Database } from '@portcullis/db';
import { firstMatching } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  body,
  type CreatedKey,
  type ErrorBody,
  pgliteDatabase,
  register,
  startApp,
} from './harness.js';

let db: Database;
beforeAll(async () => {
  db = await pgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

const wrongToken = () => randomBytes(32).toString('hex');

describe('failed management-token authentications (SPEC §5.2)', () => {
  it('gives 40 concurrent wrong tokens at most 15 lookups, then 429 for the right token too', async () => {
    const app = await startApp({ db, limits: { managementAuthPer15Min: 15 } });
    try {
      const developer = await register(app);
      const wrong = Array.from({ length: 39 }, () =>
        app.request('/api/mica/developer/keys', { headers: bearer(wrongToken()) }),
      );
      // "Last": sent once a refusal shows the budget is spent, while other attempts may be in flight.
      await firstMatching(wrong, (r) => r.status === 429);
      const right = await app.request('/api/mica/developer/keys', {
        headers: bearer(developer.managementToken),
      });
      const answers = await Promise.all(wrong);
      const codes = await Promise.all(answers.map(async (r) => (await body<ErrorBody>(r)).error.code));
      expect(codes.filter((c) => c === 'INVALID_TOKEN')).toHaveLength(15);
      expect(codes.filter((c) => c === 'RATE_LIMIT_EXCEEDED')).toHaveLength(24);
      expect(right.status).toBe(429);
      expect(right.headers.get('retry-after')).not.toBeNull();
      expect((await body<ErrorBody>(right)).error.code).toBe('RATE_LIMIT_EXCEEDED');
    } finally {
      await app.close();
    }
  });

  it('does not count a right token, nor a request of another address, against an address', async () => {
    const app = await startApp({ db, limits: { managementAuthPer15Min: 2 } });
    try {
      const developer = await register(app);
      for (let i = 0; i < 5; i += 1) {
        expect(
          (await app.request('/api/mica/developer/keys', { headers: bearer(developer.managementToken) }))
            .status,
        ).toBe(200);
      }
      expect((await app.request('/api/mica/developer/keys', { headers: bearer(wrongToken()) })).status).toBe(
        401,
      );
      expect((await app.request('/api/mica/developer/keys')).status).toBe(401);
      expect(
        (await app.request('/api/mica/developer/keys', { headers: bearer(developer.managementToken) }))
          .status,
      ).toBe(429);
    } finally {
      await app.close();
    }
  });
});

describe('Cache-Control on answers that carry a secret (SPEC §8)', () => {
  it('sends no-store with registration, a new key, a rotated key and a rotated management token', async () => {
    const app = await startApp({ db });
    try {
      const registered = await app.request('/api/mica/developer/register', {
        method: 'POST',
        json: { name: 'Cache Tester', email: `cache.${process.pid}@example.com` },
      });
      expect(registered.status).toBe(201);
      expect(registered.headers.get('cache-control')).toBe('no-store');
      const { managementToken } = await body<{ managementToken: string }>(registered);
      const created = await app.request('/api/mica/developer/keys', {
        method: 'POST',
        headers: bearer(managementToken),
        json: { name: 'second' },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const { id } = await body<CreatedKey>(created);
      const rotated = await app.request(`/api/mica/developer/keys/${id}/rotate`, {
        method: 'POST',
        headers: bearer(managementToken),
      });
      expect(rotated.status).toBe(201);
      expect(rotated.headers.get('cache-control')).toBe('no-store');
      const token = await app.request('/api/mica/developer/management-token/rotate', {
        method: 'POST',
        headers: bearer(managementToken),
      });
      expect(token.status).toBe(200);
      expect(token.headers.get('cache-control')).toBe('no-store');
      // The data routes keep their published cache policy.
      const developer = await register(app);
      const statistics = await app.request('/api/mica/v1/statistics', {
        headers: { 'x-api-key': developer.apiKey },
      });
      expect(statistics.status).toBe(200);
      expect(statistics.headers.get('cache-control')).toBe('public, max-age=600');
    } finally {
      await app.close();
    }
  });
});
