import { generateKeyPairSync, randomBytes, verify, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database, migrate, type Queryable } from '@portcullis/db';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_LIFETIME_MS, LEAF_VALIDITY_MS, type LocalCa, loadOrCreateCa } from '../crypto/ca.js';
import { type DidKeyAlgorithm, generateDidKey } from '../crypto/did-key.js';
import { createSealer } from '../crypto/seal.js';
import type { SigningProfile } from '../schemas.js';
import { insertIssuingDid } from '../store/dids.js';
import { createTenant } from '../store/tenants.js';
import { createCredentialSigner, createTenantSigners, findIssuingDidByTenantId } from './signer.js';
import type { CredentialSigner, SigningTenant } from './types.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
const PUBLIC_URL = 'https://tcs.example';
const T0 = Date.UTC(2026, 2, 1);
const sealer = createSealer(new Uint8Array(randomBytes(32)));

let db: Database;
let ca: LocalCa;

beforeAll(async () => {
  db = await createDatabase({ dataDir: 'memory://' });
  await migrate(db, { directory: MIGRATIONS });
  ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: () => T0 });
});
afterAll(async () => {
  await db?.close();
});

function keyPair(type: 'ed25519' | 'p256') {
  const { privateKey, publicKey } =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateJwk: privateKey.export({ format: 'jwk' }) as JWK,
    publicJwk: publicKey.export({ format: 'jwk' }) as JWK,
  };
}

function x5cOf(signer: CredentialSigner | null): string[] {
  if (signer === null || !('x5c' in signer.header)) throw new Error('expected a signer with an x5c header');
  return [...signer.header.x5c];
}

async function verifyJws(jws: string, publicJwk: JWK, alg: string) {
  const { payload, protectedHeader } = await compactVerify(jws, await importJWK(publicJwk, alg));
  return { payload: JSON.parse(new TextDecoder().decode(payload)) as unknown, protectedHeader };
}

describe('createCredentialSigner', () => {
  it('signs EdDSA JWTs with header { alg, typ, kid } that verify with the public key', async () => {
    const { privateJwk, publicJwk } = keyPair('ed25519');
    const signer = createCredentialSigner({
      alg: 'EdDSA',
      issuer: 'did:key:z6Mkexample',
      header: { kid: 'did:key:z6Mkexample#z6Mkexample' },
      privateJwk,
      publicJwk,
    });
    expect(signer.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x });
    const payload = { sub: 'https://tcs.example/acme/status/1', iat: 1, n: 'é' };
    const jwt = await signer.signJwt('statuslist+jwt', payload);
    const verified = await verifyJws(jwt, publicJwk, 'EdDSA');
    expect(verified.payload).toEqual(payload);
    expect(verified.protectedHeader).toEqual({
      alg: 'EdDSA',
      typ: 'statuslist+jwt',
      kid: 'did:key:z6Mkexample#z6Mkexample',
    });
    // Another typ is another header.
    expect(decodeProtectedHeader(await signer.signJwt('dc+sd-jwt', {})).typ).toBe('dc+sd-jwt');
  });

  it('signs ES256 JWTs in the JOSE format (64-byte r ‖ s) with header { alg, typ, x5c }', async () => {
    const { privateJwk, publicJwk } = keyPair('p256');
    const signer = createCredentialSigner({
      alg: 'ES256',
      issuer: 'https://tcs.example/acme',
      header: { x5c: ['MIIB'] },
      privateJwk,
      publicJwk,
    });
    const jwt = await signer.signJwt('statuslist+jwt', { a: 1 });
    expect(Buffer.from(jwt.split('.')[2] as string, 'base64url')).toHaveLength(64);
    const verified = await verifyJws(jwt, publicJwk, 'ES256');
    expect(verified.protectedHeader).toEqual({ alg: 'ES256', typ: 'statuslist+jwt', x5c: ['MIIB'] });
    expect(signer.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y });
  });

  it('sign() signs the given signing input as is, for libraries that build their own JWS', async () => {
    for (const [type, alg] of [
      ['ed25519', 'EdDSA'],
      ['p256', 'ES256'],
    ] as const) {
      const { privateJwk, publicJwk } = keyPair(type);
      const signer = createCredentialSigner({
        alg,
        issuer: 'x',
        header: { kid: 'k' },
        privateJwk,
        publicJwk,
      });
      const input = `${Buffer.from('{"alg":"x"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}`;
      const signature = Buffer.from(await signer.sign(input), 'base64url');
      const key = { key: publicJwk, format: 'jwk' } as const;
      const ok =
        alg === 'EdDSA'
          ? verify(null, Buffer.from(input), key, signature)
          : verify('sha256', Buffer.from(input), { ...key, dsaEncoding: 'ieee-p1363' }, signature);
      expect(ok).toBe(true);
      expect(
        alg === 'EdDSA'
          ? verify(null, Buffer.from(`${input}x`), key, signature)
          : verify('sha256', Buffer.from(`${input}x`), { ...key, dsaEncoding: 'ieee-p1363' }, signature),
      ).toBe(false);
    }
  });

  it('refuses a key of the other type or a public key that is not its own, without quoting the key', () => {
    const ed = keyPair('ed25519');
    const ec = keyPair('p256');
    const attempts = [
      { alg: 'ES256' as const, ...ed },
      { alg: 'EdDSA' as const, ...ec },
      { alg: 'EdDSA' as const, privateJwk: ed.privateJwk, publicJwk: keyPair('ed25519').publicJwk },
      { alg: 'ES256' as const, privateJwk: ec.privateJwk, publicJwk: keyPair('p256').publicJwk },
      { alg: 'EdDSA' as const, privateJwk: { ...ed.privateJwk, d: 'short' }, publicJwk: ed.publicJwk },
    ];
    for (const attempt of attempts) {
      let thrown: unknown;
      try {
        createCredentialSigner({ ...attempt, issuer: 'x', header: { kid: 'k' } });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect(String((thrown as Error).message)).not.toContain(attempt.privateJwk.d as string);
    }
  });

  it('is frozen: a caller cannot swap its issuer or header', () => {
    const { privateJwk, publicJwk } = keyPair('p256');
    const x5c = ['MIIB'];
    const signer = createCredentialSigner({
      alg: 'ES256',
      issuer: 'i',
      header: { x5c },
      privateJwk,
      publicJwk,
    });
    x5c.push('other');
    expect(signer.header).toEqual({ x5c: ['MIIB'] });
    expect(() => {
      (signer as { issuer: string }).issuer = 'evil';
    }).toThrow(TypeError);
  });
});

