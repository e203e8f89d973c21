// A tenant's DIDs (`/v1/did`): creation, import, the cap, isolation between tenants, and the
// private keys at rest, all through HTTP against PGlite.
import { randomBytes } from 'node:crypto';
import type { Database } from '@portcullis/db';
import bs58 from 'bs58';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { didKeyFromPublicJwk, parseDidKey } from '../src/crypto/did-key.js';
import {
  approvedTenant,
  body,
  type DidView,
  issuedSecrets,
  didKeyPair as keyPair,
  listDidsOf,
  only,
  type PrivateJwk,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
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

type Tenant = Awaited<ReturnType<typeof approvedTenant>>;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const listDids = (tenant: Tenant): Promise<DidView[]> => listDidsOf(app, tenant.token);

const postDid = (tenant: Tenant) => app.request('/v1/did', { method: 'POST', headers: bearer(tenant.token) });

const importDid = (tenant: Tenant, json: unknown) =>
  app.request('/v1/did/import', { method: 'POST', json, headers: bearer(tenant.token) });

async function issuingRows(tenantId: string) {
  const { rows } = await db.query<{ did: string; issuing: boolean; tenant_id: string }>(
    'SELECT did, issuing, tenant_id FROM dids WHERE tenant_id = $1 AND issuing',
    [tenantId],
  );
  return rows;
}

/** The private JWK the app stored for a DID, opened with the app's own sealer. */
async function storedPrivateJwk(did: string): Promise<PrivateJwk> {
  const { rows } = await db.query<{ private_jwk_sealed: string }>(
    'SELECT private_jwk_sealed FROM dids WHERE did = $1',
    [did],
  );
  const sealed = rows[0]?.private_jwk_sealed;
  if (sealed === undefined) throw new Error(`no stored key for ${did}`);
  const jwk = JSON.parse(app.deps.sealer.open(sealed, did)) as PrivateJwk;
  issuedSecrets.add(jwk.d);
  return jwk;
}

describe('GET /v1/did', () => {
  it.each([
    ['eddsa_did', 'did:key:z6Mk', 'EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ['es256_x509', 'did:key:zDn', 'ES256', { kty: 'EC', crv: 'P-256' }],
  ] as const)(
    'lists the DID that approval created for a %s tenant',
    async (signingProfile, prefix, algorithm, key) => {
      const tenant = await approvedTenant(app, { signingProfile });
      const did = only(await listDids(tenant));
      expect(did.did.startsWith(prefix)).toBe(true);
      expect(did).toMatchObject({ algorithm, issuing: true, origin: 'generated' });
      expect(did.verificationMethod).toBe(`${did.did}#${did.did.slice('did:key:'.length)}`);
      expect(did.publicJwk).toMatchObject(key);
      expect(did.publicJwk).not.toHaveProperty('d');
      // The listed public key is the DID's own.
      expect(didKeyFromPublicJwk(did.publicJwk).did).toBe(did.did);
      expect(Number.isNaN(Date.parse(did.createdAt))).toBe(false);
    },
  );
});

describe('POST /v1/did', () => {
  it.each([
    ['eddsa_did', 'did:key:z6Mk', 'EdDSA'],
    ['es256_x509', 'did:key:zDn', 'ES256'],
  ] as const)(
    'creates a DID of the %s profile and makes it the only issuing one',
    async (signingProfile, prefix, algorithm) => {
      const tenant = await approvedTenant(app, { signingProfile });
      const first = only(await listDids(tenant));

      const res = await postDid(tenant);
      expect(res.status).toBe(201);
      const created = (await body<{ did: DidView }>(res)).did;
      expect(created.did.startsWith(prefix)).toBe(true);
      expect(created).toMatchObject({ algorithm, issuing: true, origin: 'generated' });
      expect(created.publicJwk).not.toHaveProperty('d');
      expect(created.did).not.toBe(first.did);

      const listed = await listDids(tenant);
      expect(listed.map((d) => d.did).sort()).toEqual([first.did, created.did].sort());
      expect(listed.filter((d) => d.issuing).map((d) => d.did)).toEqual([created.did]);
      expect(listed.find((d) => d.did === first.did)?.issuing).toBe(false);
    },
  );
});

describe('DIDs per tenant: at most 20, created and imported alike', () => {
  const LIMIT = {
    statusCode: 409,
    message: 'DID limit reached: a tenant holds at most 20 DIDs',
    error: 'Conflict',
  };

  it('refuses the 21st DID, whether created or imported, with 409, keeping the issuing one', async () => {
    const tenant = await approvedTenant(app); // approval made the first
    for (let i = 1; i < 20; i += 1) {
      const res = i % 2 === 0 ? await postDid(tenant) : await importDid(tenant, await keyPair('EdDSA'));
      expect(res.status).toBe(201);
    }
    const before = await listDids(tenant);
    expect(before).toHaveLength(20);
    const created = await postDid(tenant);
    expect(created.status).toBe(409);
    expect(await body<TcsError>(created)).toEqual(LIMIT);
    const imported = await importDid(tenant, await keyPair('EdDSA'));
    expect(imported.status).toBe(409);
    expect(await body<TcsError>(imported)).toEqual(LIMIT);
    expect(await listDids(tenant)).toEqual(before);
    expect(await issuingRows(tenant.tenant.id)).toHaveLength(1);
  });
});

describe('POST /v1/did/import', () => {
  it.each([
    ['eddsa_did', 'EdDSA'],
    ['es256_x509', 'ES256'],
  ] as const)(
    'imports a key pair of the %s profile as the issuing DID',
    async (signingProfile, algorithm) => {
      const tenant = await approvedTenant(app, { signingProfile });
      const previous = only(await listDids(tenant));
      const { did, privateJwk } = await keyPair(algorithm);

      const res = await importDid(tenant, { did, privateJwk });
      expect(res.status).toBe(201);
      const text = await res.text();
      expect(text).not.toContain(privateJwk.d);
      const imported = (JSON.parse(text) as { did: DidView }).did;
      expect(imported).toMatchObject({ did, algorithm, origin: 'imported', issuing: true });
      const { d: _d, ...publicJwk } = privateJwk;
      expect(imported.publicJwk).toEqual(publicJwk);

      const listed = await listDids(tenant);
      expect(listed.filter((d) => d.issuing).map((d) => d.did)).toEqual([did]);
      expect(listed.find((d) => d.did === previous.did)?.issuing).toBe(false);
    },
  );

  it('keeps only the JWK members of the key and drops the rest (kid, alg, use)', async () => {
    const tenant = await approvedTenant(app);
    const { did, privateJwk } = await keyPair('EdDSA');
    const res = await importDid(tenant, {
      did,
      privateJwk: { ...privateJwk, kid: 'mine', alg: 'EdDSA', use: 'sig' },
    });
    expect(res.status).toBe(201);
    expect(await storedPrivateJwk(did)).toEqual(privateJwk);
  });

  it('answers 400 "privateJwk: does not match the DID" for the private key of another DID', async () => {
    const tenant = await approvedTenant(app);
    const one = await keyPair('EdDSA');
    const other = await keyPair('EdDSA');
    // Another key altogether, and the DID's own x with another key's d.
    for (const privateJwk of [other.privateJwk, { ...one.privateJwk, d: other.privateJwk.d }]) {
      const res = await importDid(tenant, { did: one.did, privateJwk });
      expect(res.status).toBe(400);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 400,
        message: 'privateJwk: does not match the DID',
        error: 'Bad Request',
      });
    }
    // Nothing was stored and the approval DID stays the issuing one.
    const listed = await listDids(tenant);
    expect(listed.map((d) => d.did)).not.toContain(one.did);
    expect(only(listed.filter((d) => d.issuing)).origin).toBe('generated');
  });

  it('answers 400 when the P-256 DID does not fit an eddsa_did tenant, and the other way round', async () => {
    const eddsa = await approvedTenant(app, { signingProfile: 'eddsa_did' });
    const es256 = await approvedTenant(app, { signingProfile: 'es256_x509' });
    for (const [tenant, algorithm] of [
      [eddsa, 'ES256'],
      [es256, 'EdDSA'],
    ] as const) {
      const res = await importDid(tenant, await keyPair(algorithm));
      expect(res.status).toBe(400);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 400,
        message: "did: its key type does not match the tenant's signing profile",
        error: 'Bad Request',
      });
    }
  });

  it('answers 400 "did: must be a did:key DID" for a malformed DID', async () => {
    const tenant = await approvedTenant(app);
    const { did, privateJwk } = await keyPair('EdDSA');
    for (const bad of [
      'did:web:example.com',
      'did:key:',
      `${did}#${did.slice('did:key:'.length)}`,
      did.replace('did:key:z', 'did:key:f'),
      `${did.slice(0, -1)}0`,
      // Ed25519 codec with 3 key bytes; P-256 codec with a point that is not compressed.
      `did:key:z${bs58.encode(Uint8Array.of(0xed, 0x01, 1, 2, 3))}`,
      `did:key:z${bs58.encode(Uint8Array.from([0x80, 0x24, 0x04, ...new Uint8Array(32).fill(7)]))}`,
    ]) {
      const res = await importDid(tenant, { did: bad, privateJwk });
      expect(res.status, bad).toBe(400);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 400,
        message: 'did: must be a did:key DID',
        error: 'Bad Request',
      });
    }
  });

  it('answers 400 "did: must be an Ed25519 or P-256 did:key" for another key type (X25519, secp256k1)', async () => {
    const tenant = await approvedTenant(app);
    const { privateJwk } = await keyPair('EdDSA');
    const key = new Uint8Array(randomBytes(32));
    for (const codec of [Uint8Array.of(0xec, 0x01), Uint8Array.of(0xe7, 0x01)]) {
      const did = `did:key:z${bs58.encode(Uint8Array.from([...codec, ...key]))}`;
      const res = await importDid(tenant, { did, privateJwk });
      expect(res.status).toBe(400);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 400,
        message: 'did: must be an Ed25519 or P-256 did:key',
        error: 'Bad Request',
      });
    }
  });

  it('answers 400 for a public-only JWK and for a JWK that is not a private key', async () => {
    const tenant = await approvedTenant(app);
    const { did, privateJwk } = await keyPair('EdDSA');
    const { d: _d, ...publicOnly } = privateJwk;
    for (const jwk of [
      publicOnly,
      { ...privateJwk, d: 'not-base64url!' },
      { ...privateJwk, kty: 'oct' },
      { ...privateJwk, crv: 'X25519' },
      {},
    ]) {
      const res = await importDid(tenant, { did, privateJwk: jwk });
      expect(res.status).toBe(400);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 400,
        message: 'privateJwk: must be a private Ed25519 or P-256 JWK',
        error: 'Bad Request',
      });
    }
  });

  it('answers 400 naming the field for missing fields, an unknown field and wrong types', async () => {
    const tenant = await approvedTenant(app);
    const { did, privateJwk } = await keyPair('EdDSA');
    const cases: Array<[unknown, string]> = [
      [{ privateJwk }, 'did: '],
      [{ did }, 'privateJwk: '],
      [{}, 'did: '],
      [{ did, privateJwk, owner: 'someone-else' }, 'owner'],
      [{ did: 42, privateJwk }, 'did: must be a did:key string'],
      [{ did: '', privateJwk }, 'did: '],
      [{ did: 'x'.repeat(257), privateJwk }, 'did: is too long'],
      [{ did, privateJwk: 'a-jwk-string' }, 'privateJwk: must be a JWK object'],
      [{ did, privateJwk: null }, 'privateJwk: must be a JWK object'],
      [{ did, privateJwk: [privateJwk] }, 'privateJwk: must be a JWK object'],
      [[did, privateJwk], 'body'],
      ['did', 'body'],
    ];
    for (const [json, fragment] of cases) {
      const res = await importDid(tenant, json);
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(400);
      const problem = await body<TcsError>(res);
      expect(problem).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(problem.message).toContain(fragment);
      expect(problem.message).not.toContain(privateJwk.d);
    }
    const empty = await app.request('/v1/did/import', { method: 'POST', headers: bearer(tenant.token) });
    expect(empty.status).toBe(400);
    expect((await body<TcsError>(empty)).statusCode).toBe(400);
    expect(only((await listDids(tenant)).filter((d) => d.issuing)).origin).toBe('generated');
  });

  it('answers 409 "DID is already registered" for a DID imported twice, keeping the issuing DID', async () => {
    const tenant = await approvedTenant(app);
    const pair = await keyPair('EdDSA');
    expect((await importDid(tenant, pair)).status).toBe(201);
    // Another DID becomes issuing; the failed re-import must not switch issuing off.
    const newer = (await body<{ did: DidView }>(await postDid(tenant))).did;

    const again = await importDid(tenant, pair);
    expect(again.status).toBe(409);
    expect(await body<TcsError>(again)).toEqual({
      statusCode: 409,
      message: 'DID is already registered',
      error: 'Conflict',
    });
    const listed = await listDids(tenant);
    expect(listed.filter((d) => d.did === pair.did)).toHaveLength(1);
    expect(listed.filter((d) => d.issuing).map((d) => d.did)).toEqual([newer.did]);
  });
});

