// Issuance under concurrency, on two app processes of one deployment: a pre-authorized code is
// exchanged once, a c_nonce backs one credential request, and concurrent issuances never share a
// status list entry. Run with shared Postgres and Redis (the Redis c_nonce and DPoP replay stores)
// and with shared Postgres alone (their SQL stores).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, describeBackends, describeCluster, type RunningApp, startApp } from './harness.js';
import {
  bearer,
  credentialPayload,
  grant,
  type IssuanceTenant,
  type IssuanceWallet,
  issuanceTenant,
  issuanceTenants,
  issuanceWallet,
  type Key,
  newKey,
  proofsBody,
  SIGNING_PROFILES,
  type SigningProfile,
} from './issuance-client.js';

/** `POST /v1/token` on process `via`, with a DPoP proof by `dpopKey` when given. */
function exchangeOn(
  wallet: IssuanceWallet,
  via: number,
  code: string,
  dpopKey?: { key: Key; nonce: string },
) {
  const headers =
    dpopKey === undefined ? {} : { dpop: wallet.dpop(dpopKey.key, '/v1/token', { nonce: dpopKey.nonce }) };
  return wallet.tokenRequest(grant(code), headers, via);
}

/** `POST /v1/credential` on process `via` with `proofs`, Bearer or DPoP by `dpopKey`. */
function credentialOn(
  wallet: IssuanceWallet,
  via: number,
  token: string,
  proofs: string[],
  dpopKey?: { key: Key; nonce: string },
) {
  const headers =
    dpopKey === undefined
      ? bearer(token)
      : wallet.dpopAuthorization(dpopKey.key, token, { nonce: dpopKey.nonce });
  return wallet.credentialRequest(proofsBody(proofs), headers, { via });
}

/** What an access token request needs per profile: es256_x509 proves a DPoP key with a server nonce. */
async function accessToken(
  wallet: IssuanceWallet,
  tenant: IssuanceTenant,
  profile: SigningProfile,
): Promise<{ token: string; dpopKey: Key | undefined }> {
  const dpopKey = profile === 'es256_x509' ? newKey() : undefined;
  return { token: await wallet.accessToken(tenant, dpopKey), dpopKey };
}

/**
 * Of concurrent `responses`, exactly one is a 200 and every other is the 400 OAuth error
 * `refusal`; returns the one 200's body.
 */
async function expectOneWinner(
  responses: Response[],
  refusal: { error: string; error_description: string },
): Promise<Record<string, unknown> | undefined> {
  const answers = await Promise.all(
    responses.map(async (res) => ({ status: res.status, body: await body<Record<string, unknown>>(res) })),
  );
  const won = answers.filter((answer) => answer.status === 200);
  expect(won).toHaveLength(1);
  const refused = answers.filter((answer) => answer.status !== 200);
  expect(refused).toHaveLength(responses.length - 1);
  for (const answer of refused) expect(answer).toEqual({ status: 400, body: refusal });
  return won[0]?.body;
}

/** The concurrency properties, against two processes of one deployment. */
function concurrencyProperties(apps: () => [RunningApp, RunningApp]) {
  // Offers are made on process 0 and read on process 1, grants cross processes the same way.
  const wallet = issuanceWallet(apps);
  let tenants: Record<SigningProfile, IssuanceTenant>;
  beforeAll(async () => {
    tenants = await issuanceTenants(apps()[0]);
  });
  const tenantOf = (profile: SigningProfile) => tenants[profile];

  it.each(SIGNING_PROFILES)(
    'exchanges a code once among 50 concurrent requests on both processes (%s)',
    async (profile) => {
      const { offerId, code } = await wallet.offer(tenantOf(profile));
      const { dpopNonce } = await wallet.nonces(0);
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          exchangeOn(
            wallet,
            i,
            code,
            profile === 'es256_x509' ? { key: newKey(), nonce: dpopNonce } : undefined,
          ),
        ),
      );
      await expectOneWinner(responses, {
        error: 'invalid_grant',
        error_description: 'Pre-authorized code is expired or has already been used',
      });
      // The one winner spent the code: the offer document is gone on both processes.
      for (const via of [0, 1])
        expect((await wallet.app(via).request(`/v1/offers/${offerId}`)).status).toBe(404);
    },
  );

  it.each(SIGNING_PROFILES)(
    'issues once among 20 concurrent credential requests sharing one c_nonce (%s): the others get invalid_nonce',
    async (profile) => {
      const tenant = tenantOf(profile);
      const { token, dpopKey } = await accessToken(wallet, tenant, profile);
      const { cNonce, dpopNonce } = await wallet.nonces(1);
      // Each request its own holder key and, for DPoP, its own fresh proof (a new jti).
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          credentialOn(
            wallet,
            i,
            token,
            [wallet.keyProof(newKey(), tenant, cNonce)],
            dpopKey === undefined ? undefined : { key: dpopKey, nonce: dpopNonce },
          ),
        ),
      );
      const issued = await expectOneWinner(responses, {
        error: 'invalid_nonce',
        error_description: 'The proof nonce is unknown, expired or already used',
      });
      expect(issued?.credentials).toHaveLength(1);
    },
  );

  it.each(SIGNING_PROFILES)(
    'gives 100 concurrent issuances (10 requests of 10 proofs on both processes) 100 distinct status entries (%s)',
    async (profile) => {
      // A tenant of its own, so the entries counted are exactly this test's.
      const tenant = await issuanceTenant(apps()[0], profile);
      const grants = await Promise.all(
        Array.from({ length: 10 }, () => accessToken(wallet, tenant, profile)),
      );
      const nonces = await Promise.all(grants.map((_, i) => wallet.nonces(i)));
      const responses = await Promise.all(
        grants.map(({ token, dpopKey }, i) => {
          const { cNonce, dpopNonce } = nonces[i] as { cNonce: string; dpopNonce: string };
          const proofs = Array.from({ length: 10 }, () => wallet.keyProof(newKey(), tenant, cNonce));
          return credentialOn(
            wallet,
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
      const entries = credentials.map(
        (credential) =>
          credentialPayload<{ status: { status_list: { idx: number; uri: string } } }>(credential).status
            .status_list,
      );
      expect(new Set(entries.map((entry) => `${entry.uri}#${entry.idx}`)).size).toBe(100);
      // One list (far from half full), and the same 100 entries as the database records.
      expect(new Set(entries.map((entry) => entry.uri))).toEqual(
        new Set([`${wallet.base}/v1/status-lists/${tenant.tenant.slug}/1`]),
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
