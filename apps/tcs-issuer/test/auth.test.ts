import type { Database } from '@portcullis/db';
import { type Argon2Backend, createPasswordHasher, parsePasswordHash } from '@portcullis/hashing';
import { createFakeClock } from '@portcullis/testing';
import { hash as argon2Hash, verify as argon2Verify } from 'argon2';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvedTenant,
  body,
  createTenant,
  issuedSecrets,
  login,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
  TEST_ARGON2,
  type TokenResponse,
  tenantAction,
} from './harness.js';

const PUBLIC_URL = 'https://tcs.example.test';
const INVALID = { statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' };
const NOT_APPROVED = { statusCode: 403, message: 'Account is not approved', error: 'Forbidden' };

let db: Database;
let app: RunningApp;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const postLogin = (target: RunningApp, json: unknown, headers: Record<string, string> = {}) =>
  target.request('/v1/auth/login', { method: 'POST', json, headers });

describe('POST /v1/auth/login', () => {
  it('gives an approved tenant a 15-minute ES256 access token whose kid is in the JWKS', async () => {
    const created = await createTenant(app);
    const tenant = await tenantAction(app, created.tenant.slug, 'approve');
    const res = await postLogin(app, { uuid: created.uuid, password: created.initialPassword });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const token = await body<TokenResponse>(res);
    issuedSecrets.add(token.access_token);
    expect(token.token_type).toBe('Bearer');
    expect(token.expires_in).toBe(900);

    const jwks = await body<{ keys: Array<Record<string, string>> }>(
      await app.request('/.well-known/jwks.json'),
    );
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    const header = decodeProtectedHeader(token.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);

    // An independent check with jose's JWKS resolver, as a relying party would do it.
    const { payload } = await jwtVerify(token.access_token, createLocalJWKSet(jwks as never), {
      issuer: PUBLIC_URL,
      audience: `${PUBLIC_URL}/v1`,
    });
    expect(payload.sub).toBe(created.uuid);
    expect(payload.tenant).toBe(tenant.id);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
  });

  it('answers a wrong password, an unknown uuid and a non-uuid with the same 401 body', async () => {
    const created = await createTenant(app);
    await tenantAction(app, created.tenant.slug, 'approve');
    const answers = await Promise.all(
      [
        { uuid: created.uuid, password: 'wrong-password-123' },
        { uuid: '00000000-0000-4000-8000-000000000000', password: created.initialPassword },
        { uuid: 'not-a-uuid', password: created.initialPassword },
      ].map(async (json) => {
        const res = await postLogin(app, json);
        return { status: res.status, body: await res.text() };
      }),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toEqual(INVALID);
    }
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
  });

  it('answers 403 "Account is not approved" for the right password of a pending or suspended tenant', async () => {
    const pending = await createTenant(app);
    const res = await postLogin(app, { uuid: pending.uuid, password: pending.initialPassword });
    expect(res.status).toBe(403);
    expect(await body<TcsError>(res)).toEqual(NOT_APPROVED);

    const suspended = await createTenant(app);
    await tenantAction(app, suspended.tenant.slug, 'approve');
    await tenantAction(app, suspended.tenant.slug, 'suspend');
    const again = await postLogin(app, { uuid: suspended.uuid, password: suspended.initialPassword });
    expect(again.status).toBe(403);
    expect(await body<TcsError>(again)).toEqual(NOT_APPROVED);
  });

  it('answers 401, not 403, for a wrong password of a pending tenant (no status oracle)', async () => {
    const pending = await createTenant(app);
    const res = await postLogin(app, { uuid: pending.uuid, password: 'definitely-wrong-1' });
    expect(res.status).toBe(401);
    expect(await body<TcsError>(res)).toEqual(INVALID);
  });

  it('answers 400 naming the field for a body of the wrong shape', async () => {
    const cases: Array<[unknown, string]> = [
      [{ uuid: 1, password: 'x' }, 'uuid: must be a string'],
      [{ uuid: 'x' }, 'password: must be a string'],
      [{ uuid: 'x', password: 'y', extra: true }, 'extra'],
    ];
    for (const [json, fragment] of cases) {
      const res = await postLogin(app, json);
      expect(res.status).toBe(400);
      expect((await body<TcsError>(res)).message).toContain(fragment);
    }
  });

  it('spends one argon2 verify for an unknown uuid (against the dummy hash) and for a wrong password', async () => {
    const verifyCalls: string[] = [];
    const observed: Argon2Backend = {
      hash: (password, options) => argon2Hash(password, options),
      verify: (phc, password) => {
        verifyCalls.push(phc);
        return argon2Verify(phc, password);
      },
    };
    const watched = await startApp({
      db,
      hasher: createPasswordHasher({ ...TEST_ARGON2, argon2: observed }),
    });
    try {
      const created = await createTenant(watched);
      await tenantAction(watched, created.tenant.slug, 'approve');
      const stored = (
        await db.query<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE uuid = $1', [
          created.uuid,
        ])
      ).rows[0]?.password_hash;
      await watched.deps.hasher.warmUp();

      verifyCalls.length = 0;
      expect((await postLogin(watched, { uuid: created.uuid, password: 'wrong-password-1' })).status).toBe(
        401,
      );
      expect(verifyCalls).toEqual([stored]);

      verifyCalls.length = 0;
      const unknown = await postLogin(watched, {
        uuid: '11111111-1111-4111-8111-111111111111',
        password: 'wrong-password-1',
      });
      expect(unknown.status).toBe(401);
      expect(verifyCalls).toHaveLength(1);
      // The dummy is a real argon2id hash with the same parameters as a stored one.
      const dummy = parsePasswordHash(verifyCalls[0] ?? '');
      const real = parsePasswordHash(stored ?? '');
      expect(dummy.ok && real.ok).toBe(true);
      if (dummy.ok && real.ok) expect(dummy.hash).toEqual(real.hash);
      expect(verifyCalls[0]).not.toBe(stored);
    } finally {
      await watched.close();
    }
  });

  it('rehashes the password on the next successful login when the argon2 parameters changed', async () => {
    const created = await createTenant(app); // hashed with TEST_ARGON2 (m=1024)
    await tenantAction(app, created.tenant.slug, 'approve');
    const stronger = await startApp({ db, argon2: { ...TEST_ARGON2, memoryCostKiB: 2048 } });
    try {
      const read = async () =>
        (
          await db.query<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE uuid = $1', [
            created.uuid,
          ])
        ).rows[0]?.password_hash ?? '';
      expect(await read()).toContain('m=1024,');
      await login(stronger, created.uuid, created.initialPassword);
      expect(await read()).toContain('m=2048,');
      // Same password still works, on both parameter sets' apps.
      await login(stronger, created.uuid, created.initialPassword);
      await login(app, created.uuid, created.initialPassword);
    } finally {
      await stronger.close();
    }
  });
});