describe('createTenantSigners', () => {
  let counter = 0;
  async function tenantWith(profile: SigningProfile): Promise<SigningTenant> {
    counter += 1;
    const slug = `tenant-${counter}-${randomBytes(3).toString('hex')}`;
    const created = await createTenant(
      db,
      {
        slug,
        organizationName: 'Org',
        ownerEmail: 'it@org.example',
        signingProfile: profile,
        environment: 'sandbox',
      },
      'not-a-real-hash',
      new Date(T0),
    );
    if (!created.ok) throw new Error('tenant not created');
    return { id: created.tenant.id, slug, signingProfile: profile };
  }

  async function addIssuingDid(tenant: SigningTenant, algorithm: DidKeyAlgorithm) {
    const { didKey, privateJwk } = await generateDidKey(algorithm);
    const result = await db.transaction((tx) =>
      insertIssuingDid(tx, sealer, tenant.id, didKey, privateJwk, 'generated', new Date(T0)),
    );
    if (!result.ok) throw new Error('DID not inserted');
    return didKey;
  }

  /** A database that counts its queries. */
  function counted(): Queryable & { queries: number } {
    const wrapper = {
      queries: 0,
      query: ((sql: string, params?: readonly unknown[]) => {
        wrapper.queries += 1;
        return db.query(sql, params);
      }) as Queryable['query'],
    };
    return wrapper;
  }

  it('signs for an eddsa_did tenant as its DID, kid = the verification method', async () => {
    const tenant = await tenantWith('eddsa_did');
    const didKey = await addIssuingDid(tenant, 'EdDSA');
    const signers = createTenantSigners({ db, sealer, ca, publicUrl: PUBLIC_URL, now: () => T0 });
    const signer = await signers.forTenant(tenant);
    expect(signer?.alg).toBe('EdDSA');
    expect(signer?.issuer).toBe(didKey.did);
    expect(signer?.header).toEqual({ kid: didKey.verificationMethod });
    expect(signer?.publicJwk).toEqual(didKey.publicJwk);
    const jwt = await signer?.signJwt('statuslist+jwt', { iss: signer.issuer });
    const verified = await verifyJws(jwt as string, didKey.publicJwk, 'EdDSA');
    expect(verified.protectedHeader.kid).toBe(didKey.verificationMethod);
  });

  it('signs for an es256_x509 tenant as PUBLIC_URL/<slug>, x5c = a CA leaf naming that URL for its key', async () => {
    const tenant = await tenantWith('es256_x509');
    const didKey = await addIssuingDid(tenant, 'ES256');
    const signers = createTenantSigners({ db, sealer, ca, publicUrl: `${PUBLIC_URL}/`, now: () => T0 });
    const signer = await signers.forTenant(tenant);
    const issuerUrl = `${PUBLIC_URL}/${tenant.slug}`;
    expect(signer?.alg).toBe('ES256');
    expect(signer?.issuer).toBe(issuerUrl);
    const x5c = x5cOf(signer);
    expect(x5c).toHaveLength(1);
    const leaf = new X509Certificate(Buffer.from(x5c[0] as string, 'base64'));
    expect(leaf.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(leaf.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe(`URI:${issuerUrl}, DNS:tcs.example`);
    const certified = leaf.publicKey.export({ format: 'jwk' });
    expect({ x: certified.x, y: certified.y }).toEqual({ x: didKey.publicJwk.x, y: didKey.publicJwk.y });
    const jwt = await signer?.signJwt('dc+sd-jwt', { iss: issuerUrl });
    expect((await verifyJws(jwt as string, didKey.publicJwk, 'ES256')).protectedHeader.x5c).toEqual(x5c);
  });

  it('answers null for a tenant without an issuing DID', async () => {
    const tenant = await tenantWith('eddsa_did');
    const signers = createTenantSigners({ db, sealer, ca, publicUrl: PUBLIC_URL, now: () => T0 });
    expect(await signers.forTenant(tenant)).toBeNull();
    expect(await findIssuingDidByTenantId(db, tenant.id)).toBeNull();
  });

  it('reads the issuing DID with one query per call and reuses the signer of the same DID', async () => {
    const tenant = await tenantWith('es256_x509');
    await addIssuingDid(tenant, 'ES256');
    const database = counted();
    const signers = createTenantSigners({ db: database, sealer, ca, publicUrl: PUBLIC_URL, now: () => T0 });
    const [a, b] = await Promise.all([signers.forTenant(tenant), signers.forTenant(tenant)]);
    const c = await signers.forTenant(tenant);
    expect(a).not.toBeNull();
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(database.queries).toBe(3);
  });

  it('switches to the new signer when the tenant makes another DID its issuing DID', async () => {
    const tenant = await tenantWith('eddsa_did');
    const first = await addIssuingDid(tenant, 'EdDSA');
    const signers = createTenantSigners({ db, sealer, ca, publicUrl: PUBLIC_URL, now: () => T0 });
    const before = await signers.forTenant(tenant);
    expect(before?.issuer).toBe(first.did);
    const second = await addIssuingDid(tenant, 'EdDSA');
    const after = await signers.forTenant(tenant);
    expect(after).not.toBe(before);
    expect(after?.issuer).toBe(second.did);
    expect(after?.header).toEqual({ kid: second.verificationMethod });
  });

  it('keeps tenants apart: each gets the signer of its own DID', async () => {
    const one = await tenantWith('eddsa_did');
    const two = await tenantWith('eddsa_did');
    const didOne = await addIssuingDid(one, 'EdDSA');
    const didTwo = await addIssuingDid(two, 'EdDSA');
    const signers = createTenantSigners({ db, sealer, ca, publicUrl: PUBLIC_URL, now: () => T0 });
    expect((await signers.forTenant(one))?.issuer).toBe(didOne.did);
    expect((await signers.forTenant(two))?.issuer).toBe(didTwo.did);
    expect((await signers.forTenant(one))?.issuer).toBe(didOne.did);
  });

  it('rebuilds an es256_x509 signer with a new leaf once its leaf has less than a credential lifetime left', async () => {
    const tenant = await tenantWith('es256_x509');
    await addIssuingDid(tenant, 'ES256');
    let now = T0;
    const clock = () => now;
    const localCa = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock });
    const signers = createTenantSigners({ db, sealer, ca: localCa, publicUrl: PUBLIC_URL, now: clock });
    const first = await signers.forTenant(tenant);
    const renewAt = T0 + LEAF_VALIDITY_MS - CREDENTIAL_LIFETIME_MS;
    now = renewAt - 1;
    expect(await signers.forTenant(tenant)).toBe(first);
    now = renewAt;
    const renewed = await signers.forTenant(tenant);
    expect(renewed).not.toBe(first);
    const leafOf = (signer: CredentialSigner | null) =>
      new X509Certificate(Buffer.from(x5cOf(signer)[0] as string, 'base64'));
    expect(leafOf(renewed).serialNumber).not.toBe(leafOf(first).serialNumber);
    expect(Date.parse(leafOf(renewed).validTo)).toBeGreaterThanOrEqual(now + CREDENTIAL_LIFETIME_MS);
  });

  it('keeps at most maxCachedSigners signers, dropping the least recently used', async () => {
    const tenants = [
      await tenantWith('eddsa_did'),
      await tenantWith('eddsa_did'),
      await tenantWith('eddsa_did'),
    ];
    for (const tenant of tenants) await addIssuingDid(tenant, 'EdDSA');
    const signers = createTenantSigners({
      db,
      sealer,
      ca,
      publicUrl: PUBLIC_URL,
      now: () => T0,
      maxCachedSigners: 2,
    });
    const [t0, t1, t2] = tenants as [SigningTenant, SigningTenant, SigningTenant];
    const first0 = await signers.forTenant(t0);
    const first1 = await signers.forTenant(t1);
    expect(await signers.forTenant(t0)).toBe(first0); // t0 is now the most recent
    await signers.forTenant(t2); // evicts t1
    expect(await signers.forTenant(t0)).toBe(first0);
    const again1 = await signers.forTenant(t1);
    expect(again1).not.toBe(first1);
    expect(again1?.issuer).toBe(first1?.issuer);
  });

  it('refuses an issuing DID whose key type does not fit the signing profile, naming no key', async () => {
    const tenant = await tenantWith('eddsa_did');
    await addIssuingDid(tenant, 'ES256');
    const signers = createTenantSigners({ db, sealer, ca, publicUrl: PUBLIC_URL, now: () => T0 });
    await expect(signers.forTenant(tenant)).rejects.toThrow(/is not an EdDSA key/);
  });
});
