// The wallet side of pre-authorized code issuance, for the issuance tests: holder and DPoP keys,
// DPoP proofs and key proofs signed with node:crypto, and the requests a wallet (and the tenant
// that makes its offers) sends over HTTP. Apart from starting an app through the harness and
// reading the `PUBLIC_URL` it was given, every step goes through the app's routes, as a wallet's
// would. Every secret made here (private keys, codes, proofs, tx_codes) is noted in
// `issuedSecrets`, so the log check of the test file looks for it.
import {
  createHash,
  createPrivateKey,
  sign as cryptoSign,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import { generateJwkPair } from '@portcullis/testing';
import type { JWK } from 'jose';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  approvedTenant,
  body,
  didKeyPair,
  issuedSecrets,
  pgliteDatabase,
  type RunningApp,
  type StartOptions,
  startApp,
} from './harness.js';

/** The grant type of the pre-authorized code flow, the only one the issuer supports. */
export const PRE_AUTHORIZED = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
/** The credential configuration every tenant offers. */
export const CONFIG_ID = 'TuringCerts_Standard_Credential_v2_sd_jwt';
/** Claims an offer of {@link CONFIG_ID} accepts. */
export const CLAIMS = {
  credentialName: 'Certified Kubernetes Administrator',
  issuedTime: '2026-01-31T12:00:00Z',
};
/** Both signing profiles, for suites that run once per profile. */
export const SIGNING_PROFILES = ['eddsa_did', 'es256_x509'] as const;
/** A tenant's signing profile: did:key with EdDSA, or ES256 with an x5c chain to the local CA. */
export type SigningProfile = (typeof SIGNING_PROFILES)[number];
/** An approved tenant, logged in: its API key makes offers, its token calls the tenant API. */
export type IssuanceTenant = Awaited<ReturnType<typeof approvedTenant>>;

// ---------------------------------------------------------------------------------------------
// The app and its tenants

/**
 * Creates and approves a tenant of `profile` on `app` through the operator API, and logs it in.
 *
 * @example
 * const es256 = await issuanceTenant(app, 'es256_x509');
 * await wallet.offer(es256);
 */
export function issuanceTenant(app: RunningApp, profile: SigningProfile): Promise<IssuanceTenant> {
  return approvedTenant(app, { signingProfile: profile });
}

/**
 * One approved tenant of each signing profile on `app`, onboarded one after the other.
 *
 * @example
 * const { eddsa_did: eddsa, es256_x509: es256 } = await issuanceTenants(app);
 */
export async function issuanceTenants(app: RunningApp): Promise<Record<SigningProfile, IssuanceTenant>> {
  const tenants: Partial<Record<SigningProfile, IssuanceTenant>> = {};
  for (const profile of SIGNING_PROFILES) tenants[profile] = await issuanceTenant(app, profile);
  return tenants as Record<SigningProfile, IssuanceTenant>;
}

/**
 * One app on a fresh in-memory PGlite database for the enclosing file or suite: started in a
 * `beforeAll` with `PUBLIC_URL` its own loopback URL (so a wallet can follow every URL it
 * announces) and closed with its database in an `afterAll`. Call it at the top of a file or a
 * `describe`; the returned app forwards to the started one and may be used from any hook or test
 * registered after it.
 *
 * @example
 * let skew = 0;
 * const app = pgliteIssuer({ now: () => Date.now() + skew });
 * it('serves the nonce endpoint', async () => {
 *   expect((await app.request('/v1/nonce', { method: 'POST' })).status).toBe(200);
 * });
 */
export function pgliteIssuer(options: Omit<StartOptions, 'db' | 'publicUrl'> = {}): RunningApp {
  let running: { db: Awaited<ReturnType<typeof pgliteDatabase>>; app?: RunningApp } | undefined;
  beforeAll(async () => {
    running = { db: await pgliteDatabase() };
    running.app = await startApp({ ...options, db: running.db, publicUrl: 'self' });
  });
  afterAll(async () => {
    await running?.app?.close();
    await running?.db.close();
  });
  const started = (): RunningApp => {
    if (running?.app === undefined)
      throw new Error('the app starts in beforeAll: use it from a hook or test');
    return running.app;
  };
  return {
    get url() {
      return started().url;
    },
    get deps() {
      return started().deps;
    },
    request: (...args) => started().request(...args),
    admin: (...args) => started().admin(...args),
    close: () => started().close(),
    cutRedis: () => started().cutRedis(),
    crash: () => started().crash(),
  };
}