describe('login flood shedding', () => {
  it('answers 503 with Retry-After when password hashing is saturated, and recovers', async () => {
    // Verifications wait for the test to release them, so however slowly the six requests
    // arrive, two hold the hasher (one running, one queued) while the other four come in.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let blocking = false;
    const slow: Argon2Backend = {
      hash: (password, options) => argon2Hash(password, options),
      verify: async (phc, password) => {
        if (blocking) await released;
        return argon2Verify(phc, password);
      },
    };
    const busy = await startApp({
      db,
      hasher: createPasswordHasher({ ...TEST_ARGON2, argon2: slow, maxConcurrent: 1, maxQueued: 1 }),
    });
    try {
      const created = await createTenant(busy);
      await tenantAction(busy, created.tenant.slug, 'approve');
      const json = { uuid: created.uuid, password: created.initialPassword };
      blocking = true;
      const pending = Array.from({ length: 6 }, () => postLogin(busy, json));
      // The four shed answers come back while the two admitted verifications are held.
      let answered = 0;
      await new Promise<void>((resolve) => {
        for (const p of pending) {
          void p.then(() => {
            answered += 1;
            if (answered === 4) resolve();
          });
        }
      });
      release();
      const answers = await Promise.all(pending);
      const statuses = answers.map((res) => res.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(2);
      const shed = answers.filter((res) => res.status === 503);
      expect(shed).toHaveLength(4);
      for (const res of shed) {
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await body<TcsError>(res)).toEqual({
          statusCode: 503,
          message: 'Service temporarily unavailable',
          error: 'Service Unavailable',
        });
      }
      for (const res of answers.filter((r) => r.status === 200))
        issuedSecrets.add((await body<TokenResponse>(res)).access_token);
      blocking = false;
      await login(busy, created.uuid, created.initialPassword);
    } finally {
      release();
      await busy.close();
    }
  });
});

