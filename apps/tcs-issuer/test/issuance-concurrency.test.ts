// Issuance under concurrency, on two app processes of one deployment: a pre-authorized code is
// exchanged once, a c_nonce backs one credential request, and concurrent issuances never share a
// status list entry. Run with shared Postgres and Redis (the Redis c_nonce and DPoP replay stores)
// and with shared Postgres alone (their SQL stores).
import { createHash, sign as cryptoSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvedTenant,
  body,
  describeBackends,
  describeCluster,
  issuedSecrets,
  type RunningApp,
  startApp,
} from './harness.js';

const PRE_AUTHORIZED = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const CONFIG_ID = 'TuringCerts_Standard_Credential_v2_sd_jwt';
const CLAIMS = { credentialName: 'Certified Kubernetes Administrator', issuedTime: '2026-01-31T12:00:00Z' };

type Tenant = Awaited<ReturnType<typeof approvedTenant>>;
type Profile = 'eddsa_did' | 'es256_x509';

interface Key {
  alg: 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** A fresh holder or DPoP key; its private half is a secret of this file. */
function newKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Key {
  const pair =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  issuedSecrets.add((pair.privateKey.export({ format: 'jwk' }) as JWK).d as string);
  return { alg, privateKey: pair.privateKey, publicJwk: pair.publicKey.export({ format: 'jwk' }) as JWK };
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: Key): string {
  const input = Buffer.from(
    `${b64json({ ...header, alg: key.alg, jwk: key.publicJwk })}.${b64json(payload)}`,
  );
  const signature =
    key.alg === 'ES256'
      ? cryptoSign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(null, input, key.privateKey);
  const jws = `${input.toString()}.${signature.toString('base64url')}`;
  issuedSecrets.add(jws);
  return jws;
}

/**
 * The wallet side of issuance against a deployment of several processes: every request goes to
 * the process `via` names, and proofs name the deployment's one `PUBLIC_URL`.
 */
function walletOf(apps: () => [RunningApp, RunningApp]) {
  const app = (via: number) => apps()[via % 2] as RunningApp;
  const base = () => apps()[0].deps.publicUrl.replace(/\/+$/, '');
  const now = () => Math.floor(Date.now() / 1000);

  const dpop = (key: Key, path: string, nonce: string, token?: string) =>
    signJws(
      { typ: 'dpop+jwt' },
      {
        jti: randomUUID(),
        htm: 'POST',
        htu: `${base()}${path}`,
        iat: now(),
        nonce,
        ...(token === undefined ? {} : { ath: createHash('sha256').update(token).digest('base64url') }),
      },
      key,
    );

  return {
    app,
    dpop,
    keyProof: (key: Key, tenant: Tenant, nonce: string) =>
      signJws(
        { typ: 'openid4vci-proof+jwt' },
        { aud: `${base()}/${tenant.tenant.slug}`, iat: now(), nonce },
        key,
      ),

    /** An offer's pre-authorized code (offer made on process 0, read on process 1). */
    async code(tenant: Tenant): Promise<{ offerId: string; code: string }> {
      const res = await app(0).request('/v1/offers', {
        method: 'POST',
        headers: { 'x-api-key': tenant.apiKey },
        json: { credential: { config_id: CONFIG_ID, claims: CLAIMS }, flow: 'pre-authorized' },
      });
      expect(res.status).toBe(201);
      const { offer_id: offerId } = await body<{ offer_id: string }>(res);
      const document = await app(1).request(`/v1/offers/${offerId}`);
      expect(document.status).toBe(200);
      const offer = await body<{ grants: Record<string, { 'pre-authorized_code': string }> }>(document);
      const code = offer.grants[PRE_AUTHORIZED]?.['pre-authorized_code'] as string;
      issuedSecrets.add(code);
      return { offerId, code };
    },

    /** `POST /v1/nonce` on process `via`: a c_nonce and a DPoP nonce. */
    async nonces(via = 0): Promise<{ cNonce: string; dpopNonce: string }> {
      const res = await app(via).request('/v1/nonce', { method: 'POST' });
      expect(res.status).toBe(200);
      return {
        cNonce: (await body<{ c_nonce: string }>(res)).c_nonce,
        dpopNonce: res.headers.get('dpop-nonce') as string,
      };
    },

    /** `POST /v1/token` on process `via`, with a DPoP proof by `key` when given. */
    token(via: number, code: string, dpopKey?: { key: Key; nonce: string }) {
      return app(via).request('/v1/token', {
        method: 'POST',
        body: new URLSearchParams({ grant_type: PRE_AUTHORIZED, 'pre-authorized_code': code }).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(dpopKey === undefined ? {} : { dpop: dpop(dpopKey.key, '/v1/token', dpopKey.nonce) }),
        },
      });
    },

    /** `POST /v1/credential` on process `via` with `proofs`, Bearer or DPoP by `dpopKey`. */
    credential(via: number, token: string, proofs: string[], dpopKey?: { key: Key; nonce: string }) {
      return app(via).request('/v1/credential', {
        method: 'POST',
        json: { credential_configuration_id: CONFIG_ID, proofs: { jwt: proofs } },
        headers:
          dpopKey === undefined
            ? { authorization: `Bearer ${token}` }
            : {
                authorization: `DPoP ${token}`,
                dpop: dpop(dpopKey.key, '/v1/credential', dpopKey.nonce, token),
              },
      });
    },
  };
}