// ---------------------------------------------------------------------------------------------
// Keys and JWS

/** A holder or DPoP key pair of a wallet. */
export interface Key {
  alg: 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  publicJwk: JWK;
  /** The private JWK (with `d`), for tests of the refusal of private key material. */
  privateJwk: JWK;
}

/**
 * A fresh key pair (P-256 for ES256, Ed25519 for EdDSA); its private `d` is noted as a secret.
 *
 * @example
 * const holder = newKey('EdDSA');
 * wallet.keyProof(holder, tenant, cNonce);
 */
export function newKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Key {
  // As JWKs from the generation itself: see generateJwkPair (exporting can deadlock Node's GC).
  const jwks = generateJwkPair(alg);
  const privateJwk = jwks.privateJwk as JWK;
  issuedSecrets.add(privateJwk.d as string);
  return {
    alg,
    privateKey: createPrivateKey({ key: jwks.privateJwk, format: 'jwk' }),
    publicJwk: jwks.publicJwk as JWK,
    privateJwk,
  };
}

/**
 * A fresh Ed25519 holder key with its did:key, for proofs that name the key by `kid` (the DID's
 * verification method, `did:key:<id>#<id>`) instead of carrying a `jwk`.
 *
 * @example
 * const holder = await didKeyHolder();
 * wallet.keyProof(holder, tenant, cNonce, { header: { jwk: undefined, kid: holder.kid } });
 */
export async function didKeyHolder(): Promise<Key & { did: string; kid: string }> {
  const { did, privateJwk } = await didKeyPair('EdDSA');
  const { d: _d, ...publicJwk } = privateJwk;
  return {
    alg: 'EdDSA',
    privateKey: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }),
    publicJwk,
    privateJwk,
    did,
    kid: `${did}#${did.slice('did:key:'.length)}`,
  };
}

/**
 * `value` as JSON in base64url, as a JWS header or payload.
 *
 * @example
 * base64urlJson({ alg: 'none' }); // 'eyJhbGciOiJub25lIn0'
 */
export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * A compact JWS over `header` and `payload` exactly as given (whatever `alg` the header claims),
 * signed by `key`: ES256 in JOSE r‖s form, EdDSA as Ed25519. The JWS is noted as a secret.
 *
 * @example
 * const jws = signJws({ typ: 'JWT', alg: key.alg, jwk: key.publicJwk }, { iat: 1 }, key);
 */
export function signJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: Key): string {
  const input = Buffer.from(`${base64urlJson(header)}.${base64urlJson(payload)}`);
  const signature =
    key.alg === 'ES256'
      ? cryptoSign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(null, input, key.privateKey);
  const jws = `${input.toString()}.${signature.toString('base64url')}`;
  issuedSecrets.add(jws);
  return jws;
}

// ---------------------------------------------------------------------------------------------
// Request parts

/**
 * Notes a 6-digit tx_code as a secret in the forms it would leak in (a JSON string, a form
 * parameter): the bare digits turn up by chance in the millisecond timestamps of log lines.
 *
 * @example
 * noteTxCode(created.tx_code);
 */
export function noteTxCode(txCode: string): void {
  issuedSecrets.add(`"${txCode}"`).add(`tx_code=${txCode}`);
}

/**
 * The token request form of a pre-authorized code, with `extra` parameters.
 *
 * @example
 * await wallet.tokenRequest(grant(offer.code, { tx_code: '123456' }));
 */
export function grant(code: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: PRE_AUTHORIZED, 'pre-authorized_code': code, ...extra };
}

/**
 * A credential request body of {@link CONFIG_ID} with the key proofs `jwt`.
 *
 * @example
 * await wallet.credentialRequest(proofsBody([proofA, proofB]), bearer(token));
 */
export function proofsBody(jwt: string[]): {
  credential_configuration_id: string;
  proofs: { jwt: string[] };
} {
  return { credential_configuration_id: CONFIG_ID, proofs: { jwt } };
}

