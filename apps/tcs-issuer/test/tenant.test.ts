// `GET /v1/tenant`: the API-key guard with the three published messages, byte for byte, and the
// key's tenant, following suspension and re-approval at once.
import type { Database } from '@portcullis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvedTenant,
  body,
  createTenant,
  issuedSecrets,
  pgliteDatabase,
  type RunningApp,
  startApp,
  tenantAction,
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

describe('GET /v1/tenant with X-API-Key (published messages, byte-exact)', () => {
  const REQUIRED = '{"statusCode":401,"message":"API Key is required","error":"Unauthorized"}';
  const INVALID = '{"statusCode":401,"message":"Invalid API Key","error":"Unauthorized"}';
  const NOT_APPROVED = '{"statusCode":403,"message":"Account is not approved","error":"Forbidden"}';

  const withKey = (apiKey?: string) =>
    app.request('/v1/tenant', apiKey === undefined ? {} : { headers: { 'x-api-key': apiKey } });

  async function expectExact(res: Response, status: number, text: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.text()).toBe(text);
  }

  it('answers 401 "API Key is required" for a missing or blank header', async () => {
    await expectExact(await withKey(), 401, REQUIRED);
    await expectExact(await withKey(''), 401, REQUIRED);
    await expectExact(await withKey('   '), 401, REQUIRED);
  });

  it('answers 401 "Invalid API Key" for an instance key, a malformed, an unknown and a rotated-away key', async () => {
    const tenant = await approvedTenant(app);
    const rotate = await app.admin(`/admin/tenants/${tenant.tenant.slug}/api-key/rotate`, { method: 'POST' });
    expect(rotate.status).toBe(200);
    const rotated = await body<{ apiKey: string }>(rotate);
    issuedSecrets.add(rotated.apiKey);

    for (const key of [
      `trusset_abcd1234_${'0123456789abcdef'.repeat(4)}`,
      'tcs_production_xyz',
      `tcs_production_${'ab'.repeat(24)}`,
      `tcs_sandbox_${'0'.repeat(48)}`,
      tenant.apiKey.toUpperCase(),
      tenant.apiKey,
    ]) {
      await expectExact(await withKey(key), 401, INVALID);
    }
    expect((await withKey(rotated.apiKey)).status).toBe(200);
  });

  it('answers 403 "Account is not approved" to a pending and a suspended tenant\'s key', async () => {
    const pending = await createTenant(app);
    await expectExact(await withKey(pending.apiKey), 403, NOT_APPROVED);
    const suspended = await approvedTenant(app);
    await tenantAction(app, suspended.tenant.slug, 'suspend');
    await expectExact(await withKey(suspended.apiKey), 403, NOT_APPROVED);
  });

  it("answers 200 with the key's tenant for an approved tenant", async () => {
    const tenant = await approvedTenant(app, { signingProfile: 'es256_x509', environment: 'sandbox' });
    const res = await withKey(tenant.apiKey);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(tenant.apiKey);
    expect(JSON.parse(text)).toEqual({
      tenant: {
        id: tenant.tenant.id,
        slug: tenant.tenant.slug,
        status: 'approved',
        signingProfile: 'es256_x509',
        environment: 'sandbox',
      },
    });
  });

  it('follows suspension and re-approval at once, even with the key warm in the cache', async () => {
    const tenant = await approvedTenant(app);
    expect((await withKey(tenant.apiKey)).status).toBe(200);
    expect((await withKey(tenant.apiKey)).status).toBe(200);
    await tenantAction(app, tenant.tenant.slug, 'suspend');
    await expectExact(await withKey(tenant.apiKey), 403, NOT_APPROVED);
    await tenantAction(app, tenant.tenant.slug, 'approve');
    const back = await withKey(tenant.apiKey);
    expect(back.status).toBe(200);
    expect((await body<{ tenant: { status: string } }>(back)).tenant.status).toBe('approved');
  });
});