describe('tenant isolation', () => {
  it("shows tenant B only B's DIDs, never A's", async () => {
    const a = await approvedTenant(app);
    const b = await approvedTenant(app);
    expect((await postDid(a)).status).toBe(201);
    expect((await importDid(a, await keyPair('EdDSA'))).status).toBe(201);
    const aDids = (await listDids(a)).map((d) => d.did);
    expect(aDids).toHaveLength(3);

    const res = await app.request('/v1/did', { headers: bearer(b.token) });
    const text = await res.text();
    for (const did of aDids) expect(text).not.toContain(did);
    const bDids = (JSON.parse(text) as { dids: DidView[] }).dids;
    const { rows } = await db.query<{ did: string }>('SELECT did FROM dids WHERE tenant_id = $1', [
      b.tenant.id,
    ]);
    expect(bDids.map((d) => d.did).sort()).toEqual(rows.map((r) => r.did).sort());
  });

  it("changes only B's rows when B creates or imports a DID", async () => {
    const a = await approvedTenant(app);
    const b = await approvedTenant(app);
    const before = only(await issuingRows(a.tenant.id));
    const countA = async () =>
      (await db.query('SELECT 1 FROM dids WHERE tenant_id = $1', [a.tenant.id])).rows.length;
    const rowsOfA = await countA();

    const created = (await body<{ did: DidView }>(await postDid(b))).did;
    const pair = await keyPair('EdDSA');
    expect((await importDid(b, pair)).status).toBe(201);

    expect(await issuingRows(a.tenant.id)).toEqual([before]);
    expect(await countA()).toBe(rowsOfA);
    const { rows } = await db.query<{ tenant_id: string }>(
      'SELECT tenant_id FROM dids WHERE did = ANY($1::text[])',
      [[created.did, pair.did]],
    );
    expect(rows.map((r) => r.tenant_id)).toEqual([b.tenant.id, b.tenant.id]);
    expect(only(await issuingRows(b.tenant.id)).did).toBe(pair.did);
  });

  it("refuses B importing A's DID with A's private key with 409: no transfer", async () => {
    const a = await approvedTenant(app);
    const b = await approvedTenant(app);
    // A's approval DID, with the private key the app holds for it.
    const aDid = only(await listDids(a)).did;
    const aKey = await storedPrivateJwk(aDid);
    // And one A imported, with a key the test made.
    const aImported = await keyPair('EdDSA');
    expect((await importDid(a, aImported)).status).toBe(201);

    for (const attempt of [{ did: aDid, privateJwk: aKey }, aImported]) {
      const res = await importDid(b, attempt);
      expect(res.status).toBe(409);
      expect((await body<TcsError>(res)).message).toBe('DID is already registered');
      const { rows } = await db.query<{ tenant_id: string }>('SELECT tenant_id FROM dids WHERE did = $1', [
        attempt.did,
      ]);
      expect(rows).toEqual([{ tenant_id: a.tenant.id }]);
    }
    expect(only(await issuingRows(a.tenant.id)).did).toBe(aImported.did);
    expect(only(await listDids(b)).origin).toBe('generated');
  });
});

