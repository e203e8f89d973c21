// Developer accounts, their keys and the management token, over HTTP.
import type { Database } from '@portcullis/db';
import { createFakeClock } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  body,
  type CreatedKey,
  type ErrorBody,
  type KeyListing,
  type ManagementTokenRotated,
  pgliteDatabase,
  type Registered,
  type RotatedKey,
  type RunningApp,
  register,
  startApp,
} from './harness.js';

const clock = createFakeClock(Date.UTC(2026, 5, 1, 23, 59, 0));
let db: Database;
let app: RunningApp;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db, now: clock.now });
});
afterAll(async () => {
  await app.close();
  await db.close();
});

const DATA = '/api/mica/v1/health';
const withKey = (key: string, path = DATA) => app.request(path, { headers: { 'x-api-key': key } });
async function expectError(res: Response, status: number, code: string): Promise<ErrorBody> {
  const parsed = await body<ErrorBody>(res);
  expect(res.status).toBe(status);
  expect(parsed).toMatchObject({ success: false, data: null, error: { code } });
  return parsed;
}
const registered = (): Promise<Registered> => register(app);
async function listKeys(token: string): Promise<KeyListing> {
  return body<KeyListing>(await app.request('/api/mica/developer/keys', { headers: bearer(token) }));
}
async function createKey(token: string, json?: unknown): Promise<Response> {
  return app.request('/api/mica/developer/keys', {
    method: 'POST',
    headers: bearer(token),
    ...(json === undefined ? {} : { json }),
  });
}

describe('register (SPEC §5.2)', () => {
  it('creates a developer and shows the key and the management token once', async () => {
    const res = await app.request('/api/mica/developer/register', {
      method: 'POST',
      json: { name: 'Ada Lovelace', email: 'Ada@Example.com' },
    });
    expect(res.status).toBe(201);
    const dev = await body<Registered>(res);
    expect(dev).toEqual({
      success: true,
      message: expect.any(String),
      developer: {
        id: expect.stringMatching(/^dev_[0-9a-f]{24}$/),
        email: 'Ada@Example.com',
        name: 'Ada Lovelace',
      },
      apiKey: expect.stringMatching(/^trusset_mica_[0-9a-f]{48}$/),
      managementToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      limits: { perMinute: 60, perDay: 5000, maxKeys: 3 },
    });
    const listing = await listKeys(dev.managementToken);
    expect(JSON.stringify(listing)).not.toContain(dev.apiKey);
    expect(listing.keys).toEqual([
      {
        id: expect.stringMatching(/^mkey_/),
        keyPrefix: dev.apiKey.slice(0, 22),
        keyHint: dev.apiKey.slice(-4),
        name: 'default',
        createdAt: new Date(clock.now()).toISOString(),
        lastUsedAt: null,
        revokedAt: null,
        requestCount: 0,
        isActive: true,
      },
    ]);
    const stored = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM developers WHERE management_token_digest = $1 OR email = $1',
      [dev.managementToken],
    );
    expect(stored.rows[0]?.n).toBe(0);
  });

  it('refuses an existing email, compared case-insensitively, with 409 EMAIL_EXISTS', async () => {
    const json = { name: 'Grace Hopper', email: 'grace@example.com' };
    expect((await app.request('/api/mica/developer/register', { method: 'POST', json })).status).toBe(201);
    const again = await app.request('/api/mica/developer/register', {
      method: 'POST',
      json: { ...json, email: 'GRACE@example.COM' },
    });
    await expectError(again, 409, 'EMAIL_EXISTS');
  });

  it.each([
    ['a short name', { name: 'A', email: 'a@example.com' }, 'name'],
    ['a missing email', { name: 'Alan' }, 'email'],
    ['a malformed email', { name: 'Alan', email: 'not-an-email' }, 'email'],
    ['an unknown field', { name: 'Alan', email: 'alan@example.com', admin: true }, 'body'],
  ])('refuses %s with VALIDATION_ERROR naming the field', async (_, json, field) => {
    const res = await app.request('/api/mica/developer/register', { method: 'POST', json });
    const parsed = await expectError(res, 400, 'VALIDATION_ERROR');
    expect(parsed.error.details?.map((d) => d.field)).toContain(field);
  });

  it('limits registration to the configured number per address', async () => {
    const limited = await startApp({ db, now: clock.now, limits: { registerPer15Min: 2 } });
    try {
      const post = (i: number) =>
        limited.request('/api/mica/developer/register', {
          method: 'POST',
          json: { name: 'Rate', email: `rate${i}@example.com` },
        });
      expect((await post(1)).status).toBe(201);
      expect((await post(2)).status).toBe(201);
      const refused = await post(3);
      await expectError(refused, 429, 'RATE_LIMIT_EXCEEDED');
      expect(refused.headers.get('retry-after')).not.toBeNull();
    } finally {
      await limited.close();
    }
  });
});