describe('login limits: 15 failures per 15 minutes per address and per uuid', () => {
  it('refuses the 16th failed login from one address with 429 and Retry-After, even with the right password', async () => {
    const limited = await startApp({ db, limits: { loginFailuresPer15Min: 15 } });
    try {
      const created = await createTenant(limited);
      await tenantAction(limited, created.tenant.slug, 'approve');
      for (let i = 0; i < 15; i++) {
        const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        expect((await postLogin(limited, { uuid, password: 'wrong-password-1' })).status).toBe(401);
      }
      const refused = await postLogin(limited, { uuid: created.uuid, password: created.initialPassword });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await body<TcsError>(refused)).toEqual({
        statusCode: 429,
        message: 'Too many requests, please try again later',
        error: 'Too Many Requests',
      });
    } finally {
      await limited.close();
    }
  });

  it('limits guesses against one uuid from many addresses', async () => {
    const limited = await startApp({ db, limits: { loginFailuresPer15Min: 15 }, trustProxy: true });
    try {
      const created = await createTenant(limited);
      await tenantAction(limited, created.tenant.slug, 'approve');
      for (let i = 0; i < 15; i++) {
        const res = await postLogin(
          limited,
          { uuid: created.uuid, password: `wrong-password-${i}` },
          { 'x-forwarded-for': `198.51.100.${i + 1}` },
        );
        expect(res.status).toBe(401);
      }
      const refused = await postLogin(
        limited,
        { uuid: created.uuid.toUpperCase(), password: created.initialPassword },
        { 'x-forwarded-for': '203.0.113.200' },
      );
      expect(refused.status).toBe(429);
      // Another account from a fresh address is unaffected.
      const other = await createTenant(limited);
      await tenantAction(limited, other.tenant.slug, 'approve');
      const fine = await postLogin(
        limited,
        { uuid: other.uuid, password: other.initialPassword },
        { 'x-forwarded-for': '203.0.113.201' },
      );
      expect(fine.status).toBe(200);
      issuedSecrets.add((await body<TokenResponse>(fine)).access_token);
    } finally {
      await limited.close();
    }
  });

  it('does not count successful logins or refusals of unapproved tenants', async () => {
    const limited = await startApp({ db, limits: { loginFailuresPer15Min: 2 } });
    try {
      const approved = await createTenant(limited);
      await tenantAction(limited, approved.tenant.slug, 'approve');
      const pending = await createTenant(limited);
      for (let i = 0; i < 4; i++) {
        await login(limited, approved.uuid, approved.initialPassword);
        expect(
          (await postLogin(limited, { uuid: pending.uuid, password: pending.initialPassword })).status,
        ).toBe(403);
      }
    } finally {
      await limited.close();
    }
  });
});

describe('access tokens on tenant routes', () => {
  it('accepts a fresh token and refuses it after 15 minutes', async () => {
    const clock = createFakeClock(Date.UTC(2026, 5, 1));
    const timed = await startApp({ db, now: clock.now });
    try {
      const tenant = await approvedTenant(timed);
      const list = () => timed.request('/v1/did', { headers: { authorization: `Bearer ${tenant.token}` } });
      expect((await list()).status).toBe(200);
      clock.advance(899_000);
      expect((await list()).status).toBe(200);
      clock.advance(7_000); // past exp plus the 5 s tolerance
      const expired = await list();
      expect(expired.status).toBe(401);
      expect(await body<TcsError>(expired)).toEqual({
        statusCode: 401,
        message: 'Invalid or expired token',
        error: 'Unauthorized',
      });
    } finally {
      await timed.close();
    }
  });

  it('refuses a missing token, another scheme, a tampered token and a token of another issuer', async () => {
    const tenant = await approvedTenant(app);
    const [h, p, s] = tenant.token.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherDb = await pgliteDatabase();
    const foreign = await startApp({ db: otherDb });
    try {
      const foreignTenant = await approvedTenant(foreign);
      const missing = await app.request('/v1/did');
      expect(missing.status).toBe(401);
      expect((await body<TcsError>(missing)).message).toBe('Bearer token is required');
      for (const authorization of [
        `Basic ${tenant.token}`,
        `Bearer ${tampered}`,
        `Bearer ${foreignTenant.token}`,
        'Bearer x',
      ]) {
        const res = await app.request('/v1/did', { headers: { authorization } });
        expect(res.status).toBe(401);
        expect((await body<TcsError>(res)).message).toBe('Invalid or expired token');
      }
    } finally {
      await foreign.close();
      await otherDb.close();
    }
  });

  it("ends a tenant's sessions when it is suspended", async () => {
    const tenant = await approvedTenant(app);
    const list = () => app.request('/v1/did', { headers: { authorization: `Bearer ${tenant.token}` } });
    expect((await list()).status).toBe(200);
    await tenantAction(app, tenant.tenant.slug, 'suspend');
    expect((await list()).status).toBe(401);
  });
});

