// The public well-known documents: the DIF Well-Known DID Configuration of a tenant's issuing DID
// (its domain-linkage credential, signed once per DID and hour), through HTTP against PGlite.
import type { Database } from '@portcullis/db';
import { createFakeClock } from '@portcullis/testing';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDidKey } from '../src/crypto/did-key.js';
import {
  approvedTenant,
  body,
  createTenant,
  type DidView,
  didKeyPair as keyPair,
  listDidsOf,
  only,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
  tenantAction,
} from './harness.js';

const PUBLIC_URL = 'https://tcs.example.test';
const DID_CONFIGURATION_CONTEXT = 'https://identity.foundation/.well-known/did-configuration/v1';
const TENANT_NOT_FOUND = { statusCode: 404, message: 'Tenant not found', error: 'Not Found' };

let db: Database;
let app: RunningApp;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db, publicUrl: PUBLIC_URL });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

type Tenant = Awaited<ReturnType<typeof approvedTenant>>;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const listDids = (tenant: Tenant): Promise<DidView[]> => listDidsOf(app, tenant.token);
const postDid = (tenant: Tenant) => app.request('/v1/did', { method: 'POST', headers: bearer(tenant.token) });
const importDid = (tenant: Tenant, json: unknown) =>
  app.request('/v1/did/import', { method: 'POST', json, headers: bearer(tenant.token) });

interface DidConfiguration {
  '@context': string;
  linked_dids: string[];
}

/** Fetches and checks a tenant's DID configuration; returns the verified JWT's payload. */
async function verifiedLinkage(slug: string, expectedDid: DidView) {
  const res = await app.request(`/.well-known/did-configuration.json/${slug}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  const config = await body<DidConfiguration>(res);
  expect(Object.keys(config).sort()).toEqual(['@context', 'linked_dids']);
  expect(config['@context']).toBe(DID_CONFIGURATION_CONTEXT);
  const jwt = only(config.linked_dids);

  const parsed = parseDidKey(expectedDid.did);
  if (!parsed.ok) throw new Error('listed DID does not parse');
  const key = await importJWK(parsed.publicJwk, parsed.algorithm);
  const { payload, protectedHeader } = await jwtVerify(jwt, key, {
    algorithms: [expectedDid.algorithm],
    issuer: expectedDid.did,
    subject: expectedDid.did,
  });
  expect(protectedHeader).toMatchObject({ alg: expectedDid.algorithm, kid: expectedDid.verificationMethod });
  expect(decodeProtectedHeader(jwt).kid).toBe(parsed.verificationMethod);
  expect(payload.iss).toBe(expectedDid.did);
  expect(payload.sub).toBe(expectedDid.did);
  expect(typeof payload.nbf).toBe('number');
  expect(payload.exp ?? 0).toBeGreaterThan(payload.nbf ?? Number.POSITIVE_INFINITY);
  const vc = payload.vc as {
    '@context': string[];
    type: string[];
    issuer: string;
    credentialSubject: { id: string; origin: string };
  };
  expect(vc.type).toContain('DomainLinkageCredential');
  expect(vc['@context']).toContain(DID_CONFIGURATION_CONTEXT);
  expect(vc.issuer).toBe(expectedDid.did);
  expect(vc.credentialSubject).toEqual({ id: expectedDid.did, origin: PUBLIC_URL });
  return payload;
}

describe('GET /.well-known/did-configuration.json/:tenant', () => {
  it.each([['eddsa_did'], ['es256_x509']] as const)(
    'links the issuing DID of a %s tenant to the PUBLIC_URL origin',
    async (signingProfile) => {
      const tenant = await approvedTenant(app, { signingProfile });
      const did = only(await listDids(tenant));
      await verifiedLinkage(tenant.tenant.slug, did);
    },
  );

  it('is signed by the new DID after POST /v1/did, and by an imported DID after import', async () => {
    const tenant = await approvedTenant(app);
    const old = only(await listDids(tenant));
    const created = (await body<{ did: DidView }>(await postDid(tenant))).did;
    await verifiedLinkage(tenant.tenant.slug, created);
    // The old key no longer verifies it.
    const res = await app.request(`/.well-known/did-configuration.json/${tenant.tenant.slug}`);
    const jwt = only((await body<DidConfiguration>(res)).linked_dids);
    const parsedOld = parseDidKey(old.did);
    if (!parsedOld.ok) throw new Error('old DID does not parse');
    await expect(jwtVerify(jwt, await importJWK(parsedOld.publicJwk, 'EdDSA'))).rejects.toThrow();

    const pair = await keyPair('EdDSA');
    const imported = (await body<{ did: DidView }>(await importDid(tenant, pair))).did;
    await verifiedLinkage(tenant.tenant.slug, imported);
  });

  it('signs once per DID and hour: the same credential within the hour, a fresh one after', async () => {
    const clock = createFakeClock(Date.UTC(2026, 6, 1));
    const timed = await startApp({ db, now: clock.now });
    try {
      const tenant = await approvedTenant(timed);
      const fetchJwt = async () =>
        only(
          (
            await body<DidConfiguration>(
              await timed.request(`/.well-known/did-configuration.json/${tenant.tenant.slug}`),
            )
          ).linked_dids,
        );
      // Read while the login token is fresh (it lives 15 minutes).
      const parsed = parseDidKey(only(await listDidsOf(timed, tenant.token)).did);
      if (!parsed.ok) throw new Error('DID does not parse');
      const first = await fetchJwt();
      clock.advance(3_599_000);
      expect(await fetchJwt()).toBe(first);
      clock.advance(1_000);
      const fresh = await fetchJwt();
      expect(fresh).not.toBe(first);
      const { payload } = await jwtVerify(fresh, await importJWK(parsed.publicJwk, 'EdDSA'), {
        currentDate: new Date(clock.now()),
      });
      expect(payload.nbf).toBe(Math.floor(clock.now() / 1000));
    } finally {
      await timed.close();
    }
  });

  it('answers 404 "Tenant not found" for an unknown, pending, suspended or impossible tenant', async () => {
    const pending = await createTenant(app);
    const suspended = await approvedTenant(app);
    await tenantAction(app, suspended.tenant.slug, 'suspend');
    for (const slug of [
      'no-such-tenant',
      pending.tenant.slug,
      suspended.tenant.slug,
      'UPPER-CASE',
      'ab',
      'a'.repeat(33),
      '%00',
      'x%27%20OR%201%3D1',
    ]) {
      const res = await app.request(`/.well-known/did-configuration.json/${slug}`);
      expect(res.status, slug).toBe(404);
      expect(await body<TcsError>(res)).toEqual(TENANT_NOT_FOUND);
    }
    // Approved again, it is served again.
    await tenantAction(app, suspended.tenant.slug, 'approve');
    const back = await app.request(`/.well-known/did-configuration.json/${suspended.tenant.slug}`);
    expect(back.status).toBe(200);
  });
});
