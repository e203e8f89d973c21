import { createHash } from 'node:crypto';
import type { Database } from '@portcullis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  body,
  createTenant,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
  type TenantView,
  tenantAction,
  uniqueSlug,
} from './harness.js';

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

const validTenant = () => ({
  slug: uniqueSlug('org'),
  organizationName: 'Org',
  ownerEmail: 'a@b.example',
  signingProfile: 'es256_x509',
});

describe('operator authentication', () => {
  it('refuses a request without the admin token with 401 "Bearer token is required"', async () => {
    const res = await app.request('/admin/tenants');
    expect(res.status).toBe(401);
    expect(await body<TcsError>(res)).toEqual({
      statusCode: 401,
      message: 'Bearer token is required',
      error: 'Unauthorized',
    });
  });

  it('refuses a wrong admin token and another scheme with 401 "Invalid or expired token"', async () => {
    for (const authorization of ['Bearer not-the-token-at-all', 'Basic abc', 'Bearer a b']) {
      const res = await app.request('/admin/tenants', { headers: { authorization } });
      expect(res.status).toBe(401);
      expect((await body<TcsError>(res)).message).toBe('Invalid or expired token');
    }
  });

  it('limits failed operator authentications per address to 15 in 15 minutes', async () => {
    const limited = await startApp({ db, limits: { adminAuthPer15Min: 15 } });
    try {
      for (let i = 0; i < 15; i++) {
        const res = await limited.request('/admin/tenants', { headers: { authorization: 'Bearer wrong' } });
        expect(res.status).toBe(401);
      }
      const refused = await limited.admin('/admin/tenants');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await body<TcsError>(refused)).error).toBe('Too Many Requests');
    } finally {
      await limited.close();
    }
  });
});