describe('/v1/did authentication', () => {
  const routes = [
    ['GET', '/v1/did'],
    ['POST', '/v1/did'],
    ['POST', '/v1/did/import'],
  ] as const;

  it('answers 401 "Bearer token is required" without a token', async () => {
    for (const [method, path] of routes) {
      const res = await app.request(path, { method });
      expect(res.status).toBe(401);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 401,
        message: 'Bearer token is required',
        error: 'Unauthorized',
      });
    }
  });

  it('answers 401 "Invalid or expired token" for a bad token, the admin token and an API key', async () => {
    const tenant = await approvedTenant(app);
    for (const token of [
      'not-a-jwt',
      `${tenant.token}x`,
      'test-admin-token-0123456789abcdef',
      tenant.apiKey,
    ]) {
      for (const [method, path] of routes) {
        const res = await app.request(path, { method, headers: bearer(token) });
        expect(res.status).toBe(401);
        expect(await body<TcsError>(res)).toEqual({
          statusCode: 401,
          message: 'Invalid or expired token',
          error: 'Unauthorized',
        });
      }
    }
  });

  it("answers 401 to a suspended tenant's token and changes nothing", async () => {
    const tenant = await approvedTenant(app);
    await tenantAction(app, tenant.tenant.slug, 'suspend');
    const pair = await keyPair('EdDSA');
    for (const [method, path] of routes) {
      const res = await app.request(path, {
        method,
        headers: bearer(tenant.token),
        ...(path.endsWith('import') ? { json: pair } : {}),
      });
      expect(res.status).toBe(401);
      expect((await body<TcsError>(res)).message).toBe('Invalid or expired token');
    }
    const { rows } = await db.query('SELECT 1 FROM dids WHERE tenant_id = $1', [tenant.tenant.id]);
    expect(rows).toHaveLength(1);
  });
});