/**
 * A credential request body of {@link CONFIG_ID} with one key proof.
 *
 * @example
 * await wallet.credentialRequest(single(proof), bearer(token));
 */
export function single(proof: string): ReturnType<typeof proofsBody> {
  return proofsBody([proof]);
}

/**
 * The Authorization header of an unbound access token.
 *
 * @example
 * await wallet.credentialRequest(single(proof), bearer(token));
 */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/**
 * The payload of an SD-JWT VC's issuer-signed JWT, read in the clear (no signature check).
 *
 * @example
 * const { status } = credentialPayload<{ status: { status_list: { idx: number; uri: string } } }>(vc);
 */
export function credentialPayload<T>(sdJwt: string): T {
  const [jwt = ''] = sdJwt.split('~');
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as T;
}

// ---------------------------------------------------------------------------------------------
// The wallet

/** The endpoints a DPoP proof is made for. */
export type DpopEndpoint = '/v1/token' | '/v1/credential';

/** What a DPoP proof may change from a good one. */
export interface DpopOptions {
  htm?: string;
  htu?: string;
  /** A server nonce (`nonce`); none when absent. */
  nonce?: string | undefined;
  /** The access token the proof is for (`ath`); none when absent. */
  token?: string | undefined;
  /** Seconds since the epoch (default: the wallet's clock). */
  iat?: number;
  jti?: string;
  /** Header members added or replaced (`undefined` drops one). */
  header?: Record<string, unknown>;
  /** Payload members added or replaced (`undefined` drops one). */
  claims?: Record<string, unknown>;
  /** Signs with this key instead (a signature that does not verify against the header's jwk). */
  signer?: Key;
}

/** What a key proof may change from a good one. */
interface KeyProofOptions {
  /** Header members added or replaced (`undefined` drops one). */
  header?: Record<string, unknown>;
  /** Payload members added or replaced (`undefined` drops one). */
  claims?: Record<string, unknown>;
  /** Signs with this key instead (a signature that does not verify against the header's jwk). */
  signer?: Key;
}

/** What an offer carries beyond {@link CONFIG_ID}. */
interface OfferOptions {
  /** The offer's claims (default {@link CLAIMS}). */
  claims?: Record<string, unknown>;
  /** Sent as `tx_code` when given. */
  txCode?: boolean;
  /** Seconds, sent as `expires_in` when given. */
  expiresIn?: number;
}

/** The answer to `POST /v1/offers`. */
export interface CreatedOffer {
  offer_id: string;
  credential_offer_uri: string;
  deep_link: string;
  expires_at: string;
  tx_code?: string;
}

/** An offer as a wallet holds it: its id, its pre-authorized code and its tx_code if any. */
interface Offer {
  offerId: string;
  code: string;
  txCode: string | undefined;
}

/** A c_nonce and a DPoP nonce, from `POST /v1/nonce`. */
interface Nonces {
  cNonce: string;
  dpopNonce: string;
}

/** The answer to a successful token request. */
export interface TokenAnswer {
  access_token: string;
  token_type: 'DPoP' | 'Bearer';
  expires_in: number;
}

/** An issued credential as the tenant API lists it. */
export interface IssuedCredentialView {
  credential_id: string;
  offer_id: string;
  credential_configuration_id: string;
  status: 'valid' | 'suspended' | 'revoked';
  issued_at: string;
  status_list: { idx: number; uri: string };
}

/**
 * A wallet (and its tenant's offers) against one deployment. `via` picks the process of a
 * deployment of several that a request goes to (by index, modulo their number; 0 by default);
 * proofs name the deployment's one `PUBLIC_URL`, that of the first process.
 */