describe('POST /admin/tenants', () => {
  it('creates a pending tenant and shows uuid, initial password and API key once', async () => {
    const slug = uniqueSlug('acme');
    const res = await app.admin('/admin/tenants', {
      method: 'POST',
      json: { slug, organizationName: 'Acme', ownerEmail: 'Owner@Acme.example', signingProfile: 'eddsa_did' },
    });
    expect(res.status).toBe(201);
    const created = await body<{ tenant: TenantView; uuid: string; initialPassword: string; apiKey: string }>(
      res,
    );
    expect(Object.keys(created).sort()).toEqual(['apiKey', 'initialPassword', 'tenant', 'uuid']);
    expect(created.tenant).toMatchObject({
      slug,
      organizationName: 'Acme',
      signingProfile: 'eddsa_did',
      environment: 'production',
      status: 'pending',
      approvedAt: null,
    });
    expect(created.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.initialPassword.length).toBeGreaterThanOrEqual(12);
    expect(created.apiKey).toMatch(/^tcs_production_[0-9a-f]{48}$/);

    // Shown once: no read gives a secret back.
    const read = await (await app.admin(`/admin/tenants/${slug}`)).text();
    expect(read).not.toContain(created.apiKey);
    expect(read).not.toContain(created.initialPassword);
  });

  it('stores the API key as its SHA-256 and the password as an argon2id PHC string, never in clear', async () => {
    const created = await createTenant(app);
    const digest = createHash('sha256').update(created.apiKey).digest('hex');
    const keys = await db.query<{ key_digest: string }>(
      'SELECT k.key_digest FROM tenant_api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = $1',
      [created.tenant.slug],
    );
    expect(keys.rows).toEqual([{ key_digest: digest }]);
    const account = await db.query<{ password_hash: string }>(
      'SELECT password_hash FROM accounts WHERE uuid = $1',
      [created.uuid],
    );
    expect(account.rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    const dump = JSON.stringify(
      (
        await db.query(
          'SELECT * FROM tenants t JOIN accounts a ON a.tenant_id = t.id JOIN tenant_api_keys k ON k.tenant_id = t.id',
        )
      ).rows,
    );
    expect(dump).not.toContain(created.apiKey);
    expect(dump).not.toContain(created.initialPassword);
  });

  it('issues a sandbox key for a sandbox tenant', async () => {
    const created = await createTenant(app, { environment: 'sandbox' });
    expect(created.apiKey).toMatch(/^tcs_sandbox_[0-9a-f]{48}$/);
    expect(created.tenant.environment).toBe('sandbox');
  });

  it('answers 409 for a slug that exists', async () => {
    const input = validTenant();
    expect((await app.admin('/admin/tenants', { method: 'POST', json: input })).status).toBe(201);
    const again = await app.admin('/admin/tenants', { method: 'POST', json: input });
    expect(again.status).toBe(409);
    expect(await body<TcsError>(again)).toEqual({
      statusCode: 409,
      message: 'Tenant slug already exists',
      error: 'Conflict',
    });
  });

  it('creates exactly one tenant when the same slug is submitted concurrently', async () => {
    const input = validTenant();
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => app.admin('/admin/tenants', { method: 'POST', json: input })),
    ).then((all) => all.map((res) => res.status));
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
  });

  it.each([
    ['slug', { slug: 'ab' }, 'slug: must be 3 to 32 characters from [a-z0-9-]'],
    ['slug', { slug: 'Upper-Case' }, 'slug: must be 3 to 32 characters from [a-z0-9-]'],
    ['slug', { slug: 'a'.repeat(33) }, 'slug: must be 3 to 32 characters from [a-z0-9-]'],
    ['signingProfile', { signingProfile: 'rsa' }, 'signingProfile: must be eddsa_did or es256_x509'],
    ['environment', { environment: 'staging' }, 'environment: must be production or sandbox'],
    ['ownerEmail', { ownerEmail: 'not-an-email' }, 'ownerEmail: must be an email address'],
    [
      'organizationName',
      { organizationName: '' },
      'organizationName: must be a string of 1 to 200 characters',
    ],
  ])('answers 400 naming %s when it is invalid', async (_field, override, message) => {
    const res = await app.admin('/admin/tenants', {
      method: 'POST',
      json: { ...validTenant(), ...override },
    });
    expect(res.status).toBe(400);
    expect(await body<TcsError>(res)).toEqual({ statusCode: 400, message, error: 'Bad Request' });
  });

  it('answers 400 for an unknown field, a missing body and a non-JSON body', async () => {
    const unknown = await app.admin('/admin/tenants', {
      method: 'POST',
      json: { ...validTenant(), plan: 'gold' },
    });
    expect(unknown.status).toBe(400);
    expect((await body<TcsError>(unknown)).message).toContain('plan');
    const missing = await app.admin('/admin/tenants', { method: 'POST' });
    expect(missing.status).toBe(400);
    const text = await app.admin('/admin/tenants', {
      method: 'POST',
      body: 'slug=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(text.status).toBe(400);
    expect((await body<TcsError>(text)).message).toBe('Content-Type must be application/json');
  });

  it('answers 413 for a body over 1 MB', async () => {
    const res = await app.admin('/admin/tenants', {
      method: 'POST',
      json: { ...validTenant(), organizationName: 'x'.repeat(1_100_000) },
    });
    expect(res.status).toBe(413);
    expect((await body<TcsError>(res)).statusCode).toBe(413);
  });
});

describe('tenant reads', () => {
  it('lists tenants and reads one by slug', async () => {
    const created = await createTenant(app);
    const list = await body<{ tenants: TenantView[] }>(await app.admin('/admin/tenants'));
    expect(list.tenants.map((t) => t.slug)).toContain(created.tenant.slug);
    const one = await body<{ tenant: TenantView }>(await app.admin(`/admin/tenants/${created.tenant.slug}`));
    expect(one.tenant).toEqual(created.tenant);
  });

  it('answers 404 for an unknown or impossible slug', async () => {
    for (const slug of ['no-such-tenant', 'UPPER', '%00']) {
      const res = await app.admin(`/admin/tenants/${slug}`);
      expect(res.status).toBe(404);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 404,
        message: 'Tenant not found',
        error: 'Not Found',
      });
    }
  });
});