describe('private keys at rest', () => {
  it('seals every private key (v1.), never stores d in clear, and the seal opens to the DID key', async () => {
    const tenant = await approvedTenant(app, { signingProfile: 'es256_x509' });
    const pair = await keyPair('ES256');
    expect((await importDid(tenant, pair)).status).toBe(201);
    expect((await postDid(tenant)).status).toBe(201);

    const { rows } = await db.query<{ did: string; private_jwk_sealed: string; public_jwk: JWK }>(
      'SELECT did, private_jwk_sealed, public_jwk FROM dids WHERE tenant_id = $1',
      [tenant.tenant.id],
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.private_jwk_sealed.startsWith('v1.')).toBe(true);
      const opened = JSON.parse(app.deps.sealer.open(row.private_jwk_sealed, row.did)) as PrivateJwk;
      issuedSecrets.add(opened.d);
      expect(row.private_jwk_sealed).not.toContain(opened.d);
      const { d, ...publicPart } = opened;
      expect(d).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(publicPart).toEqual(row.public_jwk);
      expect(didKeyFromPublicJwk(publicPart).did).toBe(row.did);
      const parsed = parseDidKey(row.did);
      expect(parsed.ok && parsed.publicJwk).toEqual(publicPart);
      // Bound to its DID: the same sealed value does not open for another row.
      const other = rows.find((r) => r.did !== row.did);
      expect(() => app.deps.sealer.open(row.private_jwk_sealed, other?.did ?? '')).toThrow();
    }

    // The imported key's d, known to the test, is nowhere in the table.
    const dump = JSON.stringify((await db.query('SELECT * FROM dids')).rows);
    expect(dump).not.toContain(pair.privateJwk.d);
    expect((await storedPrivateJwk(pair.did)).d).toBe(pair.privateJwk.d);
  });
});