export interface IssuanceWallet {
  /** The deployment's `PUBLIC_URL` without a trailing slash: what `htu` and `aud` name. */
  readonly base: string;
  /** The process `via` names. */
  app(via?: number): RunningApp;
  /** The wallet's clock in seconds since the epoch (the `iat` of its proofs). */
  nowSeconds(): number;
  /** A DPoP proof (RFC 9449) by `key` for `POST <path>`, good unless `options` say otherwise. */
  dpop(key: Key, path: DpopEndpoint, options?: DpopOptions): string;
  /** A key proof (`openid4vci-proof+jwt`) by `key` for `tenant`'s issuer, with `nonce` unless undefined. */
  keyProof(key: Key, tenant: IssuanceTenant, nonce: string | undefined, options?: KeyProofOptions): string;
  /** `POST /v1/offers` with `json`, with `tenant`'s API key when given; the answer unread. */
  postOffer(tenant: IssuanceTenant | undefined, json: unknown, via?: number): Promise<Response>;
  /** Makes an offer of {@link CONFIG_ID} (expects 201; its tx_code is noted as a secret). */
  createOffer(tenant: IssuanceTenant, options?: OfferOptions, via?: number): Promise<CreatedOffer>;
  /**
   * Makes an offer on process 0 and reads its code from the public offer document on process 1
   * (expects 201 and 200; the code is noted as a secret).
   */
  offer(tenant: IssuanceTenant, options?: OfferOptions): Promise<Offer>;
  /** `POST /v1/nonce` (expects 200). */
  nonces(via?: number): Promise<Nonces>;
  /** `POST /v1/token` with a form body (a string is sent as is) and `headers`; the answer unread. */
  tokenRequest(
    form: Record<string, string> | string,
    headers?: Record<string, string>,
    via?: number,
  ): Promise<Response>;
  /**
   * Exchanges `code` on process 0, with a DPoP proof by `dpopKey` carrying a server nonce (from
   * process 1) when given. Expects 200 and a `DPoP` token with a key, `Bearer` without; returns
   * the access token.
   */
  exchange(code: string, dpopKey?: Key): Promise<string>;
  /** A fresh {@link IssuanceWallet.offer} of `tenant`'s, {@link IssuanceWallet.exchange}d. */
  accessToken(tenant: IssuanceTenant, dpopKey?: Key): Promise<string>;
  /** `POST /v1/credential` with a JSON body (a string is sent as is) and `headers`; the answer unread. */
  credentialRequest(
    json: unknown,
    headers?: Record<string, string>,
    options?: { query?: string; via?: number },
  ): Promise<Response>;
  /** A credential request's headers for a DPoP-bound `token`: the scheme and a proof by `key`. */
  dpopAuthorization(key: Key, token: string, options?: DpopOptions): { authorization: string; dpop: string };
  /** `GET /v1/credentials?offer_id=` with `tenant`'s API key (expects 200). */
  issuedCredentials(tenant: IssuanceTenant, offerId: string): Promise<IssuedCredentialView[]>;
}

/**
 * The wallet against the processes `apps` returns (asked at each request, so it can be made
 * before they start). `now` is the wallet's clock in milliseconds (default `Date.now`): tests
 * that move the app's clock give the wallet the same one.
 *
 * @example
 * const app = pgliteIssuer();
 * const wallet = issuanceWallet(() => [app]);
 * it('issues', async () => {
 *   const tenant = await issuanceTenant(app, 'eddsa_did');
 *   const token = await wallet.accessToken(tenant);
 *   const holder = newKey();
 *   const proof = wallet.keyProof(holder, tenant, (await wallet.nonces()).cNonce);
 *   expect((await wallet.credentialRequest(single(proof), bearer(token))).status).toBe(200);
 * });
 */