describe('management token (SPEC §5.2)', () => {
  it('answers 401 UNAUTHORIZED without a token and INVALID_TOKEN with a wrong one', async () => {
    await expectError(await app.request('/api/mica/developer/keys'), 401, 'UNAUTHORIZED');
    await expectError(
      await app.request('/api/mica/developer/keys', { headers: bearer('0'.repeat(64)) }),
      401,
      'INVALID_TOKEN',
    );
    await expectError(
      await app.request('/api/mica/developer/keys', { headers: bearer('nonsense') }),
      401,
      'INVALID_TOKEN',
    );
    await expectError(
      await app.request('/api/mica/developer/keys', { headers: { authorization: 'Basic x' } }),
      401,
      'INVALID_TOKEN',
    );
  });

  it('rotates the management token: the old one stops working at once', async () => {
    const dev = await registered();
    const res = await app.request('/api/mica/developer/management-token/rotate', {
      method: 'POST',
      headers: bearer(dev.managementToken),
    });
    const rotated = await body<ManagementTokenRotated>(res);
    expect(res.status).toBe(200);
    expect(rotated.managementToken).toMatch(/^[0-9a-f]{64}$/);
    await expectError(
      await app.request('/api/mica/developer/keys', { headers: bearer(dev.managementToken) }),
      401,
      'INVALID_TOKEN',
    );
    expect((await listKeys(rotated.managementToken)).developer.id).toBe(dev.developer.id);
  });
});