/** What an access token request needs per profile: es256_x509 proves a DPoP key with a server nonce. */
async function accessToken(
  wallet: ReturnType<typeof walletOf>,
  tenant: Tenant,
  profile: Profile,
): Promise<{ token: string; dpopKey: Key | undefined }> {
  const { code } = await wallet.code(tenant);
  const dpopKey = profile === 'es256_x509' ? newKey() : undefined;
  const nonce = (await wallet.nonces(1)).dpopNonce;
  const res = await wallet.token(0, code, dpopKey === undefined ? undefined : { key: dpopKey, nonce });
  expect(res.status).toBe(200);
  return { token: (await body<{ access_token: string }>(res)).access_token, dpopKey };
}

/** The `status.status_list` of an SD-JWT VC (its issuer-signed JWT's payload, read in the clear). */
function statusOf(credential: string): { idx: number; uri: string } {
  const [jwt = ''] = credential.split('~');
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
    status: { status_list: { idx: number; uri: string } };
  };
  return payload.status.status_list;
}

/** The concurrency properties, against two processes of one deployment. */
function concurrencyProperties(apps: () => [RunningApp, RunningApp]) {
  const wallet = walletOf(apps);
  const tenants = new Map<Profile, Tenant>();
  beforeAll(async () => {
    for (const profile of ['eddsa_did', 'es256_x509'] as const) {
      tenants.set(profile, await approvedTenant(apps()[0], { signingProfile: profile }));
    }
  });
  const tenantOf = (profile: Profile) => tenants.get(profile) as Tenant;

  it.each(['eddsa_did', 'es256_x509'] as const)(
    'exchanges a code once among 50 concurrent requests on both processes (%s)',
    async (profile) => {
      const { offerId, code } = await wallet.code(tenantOf(profile));
      const { dpopNonce } = await wallet.nonces(0);
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          wallet.token(i, code, profile === 'es256_x509' ? { key: newKey(), nonce: dpopNonce } : undefined),
        ),
      );
      const answers = await Promise.all(
        responses.map(async (res) => ({ status: res.status, body: await body<Record<string, string>>(res) })),
      );
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
      const refused = answers.filter((answer) => answer.status !== 200);
      expect(refused).toHaveLength(49);
      for (const answer of refused) {
        expect(answer).toEqual({
          status: 400,
          body: {
            error: 'invalid_grant',
            error_description: 'Pre-authorized code is expired or has already been used',
          },
        });
      }
      // The one winner spent the code: the offer document is gone on both processes.
      for (const via of [0, 1])
        expect((await wallet.app(via).request(`/v1/offers/${offerId}`)).status).toBe(404);
    },
  );

  it.each(['eddsa_did', 'es256_x509'] as const)(
    'issues once among 20 concurrent credential requests sharing one c_nonce (%s): the others get invalid_nonce',
    async (profile) => {
      const tenant = tenantOf(profile);
      const { token, dpopKey } = await accessToken(wallet, tenant, profile);
      const { cNonce, dpopNonce } = await wallet.nonces(1);
      // Each request its own holder key and, for DPoP, its own fresh proof (a new jti).
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          wallet.credential(
            i,
            token,
            [wallet.keyProof(newKey(), tenant, cNonce)],
            dpopKey === undefined ? undefined : { key: dpopKey, nonce: dpopNonce },
          ),
        ),
      );
      const answers = await Promise.all(
        responses.map(async (res) => ({
          status: res.status,
          body: await body<Record<string, unknown>>(res),
        })),
      );
      const issued = answers.filter((answer) => answer.status === 200);
      expect(issued).toHaveLength(1);
      expect(issued[0]?.body.credentials).toHaveLength(1);
      const refused = answers.filter((answer) => answer.status !== 200);
      expect(refused).toHaveLength(19);
      for (const answer of refused) {
        expect(answer).toEqual({
          status: 400,
          body: {
            error: 'invalid_nonce',
            error_description: 'The proof nonce is unknown, expired or already used',
          },
        });
      }
    },
  );

  it.each(['eddsa_did', 'es256_x509'] as const)(
    'gives 100 concurrent issuances (10 requests of 10 proofs on both processes) 100 distinct status entries (%s)',
    async (profile) => {
      // A tenant of its own, so the entries counted are exactly this test's.
      const tenant = await approvedTenant(apps()[0], { signingProfile: profile });
      const grants = await Promise.all(
        Array.from({ length: 10 }, () => accessToken(wallet, tenant, profile)),
      );
      const nonces = await Promise.all(grants.map((_, i) => wallet.nonces(i)));
      const responses = await Promise.all(
        grants.map(({ token, dpopKey }, i) => {
          const { cNonce, dpopNonce } = nonces[i] as { cNonce: string; dpopNonce: string };
          const proofs = Array.from({ length: 10 }, () => wallet.keyProof(newKey(), tenant, cNonce));
          return wallet.credential(
            i,
            token,
            proofs,
            dpopKey === undefined ? undefined : { key: dpopKey, nonce: dpopNonce },
          );
        }),
      );
      const credentials: string[] = [];
      for (const res of responses) {
        const text = await res.text();
        expect(res.status, text).toBe(200);
        credentials.push(
          ...(JSON.parse(text) as { credentials: Array<{ credential: string }> }).credentials.map(
            (c) => c.credential,
          ),
        );
      }
      expect(credentials).toHaveLength(100);
      const entries = credentials.map(statusOf);
      expect(new Set(entries.map((entry) => `${entry.uri}#${entry.idx}`)).size).toBe(100);
      // One list (far from half full), and the same 100 entries as the database records.
      expect(new Set(entries.map((entry) => entry.uri))).toEqual(
        new Set([
          `${wallet.app(0).deps.publicUrl.replace(/\/+$/, '')}/v1/status-lists/${tenant.tenant.slug}/1`,
        ]),
      );
      const { rows } = await apps()[0].deps.db.query<{ idx: number }>(
        'SELECT idx FROM issued_credentials WHERE tenant_id = $1',
        [tenant.tenant.id],
      );
      expect(rows.map((row) => row.idx).sort((x, y) => x - y)).toEqual(
        entries.map((entry) => entry.idx).sort((x, y) => x - y),
      );
    },
  );
}

describeCluster('issuance on two processes sharing Postgres and Redis', {}, (cluster) => {
  concurrencyProperties(() => [cluster.a, cluster.b]);
});

describeBackends('issuance on two processes sharing Postgres, without Redis', (shared) => {
  const apps: RunningApp[] = [];
  beforeAll(async () => {
    apps.push(await startApp({ db: shared.dbA }), await startApp({ db: shared.dbB }));
  });
  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  describe('c_nonces and DPoP proof identifiers in the database', () => {
    concurrencyProperties(() => [apps[0] as RunningApp, apps[1] as RunningApp]);
  });
});
