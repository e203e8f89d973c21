// SPEC §8: single-line fields (organizationName, ownerEmail; slug is pattern-bound) refuse every C0
// control character (U+0000–U+001F) and DEL (U+007F) left after trimming: 400 in the TCS format
// naming the field, never a 500 (Postgres refuses NUL in text) and never stored. Other strings that
// may hold them (a login uuid, a password) never give a 500 either.
import type { Database } from '@portcullis/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvedTenant,
  body,
  type CreatedTenant,
  issuedSecrets,
  login,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
  uniqueSlug,
} from './harness.js';

let db: Database;
let app: RunningApp;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db, limits: { loginFailuresPer15Min: 10_000 } });
});
afterAll(async () => {
  await app.close();
  await db.close();
});

const CONTROLS = [...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)), '\u007f'];
const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Text of at most 42 characters holding `c` somewhere between two printable ends, so trimming cannot remove it. */
const textWith = (c: string) =>
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
    .map(([before, after]) => `a${before}${c}${after}z`);

const tenantBody = (overrides: Record<string, unknown>) => ({
  slug: uniqueSlug('ctl'),
  organizationName: 'Acme Credentials',
  ownerEmail: 'owner@acme.example',
  signingProfile: 'eddsa_did',
  ...overrides,
});
const createWith = (overrides: Record<string, unknown>) =>
  app.admin('/admin/tenants', { method: 'POST', json: tenantBody(overrides) });

const fields: Array<[string, (value: string) => Record<string, unknown>]> = [
  ['organizationName', (value) => ({ organizationName: value })],
  ['ownerEmail', (value) => ({ ownerEmail: `${value}@acme.example` })],
];

async function storedRows() {
  const { rows } = await db.query<{ tenants: number; with_controls: number }>(
    `SELECT count(*)::int AS tenants,
            count(*) FILTER (WHERE organization_name ~ '[[:cntrl:]]' OR owner_email ~ '[[:cntrl:]]')::int AS with_controls
       FROM tenants`,
  );
  return rows[0];
}

describe.each(fields)('POST /admin/tenants %s', (field, bodyWith) => {
  it.each(CONTROLS.map((c) => [hex(c), c]))(
    `refuses %s anywhere in ${field} with a 400 naming the field, storing nothing`,
    async (_, c) => {
      const before = await storedRows();
      await fc.assert(
        fc.asyncProperty(textWith(c), async (value) => {
          const res = await createWith(bodyWith(value));
          const problem = await body<TcsError>(res);
          expect(res.status).toBe(400);
          expect(problem).toMatchObject({ statusCode: 400, error: 'Bad Request' });
          expect(problem.message.startsWith(`${field}: `)).toBe(true);
        }),
        { numRuns: 8 },
      );
      expect(await storedRows()).toEqual(before);
      expect((await storedRows())?.with_controls).toBe(0);
    },
  );
});

describe('trimming comes first', () => {
  it('stores an organization name and email whose only control characters are whitespace at their ends, trimmed', async () => {
    const res = await createWith({ organizationName: '\tAcme\r\n', ownerEmail: ' owner@acme.example\n' });
    expect(res.status).toBe(201);
    const created = await body<CreatedTenant>(res);
    issuedSecrets.add(created.apiKey).add(created.initialPassword);
    expect(created.tenant).toMatchObject({ organizationName: 'Acme', ownerEmail: 'owner@acme.example' });
  });
});

describe('control characters in other strings never give a 500', () => {
  it('answers a login uuid or password holding any of them with 401', async () => {
    const tenant = await approvedTenant(app);
    for (const c of CONTROLS) {
      for (const json of [
        { uuid: `${tenant.uuid}${c}`, password: tenant.initialPassword },
        { uuid: `${c}${tenant.uuid.slice(1)}`, password: tenant.initialPassword },
        { uuid: tenant.uuid, password: `${tenant.initialPassword}${c}x` },
      ]) {
        const res = await app.request('/v1/auth/login', { method: 'POST', json });
        expect(res.status, `${hex(c)} ${JSON.stringify(json.uuid)}`).toBe(401);
      }
    }
  });

  it('accepts a new password holding a NUL or another control character, and logs in with it', async () => {
    const tenant = await approvedTenant(app);
    const newPassword = 'pass\u0000word\u0001with\u007fcontrols';
    issuedSecrets.add(newPassword);
    const res = await app.request('/v1/auth/password', {
      method: 'POST',
      json: { currentPassword: tenant.initialPassword, newPassword },
      headers: { authorization: `Bearer ${tenant.token}` },
    });
    expect(res.status).toBe(200);
    issuedSecrets.add((await body<{ access_token: string }>(res)).access_token);
    await login(app, tenant.uuid, newPassword);
  });
});