describe('keys (SPEC §5.2)', () => {
  it('creates keys named "key" by default, up to 3 active, then 409 KEY_LIMIT_REACHED', async () => {
    const dev = await registered();
    const second = await createKey(dev.managementToken);
    expect(second.status).toBe(201);
    const created = await body<CreatedKey>(second);
    expect(created).toEqual({
      success: true,
      id: expect.stringMatching(/^mkey_/),
      apiKey: expect.stringMatching(/^trusset_mica_[0-9a-f]{48}$/),
      name: 'key',
      createdAt: new Date(clock.now()).toISOString(),
    });
    expect((await createKey(dev.managementToken, { name: 'third' })).status).toBe(201);
    await expectError(await createKey(dev.managementToken, { name: 'fourth' }), 409, 'KEY_LIMIT_REACHED');
    // Revoking frees a place.
    await app.request(`/api/mica/developer/keys/${created.id}`, {
      method: 'DELETE',
      headers: bearer(dev.managementToken),
    });
    expect((await createKey(dev.managementToken, { name: 'fourth' })).status).toBe(201);
  });

  it('refuses a key name over 50 characters', async () => {
    const dev = await registered();
    const parsed = await expectError(
      await createKey(dev.managementToken, { name: 'n'.repeat(51) }),
      400,
      'VALIDATION_ERROR',
    );
    expect(parsed.error.details?.[0]?.field).toBe('name');
  });

  it('revokes a key at once, and a second revoke is 409 ALREADY_REVOKED; an unknown key is 404', async () => {
    const dev = await registered();
    const [key] = (await listKeys(dev.managementToken)).keys;
    expect((await withKey(dev.apiKey)).status).toBe(200);
    const res = await app.request(`/api/mica/developer/keys/${key?.id}`, {
      method: 'DELETE',
      headers: bearer(dev.managementToken),
    });
    expect(await body(res)).toEqual({ success: true, message: 'API key revoked successfully' });
    await expectError(await withKey(dev.apiKey), 401, 'INVALID_KEY');
    const again = await app.request(`/api/mica/developer/keys/${key?.id}`, {
      method: 'DELETE',
      headers: bearer(dev.managementToken),
    });
    await expectError(again, 409, 'ALREADY_REVOKED');
    const listing = await listKeys(dev.managementToken);
    expect(listing.keys[0]).toMatchObject({
      isActive: false,
      revokedAt: new Date(clock.now()).toISOString(),
    });
    for (const id of ['mkey_000000000000000000000000', 'garbage']) {
      await expectError(
        await app.request(`/api/mica/developer/keys/${id}`, {
          method: 'DELETE',
          headers: bearer(dev.managementToken),
        }),
        404,
        'NOT_FOUND',
      );
    }
  });

  it('does not let one developer touch another developer key', async () => {
    const a = await registered();
    const b = await registered();
    const [bKey] = (await listKeys(b.managementToken)).keys;
    await expectError(
      await app.request(`/api/mica/developer/keys/${bKey?.id}`, {
        method: 'DELETE',
        headers: bearer(a.managementToken),
      }),
      404,
      'NOT_FOUND',
    );
    await expectError(
      await app.request(`/api/mica/developer/keys/${bKey?.id}/rotate`, {
        method: 'POST',
        headers: bearer(a.managementToken),
      }),
      404,
      'NOT_FOUND',
    );
    expect((await withKey(b.apiKey)).status).toBe(200);
  });

  it('rotates a key: the new key works and the old one is refused at once', async () => {
    const dev = await registered();
    const [key] = (await listKeys(dev.managementToken)).keys;
    const res = await app.request(`/api/mica/developer/keys/${key?.id}/rotate`, {
      method: 'POST',
      headers: bearer(dev.managementToken),
    });
    const rotated = await body<RotatedKey>(res);
    expect(res.status).toBe(201);
    expect(rotated).toMatchObject({ name: 'default', replacedKeyId: key?.id });
    await expectError(await withKey(dev.apiKey), 401, 'INVALID_KEY');
    expect((await withKey(rotated.apiKey)).status).toBe(200);
    const again = await app.request(`/api/mica/developer/keys/${key?.id}/rotate`, {
      method: 'POST',
      headers: bearer(dev.managementToken),
    });
    await expectError(again, 409, 'ALREADY_REVOKED');
  });

  it('counts requests and records last use without a database write per request', async () => {
    const dev = await registered();
    for (let i = 0; i < 3; i += 1) expect((await withKey(dev.apiKey)).status).toBe(200);
    const stored = await db.query<{ request_count: string; last_used_at: Date | null }>(
      'SELECT request_count, last_used_at FROM developer_keys WHERE developer_id = $1',
      [dev.developer.id],
    );
    expect(stored.rows[0]).toEqual({ request_count: '0', last_used_at: null });
    expect((await listKeys(dev.managementToken)).keys[0]).toMatchObject({
      requestCount: 3,
      lastUsedAt: new Date(clock.now()).toISOString(),
    });
    await app.deps.usage.flush();
    const flushed = await db.query<{ request_count: string }>(
      'SELECT request_count FROM developer_keys WHERE developer_id = $1',
      [dev.developer.id],
    );
    expect(flushed.rows[0]?.request_count).toBe('3');
    expect((await listKeys(dev.managementToken)).keys[0]?.requestCount).toBe(3);
  });
});
