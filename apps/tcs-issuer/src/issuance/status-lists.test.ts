// The status list service on PGlite with the real signers (did:key issuing keys, the local CA):
// what a token says, when a cached one is served again and when it is signed anew.
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import { createFakeClock } from '@portcullis/testing';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded } from '../../test/recorded.js';
import { loadOrCreateCa } from '../crypto/ca.js';
import { generateDidKey } from '../crypto/did-key.js';
import { createSealer, type Sealer } from '../crypto/seal.js';
import type { SigningProfile } from '../schemas.js';
import {
  type AllocatedCredential,
  changeCredentialStatus,
  recordIssuedCredentials,
} from '../store/credentials.js';
import { insertIssuingDid } from '../store/dids.js';
import { createTenantSigners } from './signer.js';
import {
  createStatusListService,
  STATUS_LIST_RESIGN_SECONDS,
  STATUS_LIST_VALIDITY_SECONDS,
  type StatusListServiceOptions,
  statusListUri,
} from './status-lists.js';
import {
  type CredentialSigner,
  type CredentialStatus,
  STATUS_LIST_SIZE,
  STATUS_LIST_TTL_SECONDS,
  type TenantSigners,
} from './types.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
const PUBLIC_URL = 'https://tcs.example.test';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('status list service', () => {
  let db: Database;
  let sealer: Sealer;
  let signers: TenantSigners;
  const clock = createFakeClock(T0);

  beforeAll(async () => {
    db = await createDatabase({ dataDir: 'memory://' });
    await migrate(db, { directory: MIGRATIONS });
    sealer = createSealer(new Uint8Array(randomBytes(32)));
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock.now });
    signers = createTenantSigners({ db, sealer, ca, publicUrl: PUBLIC_URL, now: clock.now });
  });
  afterAll(() => db?.close());

  let seq = 0;
  interface Listed {
    id: string;
    slug: string;
    entries: AllocatedCredential[];
  }

  /** A new issuing DID of the tenant's profile (replacing the current one). */
  const newIssuingDid = async (tenantId: string, profile: SigningProfile) => {
    const { didKey, privateJwk } = await generateDidKey(profile === 'eddsa_did' ? 'EdDSA' : 'ES256');
    const out = await db.transaction((tx) =>
      insertIssuingDid(tx, sealer, tenantId, didKey, privateJwk, 'generated', new Date(clock.now())),
    );
    if (!out.ok) throw new Error('DID limit');
    return out.row;
  };

  /**
   * A tenant with `credentials` credentials issued on its list 1 (and an issuing DID unless
   * `did: false`), issued while it was approved and then given `status`.
   */
  const tenantWithList = async (
    options: { profile?: SigningProfile; status?: string; did?: boolean; credentials?: number } = {},
  ): Promise<Listed> => {
    const profile = options.profile ?? 'eddsa_did';
    seq += 1;
    const tenant = { id: `ten_${randomBytes(12).toString('hex')}`, slug: `lists-${seq}` };
    await db.query(
      `INSERT INTO tenants (id, slug, organization_name, owner_email, signing_profile, environment, status, created_at, updated_at)
       VALUES ($1, $2, 'Acme', 'o@acme.example', $3, 'sandbox', $4, now(), now())`,
      [tenant.id, tenant.slug, profile, 'approved'],
    );
    if (options.did !== false) await newIssuingDid(tenant.id, profile);
    const offerId = randomUUID();
    await db.query(
      `INSERT INTO offers (id, tenant_id, credential_configuration_id, claims, code_digest, code_sealed, created_at, expires_at)
       VALUES ($1, $2, 'Test_Credential', '{}', $3, 'sealed', now(), now() + interval '5 minutes')`,
      [offerId, tenant.id, randomBytes(32).toString('hex')],
    );
    const entries = await recorded(
      recordIssuedCredentials(db, {
        tenantId: tenant.id,
        offerId,
        credentialConfigurationId: 'Test_Credential',
        holderJkts: Array.from({ length: options.credentials ?? 3 }, (_, i) => `holder-${i}`),
        issuedAt: new Date(clock.now()),
        expiresAt: new Date(clock.now() + 365 * 86_400_000),
      }),
    );
    if (options.status !== undefined) {
      await db.query('UPDATE tenants SET status = $2 WHERE id = $1', [tenant.id, options.status]);
    }
    return { ...tenant, entries };
  };

  const setStatus = async (listed: Listed, entry: AllocatedCredential, status: CredentialStatus) => {
    const out = await changeCredentialStatus(db, {
      tenantId: listed.id,
      credentialId: entry.credentialId,
      status,
      now: new Date(clock.now()),
    });
    expect(out.ok).toBe(true);
  };

  /** The service over counting wrappers: statements run, tokens signed, and the last signer used. */
  const observed = (options: Partial<StatusListServiceOptions> = {}, embedded = false) => {
    const seen = { queries: 0, signatures: 0, signer: undefined as CredentialSigner | undefined };
    const counted: StatusListServiceOptions['db'] = {
      query(sql, params) {
        seen.queries += 1;
        return db.query(sql, params);
      },
      // Without the count, the service checks the version with a query on every fetch.
      finishedWork: embedded ? db.finishedWork : undefined,
    };
    const countingSigners: TenantSigners = {
      forIssuingDid(tenant) {
        return countingSigners.forTenant(tenant);
      },
      async forTenant(tenant) {
        const signer = await signers.forTenant(tenant);
        if (signer === null) return null;
        seen.signer = signer;
        return {
          alg: signer.alg,
          issuer: signer.issuer,
          header: signer.header,
          publicJwk: signer.publicJwk,
          signJwt(typ, payload) {
            seen.signatures += 1;
            return signer.signJwt(typ, payload);
          },
          sign(data) {
            seen.signatures += 1;
            return signer.sign(data);
          },
        };
      },
    };
    const service = createStatusListService({
      db: counted,
      signers: countingSigners,
      publicUrl: PUBLIC_URL,
      now: clock.now,
      ...options,
    });
    return { service, seen };
  };

  /** The token's verified payload, with the signer's public key. */
  const verified = async (token: string, signer: CredentialSigner) => {
    const key = await importJWK(signer.publicJwk, signer.alg);
    const { payload } = await jwtVerify(token, key, {
      typ: 'statuslist+jwt',
      currentDate: new Date(clock.now()),
    });
    return payload;
  };
  const statusAt = (token: string, idx: number) => getListFromStatusListJWT(token).getStatus(idx);

  it.each<SigningProfile>(['eddsa_did', 'es256_x509'])(
    "signs a %s tenant's list like its credentials, with each credential's status",
    async (profile) => {
      const listed = await tenantWithList({ profile, credentials: 4 });
      const [valid, suspended, revoked] = listed.entries as [
        AllocatedCredential,
        AllocatedCredential,
        AllocatedCredential,
      ];
      await setStatus(listed, suspended, 'suspended');
      await setStatus(listed, revoked, 'revoked');
      const { service, seen } = observed();

      const token = await service.token(listed.slug, 1);
      expect(token).not.toBeNull();
      const jwt = token as string;
      const signer = seen.signer as CredentialSigner;
      const header = decodeProtectedHeader(jwt);
      expect(header).toMatchObject({
        typ: 'statuslist+jwt',
        alg: profile === 'eddsa_did' ? 'EdDSA' : 'ES256',
      });
      if ('kid' in signer.header) expect(header.kid).toBe(signer.header.kid);
      else expect(header.x5c).toEqual(signer.header.x5c);

      const iat = Math.floor(T0 / 1000);
      const payload = await verified(jwt, signer);
      expect(payload).toMatchObject({
        iss: signer.issuer,
        sub: `${PUBLIC_URL}/v1/status-lists/${listed.slug}/1`,
        iat,
        exp: iat + STATUS_LIST_VALIDITY_SECONDS,
        ttl: STATUS_LIST_TTL_SECONDS,
        status_list: { bits: 2 },
      });
      expect(statusAt(jwt, valid.idx)).toBe(0);
      expect(statusAt(jwt, suspended.idx)).toBe(2);
      expect(statusAt(jwt, revoked.idx)).toBe(1);
      expect(getListFromStatusListJWT(jwt).statusList).toHaveLength(STATUS_LIST_SIZE);
      const others = [0, STATUS_LIST_SIZE - 1].filter((idx) => !listed.entries.some((e) => e.idx === idx));
      for (const idx of others) expect(statusAt(jwt, idx)).toBe(0);
    },
  );

  it('serves the signed list again for one query per fetch, and a status change in the very next answer', async () => {
    const listed = await tenantWithList();
    const [first, second] = listed.entries as [AllocatedCredential, AllocatedCredential];
    const { service, seen } = observed();
    const token = await service.token(listed.slug, 1);
    expect(seen.signatures).toBe(1);

    seen.queries = 0;
    expect(await service.token(listed.slug, 1)).toBe(token);
    expect(await service.token(listed.slug, 1)).toBe(token);
    expect(seen).toMatchObject({ queries: 2, signatures: 1 });

    await setStatus(listed, first, 'suspended');
    const changed = (await service.token(listed.slug, 1)) as string;
    expect(changed).not.toBe(token);
    expect(seen.signatures).toBe(2);
    expect(statusAt(changed, first.idx)).toBe(2);
    expect(statusAt(changed, second.idx)).toBe(0);

    // The same status again moves nothing: the cached list is still current.
    await setStatus(listed, first, 'suspended');
    expect(await service.token(listed.slug, 1)).toBe(changed);
    await setStatus(listed, first, 'valid');
    expect(statusAt((await service.token(listed.slug, 1)) as string, first.idx)).toBe(0);
    expect(seen.signatures).toBe(3);
  });

  it('on the embedded database, serves the list again with no query while no statement ran, and a change in the very next answer', async () => {
    expect(db.finishedWork).toBeTypeOf('function');
    const listed = await tenantWithList();
    const [first] = listed.entries as [AllocatedCredential];
    const { service, seen } = observed({}, true);
    const token = await service.token(listed.slug, 1);
    // The signing read the list after the version check: the next fetch checks once more.
    expect(await service.token(listed.slug, 1)).toBe(token);
    seen.queries = 0;
    expect(await service.token(listed.slug, 1)).toBe(token);
    expect(await service.token(listed.slug, 1)).toBe(token);
    expect(seen.queries).toBe(0);

    // Any statement finished since (here the change itself) makes the next fetch ask again.
    await setStatus(listed, first, 'suspended');
    const changed = (await service.token(listed.slug, 1)) as string;
    expect(statusAt(changed, first.idx)).toBe(2);
    // A read that is not a write still makes the next fetch ask once, then the answer is kept again.
    await db.query('SELECT 1');
    seen.queries = 0;
    expect(await service.token(listed.slug, 1)).toBe(changed);
    expect(await service.token(listed.slug, 1)).toBe(changed);
    expect(seen.queries).toBe(1);
  });

  it('sees a change made through another process’s service (no invalidation message needed)', async () => {
    const listed = await tenantWithList();
    const a = observed().service;
    const b = observed().service;
    const before = (await a.token(listed.slug, 1)) as string;
    expect(await b.token(listed.slug, 1)).toBe(before);
    await setStatus(listed, listed.entries[0] as AllocatedCredential, 'revoked');
    expect(
      statusAt((await a.token(listed.slug, 1)) as string, (listed.entries[0] as AllocatedCredential).idx),
    ).toBe(1);
    expect(
      statusAt((await b.token(listed.slug, 1)) as string, (listed.entries[0] as AllocatedCredential).idx),
    ).toBe(1);
  });

  it('signs anew once the cached token is a minute old, or when the clock went back', async () => {
    const listed = await tenantWithList();
    const { service, seen } = observed();
    clock.set(T0);
    const token = (await service.token(listed.slug, 1)) as string;
    clock.advance(STATUS_LIST_RESIGN_SECONDS * 1000 - 1);
    expect(await service.token(listed.slug, 1)).toBe(token);
    clock.advance(1);
    const renewed = (await service.token(listed.slug, 1)) as string;
    expect(renewed).not.toBe(token);
    expect(getPayload(renewed).iat).toBe(Math.floor(T0 / 1000) + STATUS_LIST_RESIGN_SECONDS);
    clock.set(T0);
    const back = (await service.token(listed.slug, 1)) as string;
    expect(getPayload(back).iat).toBe(Math.floor(T0 / 1000));
    expect(seen.signatures).toBe(3);
  });

  it('signs once for concurrent fetches of a list that changed', async () => {
    const listed = await tenantWithList();
    const { service, seen } = observed();
    await service.token(listed.slug, 1);
    await setStatus(listed, listed.entries[1] as AllocatedCredential, 'suspended');
    const tokens = await Promise.all(Array.from({ length: 20 }, () => service.token(listed.slug, 1)));
    expect(new Set(tokens).size).toBe(1);
    expect(statusAt(tokens[0] as string, (listed.entries[1] as AllocatedCredential).idx)).toBe(2);
    expect(seen.signatures).toBe(2);
  });

  it("signs the next answer with the tenant's new issuing DID", async () => {
    const listed = await tenantWithList();
    const { service, seen } = observed();
    const before = (await service.token(listed.slug, 1)) as string;
    const row = await newIssuingDid(listed.id, 'eddsa_did');
    const after = (await service.token(listed.slug, 1)) as string;
    expect(decodeProtectedHeader(before).kid).not.toBe(row.verification_method);
    expect(decodeProtectedHeader(after).kid).toBe(row.verification_method);
    expect(getPayload(after).iss).toBe(row.did);
    await verified(after, seen.signer as CredentialSigner);
  });

  it("serves a suspended tenant's list, and nothing for unknown tenants, lists and DID-less tenants", async () => {
    const suspended = await tenantWithList({ status: 'suspended' });
    const noDid = await tenantWithList({ did: false });
    const { service, seen } = observed();
    expect(await service.token(suspended.slug, 1)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await service.token(suspended.slug, 2)).toBeNull();
    expect(await service.token('no-such-tenant', 1)).toBeNull();
    for (const listId of [0, -1, 1.5, Number.NaN, 2 ** 31])
      expect(await service.token(suspended.slug, listId)).toBeNull();
    seen.signatures = 0;
    expect(await service.token(noDid.slug, 1)).toBeNull();
    expect(seen.signatures).toBe(0);
  });

  it('keeps at most maxCached signed lists, dropping the one signed longest ago', async () => {
    const lists = [await tenantWithList(), await tenantWithList(), await tenantWithList()];
    const { service, seen } = observed({ maxCached: 2 });
    const [a, b, c] = lists as [Listed, Listed, Listed];
    await service.token(a.slug, 1);
    await service.token(b.slug, 1);
    await service.token(c.slug, 1);
    expect(seen.signatures).toBe(3);
    await service.token(c.slug, 1);
    await service.token(b.slug, 1);
    expect(seen.signatures).toBe(3);
    expect(await service.token(a.slug, 1)).not.toBeNull();
    expect(seen.signatures).toBe(4);
  });

  it('builds list URIs under PUBLIC_URL, with or without its trailing slash', () => {
    expect(statusListUri('https://tcs.example', 'acme', 1)).toBe(
      'https://tcs.example/v1/status-lists/acme/1',
    );
    expect(statusListUri('https://tcs.example/base/', 'acme', 7)).toBe(
      'https://tcs.example/base/v1/status-lists/acme/7',
    );
  });
});

function getPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'));
}