describe('POST /v1/auth/password', () => {
  const change = (token: string, json: unknown) =>
    app.request('/v1/auth/password', { method: 'POST', json, headers: { authorization: `Bearer ${token}` } });

  it('changes the password, ends earlier sessions and returns a fresh token', async () => {
    const tenant = await approvedTenant(app);
    const newPassword = 'a brand new passphrase';
    issuedSecrets.add(newPassword);
    const res = await change(tenant.token, { currentPassword: tenant.initialPassword, newPassword });
    expect(res.status).toBe(200);
    const changed = await body<TokenResponse & { message: string }>(res);
    issuedSecrets.add(changed.access_token);
    expect(changed).toMatchObject({ message: 'Password changed', token_type: 'Bearer', expires_in: 900 });

    const withOld = await app.request('/v1/did', { headers: { authorization: `Bearer ${tenant.token}` } });
    expect(withOld.status).toBe(401);
    const withNew = await app.request('/v1/did', {
      headers: { authorization: `Bearer ${changed.access_token}` },
    });
    expect(withNew.status).toBe(200);

    expect((await postLogin(app, { uuid: tenant.uuid, password: tenant.initialPassword })).status).toBe(401);
    await login(app, tenant.uuid, newPassword);
  });

  it('answers 401 "Invalid credentials" for a wrong current password and keeps the password', async () => {
    const tenant = await approvedTenant(app);
    const res = await change(tenant.token, {
      currentPassword: 'not-the-password',
      newPassword: 'another passphrase 1',
    });
    expect(res.status).toBe(401);
    expect(await body<TcsError>(res)).toEqual(INVALID);
    await login(app, tenant.uuid, tenant.initialPassword);
  });

  it('answers 400 naming newPassword when it is shorter than 12 characters or unchanged', async () => {
    const tenant = await approvedTenant(app);
    const short = await change(tenant.token, {
      currentPassword: tenant.initialPassword,
      newPassword: 'elevenchars',
    });
    expect(short.status).toBe(400);
    expect((await body<TcsError>(short)).message).toBe('newPassword: must be at least 12 characters');
    const same = await change(tenant.token, {
      currentPassword: tenant.initialPassword,
      newPassword: tenant.initialPassword,
    });
    expect(same.status).toBe(400);
    expect((await body<TcsError>(same)).message).toBe('newPassword: must differ from the current password');
  });

  it('counts newPassword as it is hashed (NFKC): six e + U+0301 are six characters, refused', async () => {
    const tenant = await approvedTenant(app);
    const res = await change(tenant.token, {
      currentPassword: tenant.initialPassword,
      newPassword: 'e\u0301'.repeat(6),
    });
    expect(res.status).toBe(400);
    expect((await body<TcsError>(res)).message).toBe('newPassword: must be at least 12 characters');
    await login(app, tenant.uuid, tenant.initialPassword);
  });

  it('accepts 12 characters typed in decomposed form, and logs in with either form', async () => {
    const tenant = await approvedTenant(app);
    // 12 characters once composed: 'é' × 6 as e + U+0301, then six plain letters.
    const decomposed = `${'e\u0301'.repeat(6)}abcdef`;
    issuedSecrets.add(decomposed);
    const res = await change(tenant.token, {
      currentPassword: tenant.initialPassword,
      newPassword: decomposed,
    });
    expect(res.status).toBe(200);
    issuedSecrets.add((await body<TokenResponse>(res)).access_token);
    await login(app, tenant.uuid, decomposed);
    await login(app, tenant.uuid, `${'\u00e9'.repeat(6)}abcdef`);
  });

  it('refuses a newPassword that is the current one in another Unicode form', async () => {
    const tenant = await approvedTenant(app);
    const composed = `caf\u00e9 au lait ${tenant.uuid.slice(0, 8)}`;
    issuedSecrets.add(composed);
    const first = await change(tenant.token, {
      currentPassword: tenant.initialPassword,
      newPassword: composed,
    });
    expect(first.status).toBe(200);
    const token = (await body<TokenResponse>(first)).access_token;
    issuedSecrets.add(token);
    const same = await change(token, { currentPassword: composed, newPassword: composed.normalize('NFD') });
    expect(same.status).toBe(400);
    expect((await body<TcsError>(same)).message).toBe('newPassword: must differ from the current password');
  });

  it('lets exactly one of two concurrent changes with one session win', async () => {
    const tenant = await approvedTenant(app);
    const statuses = await Promise.all(
      ['first concurrent passphrase', 'second concurrent passphrase'].map(async (newPassword) => {
        issuedSecrets.add(newPassword);
        const res = await change(tenant.token, { currentPassword: tenant.initialPassword, newPassword });
        if (res.status === 200) issuedSecrets.add((await body<TokenResponse>(res)).access_token);
        return res.status;
      }),
    );
    expect(statuses.sort()).toEqual([200, 401]);
  });

  it('requires a login token', async () => {
    const res = await app.request('/v1/auth/password', {
      method: 'POST',
      json: { currentPassword: 'x', newPassword: 'y'.repeat(12) },
    });
    expect(res.status).toBe(401);
    expect((await body<TcsError>(res)).message).toBe('Bearer token is required');
  });
});