export function issuanceWallet(
  apps: () => readonly RunningApp[],
  options: { now?: () => number } = {},
): IssuanceWallet {
  const now = options.now ?? Date.now;
  const app = (via = 0): RunningApp => {
    const all = apps();
    return all[via % all.length] as RunningApp;
  };
  const base = (): string => app(0).deps.publicUrl.replace(/\/+$/, '');
  const nowSeconds = (): number => Math.floor(now() / 1000);

  const dpop = (key: Key, path: DpopEndpoint, proof: DpopOptions = {}): string =>
    signJws(
      { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...proof.header },
      {
        jti: proof.jti ?? randomUUID(),
        htm: proof.htm ?? 'POST',
        htu: proof.htu ?? `${base()}${path}`,
        iat: proof.iat ?? nowSeconds(),
        ...(proof.nonce === undefined ? {} : { nonce: proof.nonce }),
        ...(proof.token === undefined
          ? {}
          : { ath: createHash('sha256').update(proof.token).digest('base64url') }),
        ...proof.claims,
      },
      proof.signer ?? key,
    );

  const postOffer = (tenant: IssuanceTenant | undefined, json: unknown, via = 0): Promise<Response> =>
    app(via).request('/v1/offers', {
      method: 'POST',
      json,
      headers: tenant === undefined ? {} : { 'x-api-key': tenant.apiKey },
    });

  const createOffer = async (
    tenant: IssuanceTenant,
    offer: OfferOptions = {},
    via = 0,
  ): Promise<CreatedOffer> => {
    const res = await postOffer(
      tenant,
      {
        credential: { config_id: CONFIG_ID, claims: offer.claims ?? CLAIMS },
        flow: 'pre-authorized',
        ...(offer.txCode === undefined ? {} : { tx_code: offer.txCode }),
        ...(offer.expiresIn === undefined ? {} : { expires_in: offer.expiresIn }),
      },
      via,
    );
    expect(res.status).toBe(201);
    const created = await body<CreatedOffer>(res);
    if (created.tx_code !== undefined) noteTxCode(created.tx_code);
    return created;
  };

  const nonces = async (via = 0): Promise<Nonces> => {
    const res = await app(via).request('/v1/nonce', { method: 'POST' });
    expect(res.status).toBe(200);
    const dpopNonce = res.headers.get('dpop-nonce') as string;
    return { cNonce: (await body<{ c_nonce: string }>(res)).c_nonce, dpopNonce };
  };

  const tokenRequest = (
    form: Record<string, string> | string,
    headers: Record<string, string> = {},
    via = 0,
  ): Promise<Response> =>
    app(via).request('/v1/token', {
      method: 'POST',
      body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });

  const wallet: IssuanceWallet = {
    get base() {
      return base();
    },
    app,
    nowSeconds,
    dpop,
    keyProof: (key, tenant, nonce, proof = {}) =>
      signJws(
        { typ: 'openid4vci-proof+jwt', alg: key.alg, jwk: key.publicJwk, ...proof.header },
        {
          aud: `${base()}/${tenant.tenant.slug}`,
          iat: nowSeconds(),
          ...(nonce === undefined ? {} : { nonce }),
          ...proof.claims,
        },
        proof.signer ?? key,
      ),
    postOffer,
    createOffer,
    async offer(tenant, offer = {}) {
      const created = await createOffer(tenant, offer, 0);
      const document = await app(1).request(`/v1/offers/${created.offer_id}`);
      expect(document.status).toBe(200);
      const { grants } = await body<{ grants: Record<string, { 'pre-authorized_code': string }> }>(document);
      const code = grants[PRE_AUTHORIZED]?.['pre-authorized_code'] as string;
      issuedSecrets.add(code);
      return { offerId: created.offer_id, code, txCode: created.tx_code };
    },
    nonces,
    tokenRequest,
    async exchange(code, dpopKey) {
      const headers =
        dpopKey === undefined
          ? {}
          : { dpop: dpop(dpopKey, '/v1/token', { nonce: (await nonces(1)).dpopNonce }) };
      const res = await tokenRequest(grant(code), headers, 0);
      expect(res.status).toBe(200);
      const answer = await body<TokenAnswer>(res);
      expect(answer.token_type).toBe(dpopKey === undefined ? 'Bearer' : 'DPoP');
      return answer.access_token;
    },
    async accessToken(tenant, dpopKey) {
      return wallet.exchange((await wallet.offer(tenant)).code, dpopKey);
    },
    credentialRequest: (json, headers = {}, { query = '', via = 0 } = {}) =>
      app(via).request(`/v1/credential${query}`, {
        method: 'POST',
        body: typeof json === 'string' ? json : JSON.stringify(json),
        headers: { 'content-type': 'application/json', ...headers },
      }),
    dpopAuthorization: (key, token, proof = {}) => ({
      authorization: `DPoP ${token}`,
      dpop: dpop(key, '/v1/credential', { token, ...proof }),
    }),
    async issuedCredentials(tenant, offerId) {
      const res = await app(0).request(`/v1/credentials?offer_id=${offerId}`, {
        headers: { 'x-api-key': tenant.apiKey },
      });
      expect(res.status).toBe(200);
      return (await body<{ credentials: IssuedCredentialView[] }>(res)).credentials;
    },
  };
  return wallet;
}