describe('tenant lifecycle: pending → approved ⇄ suspended', () => {
  it('approves a pending tenant and creates its first DID of the profile', async () => {
    const eddsa = await createTenant(app, { signingProfile: 'eddsa_did' });
    const es256 = await createTenant(app, { signingProfile: 'es256_x509' });
    for (const [created, prefix, algorithm] of [
      [eddsa, 'did:key:z6Mk', 'EdDSA'],
      [es256, 'did:key:zDn', 'ES256'],
    ] as const) {
      const tenant = await tenantAction(app, created.tenant.slug, 'approve');
      expect(tenant.status).toBe('approved');
      expect(tenant.approvedAt).not.toBeNull();
      const dids = await db.query<{ did: string; algorithm: string; issuing: boolean }>(
        'SELECT d.did, d.algorithm, d.issuing FROM dids d WHERE d.tenant_id = $1',
        [tenant.id],
      );
      expect(dids.rows).toHaveLength(1);
      expect(dids.rows[0]?.did.startsWith(prefix)).toBe(true);
      expect(dids.rows[0]).toMatchObject({ algorithm, issuing: true });
    }
  });

  it('keeps approve idempotent and does not add a second DID', async () => {
    const created = await createTenant(app);
    const first = await tenantAction(app, created.tenant.slug, 'approve');
    const second = await tenantAction(app, created.tenant.slug, 'approve');
    expect(second).toEqual(first);
    const dids = await db.query('SELECT 1 FROM dids WHERE tenant_id = $1', [first.id]);
    expect(dids.rows).toHaveLength(1);
  });

  it('suspends an approved tenant and approves it again', async () => {
    const created = await createTenant(app);
    await tenantAction(app, created.tenant.slug, 'approve');
    const suspended = await tenantAction(app, created.tenant.slug, 'suspend');
    expect(suspended.status).toBe('suspended');
    expect(suspended.suspendedAt).not.toBeNull();
    const again = await tenantAction(app, created.tenant.slug, 'approve');
    expect(again.status).toBe('approved');
    expect(again.suspendedAt).toBeNull();
  });

  it('refuses to suspend a pending tenant with 409', async () => {
    const created = await createTenant(app);
    const res = await app.admin(`/admin/tenants/${created.tenant.slug}/suspend`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect((await body<TcsError>(res)).message).toBe(
      'Tenant is pending; only an approved tenant can be suspended',
    );
  });

  it('answers 404 for actions on an unknown tenant', async () => {
    for (const action of ['approve', 'suspend', 'api-key/rotate']) {
      expect((await app.admin(`/admin/tenants/nobody-here/${action}`, { method: 'POST' })).status).toBe(404);
    }
  });
});

describe('POST /admin/tenants/:slug/api-key/rotate', () => {
  it('returns a new key once and the old key stops working at once', async () => {
    const created = await createTenant(app);
    await tenantAction(app, created.tenant.slug, 'approve');
    const key = (k: string) => app.request('/v1/tenant', { headers: { 'x-api-key': k } });
    expect((await key(created.apiKey)).status).toBe(200); // warm in the cache

    const res = await app.admin(`/admin/tenants/${created.tenant.slug}/api-key/rotate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const rotated = await body<{ tenant: TenantView; apiKey: string }>(res);
    expect(rotated.apiKey).toMatch(/^tcs_production_[0-9a-f]{48}$/);
    expect(rotated.apiKey).not.toBe(created.apiKey);

    expect((await key(created.apiKey)).status).toBe(401);
    expect((await key(rotated.apiKey)).status).toBe(200);
  });

  it('leaves exactly one live key after concurrent rotations', async () => {
    const created = await createTenant(app);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        app.admin(`/admin/tenants/${created.tenant.slug}/api-key/rotate`, { method: 'POST' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    const live = await db.query(
      'SELECT 1 FROM tenant_api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = $1 AND k.revoked_at IS NULL',
      [created.tenant.slug],
    );
    expect(live.rows).toHaveLength(1);
  });
});
