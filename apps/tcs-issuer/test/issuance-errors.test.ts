// Every error answer of the issuance endpoints, provoked through HTTP against PGlite: the token,
// nonce and credential endpoints in the OAuth format (`{ error, error_description }` and nothing
// else, `Cache-Control: no-store`, `WWW-Authenticate: DPoP …` on a 401, `DPoP-Nonce` on
// `use_dpop_nonce`), the DPoP table of both endpoints for both signing profiles, and the offer
// routes in the TCS format. Proofs are signed with real keys (node:crypto).
import {
  createHash,
  createHmac,
  createPrivateKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import type { Database } from '@portcullis/db';
import type { JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  approvedTenant,
  body,
  didKeyPair,
  issuedSecrets,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
  tenantAction,
} from './harness.js';

const PRE_AUTHORIZED = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const CONFIG_ID = 'TuringCerts_Standard_Credential_v2_sd_jwt';
const CLAIMS = { credentialName: 'Certified Kubernetes Administrator', issuedTime: '2026-01-31T12:00:00Z' };

let db: Database;
let app: RunningApp;
/** `PUBLIC_URL` of the app (its own loopback URL). */
let base: string;
/** Added to the real time by the app's clock: tests move it to expire codes, tokens and nonces. */
let skew = 0;
const now = () => Date.now() + skew;
const nowSeconds = () => Math.floor(now() / 1000);

type Tenant = Awaited<ReturnType<typeof approvedTenant>>;
let eddsa: Tenant;
let es256: Tenant;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db, publicUrl: 'self', now });
  base = app.url;
  eddsa = await approvedTenant(app, { signingProfile: 'eddsa_did' });
  es256 = await approvedTenant(app, { signingProfile: 'es256_x509' });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});
afterEach(() => {
  skew = 0;
});

// ---------------------------------------------------------------------------------------------
// Keys, JWS and proofs

interface Key {
  alg: 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  publicJwk: JWK;
  /** The private JWK (with `d`), for the refusal of private key material. */
  privateJwk: JWK;
}

/** A fresh holder or DPoP key; its private half is a secret of this file. */
function newKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Key {
  const pair =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
  issuedSecrets.add(privateJwk.d as string);
  return {
    alg,
    privateKey: pair.privateKey,
    publicJwk: pair.publicKey.export({ format: 'jwk' }) as JWK,
    privateJwk,
  };
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS over `header` and `payload`, signed by `key` (noted as a secret: proofs are). */
function signJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: Key): string {
  const input = Buffer.from(`${b64json(header)}.${b64json(payload)}`);
  const signature =
    key.alg === 'ES256'
      ? cryptoSign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(null, input, key.privateKey);
  const jws = `${input.toString()}.${signature.toString('base64url')}`;
  issuedSecrets.add(jws);
  return jws;
}

const sha256b64 = (text: string) => createHash('sha256').update(text).digest('base64url');

interface DpopOptions {
  htm?: string;
  htu?: string;
  nonce?: string | undefined;
  /** The access token the proof is for (`ath`). */
  token?: string;
  iat?: number;
  jti?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Signs with this key instead (a signature that does not verify against the header's jwk). */
  signer?: Key;
}

/** A DPoP proof (RFC 9449) by `key` for `POST <path>`. */
function dpop(key: Key, path: '/v1/token' | '/v1/credential', options: DpopOptions = {}): string {
  return signJws(
    { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header },
    {
      jti: options.jti ?? randomUUID(),
      htm: options.htm ?? 'POST',
      htu: options.htu ?? `${base}${path}`,
      iat: options.iat ?? nowSeconds(),
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      ...(options.token === undefined ? {} : { ath: sha256b64(options.token) }),
      ...options.claims,
    },
    options.signer ?? key,
  );
}

/** A key proof (`openid4vci-proof+jwt`) by `key` for `tenant` with `nonce`. */
function keyProof(
  key: Key,
  tenant: Tenant,
  nonce: string | undefined,
  options: { header?: Record<string, unknown>; claims?: Record<string, unknown>; signer?: Key } = {},
): string {
  return signJws(
    { typ: 'openid4vci-proof+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header },
    {
      aud: `${base}/${tenant.tenant.slug}`,
      iat: nowSeconds(),
      ...(nonce === undefined ? {} : { nonce }),
      ...options.claims,
    },
    options.signer ?? key,
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Offer {
  offerId: string;
  code: string;
  txCode: string | undefined;
}

const createOffer = (tenant: Tenant | undefined, json: unknown) =>
  app.request('/v1/offers', {
    method: 'POST',
    json,
    headers: tenant === undefined ? {} : { 'x-api-key': tenant.apiKey },
  });

/** Makes an offer and reads its code from the public offer document. */
async function newOffer(
  tenant: Tenant,
  options: { txCode?: boolean; expiresIn?: number } = {},
): Promise<Offer> {
  const res = await createOffer(tenant, {
    credential: { config_id: CONFIG_ID, claims: CLAIMS },
    flow: 'pre-authorized',
    ...(options.txCode === undefined ? {} : { tx_code: options.txCode }),
    ...(options.expiresIn === undefined ? {} : { expires_in: options.expiresIn }),
  });
  expect(res.status).toBe(201);
  const created = await body<{ offer_id: string; tx_code?: string }>(res);
  const document = await app.request(`/v1/offers/${created.offer_id}`);
  expect(document.status).toBe(200);
  const code = (await body<{ grants: Record<string, { 'pre-authorized_code': string }> }>(document)).grants[
    PRE_AUTHORIZED
  ]?.['pre-authorized_code'] as string;
  issuedSecrets.add(code);
  if (created.tx_code !== undefined) noteTxCode(created.tx_code);
  return { offerId: created.offer_id, code, txCode: created.tx_code };
}

/**
 * A 6-digit tx_code is noted as a secret in the forms it would leak in (a JSON string, a form
 * parameter): the bare digits turn up by chance in the millisecond timestamps of log lines.
 */
function noteTxCode(txCode: string): void {
  issuedSecrets.add(`"${txCode}"`).add(`tx_code=${txCode}`);
}

/** `POST /v1/token` with a form body (a string is sent as is). */
function tokenRequest(form: Record<string, string> | string, headers: Record<string, string> = {}) {
  return app.request('/v1/token', {
    method: 'POST',
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

const grant = (code: string, extra: Record<string, string> = {}) => ({
  grant_type: PRE_AUTHORIZED,
  'pre-authorized_code': code,
  ...extra,
});

/** `POST /v1/nonce`: a fresh c_nonce and DPoP nonce. */
async function nonces(): Promise<{ cNonce: string; dpopNonce: string }> {
  const res = await app.request('/v1/nonce', { method: 'POST' });
  expect(res.status).toBe(200);
  const dpopNonce = res.headers.get('dpop-nonce') as string;
  return { cNonce: (await body<{ c_nonce: string }>(res)).c_nonce, dpopNonce };
}
const cNonce = async () => (await nonces()).cNonce;
const dpopNonce = async () => (await nonces()).dpopNonce;

interface TokenAnswer {
  access_token: string;
  token_type: 'DPoP' | 'Bearer';
  expires_in: number;
}

/** An unbound (Bearer) access token of an eddsa_did offer. */
async function bearerToken(tenant: Tenant = eddsa): Promise<string> {
  const offer = await newOffer(tenant);
  const res = await tokenRequest(grant(offer.code));
  expect(res.status).toBe(200);
  const answer = await body<TokenAnswer>(res);
  expect(answer.token_type).toBe('Bearer');
  return answer.access_token;
}

/** A DPoP-bound access token (`cnf.jkt` of `key`), with a server nonce. */
async function boundToken(key: Key, tenant: Tenant = es256): Promise<string> {
  const offer = await newOffer(tenant);
  const res = await tokenRequest(grant(offer.code), {
    dpop: dpop(key, '/v1/token', { nonce: await dpopNonce() }),
  });
  expect(res.status).toBe(200);
  const answer = await body<TokenAnswer>(res);
  expect(answer.token_type).toBe('DPoP');
  return answer.access_token;
}

/** `POST /v1/credential` with a JSON body (a string is sent as is, as JSON). */
function credentialRequest(json: unknown, headers: Record<string, string> = {}, query = '') {
  return app.request(`/v1/credential${query}`, {
    method: 'POST',
    body: typeof json === 'string' ? json : JSON.stringify(json),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A DPoP credential request's headers: the token and a fresh proof with a server nonce. */
async function dpopHeaders(key: Key, token: string, options: DpopOptions = {}) {
  return {
    authorization: `DPoP ${token}`,
    dpop: dpop(key, '/v1/credential', { nonce: await dpopNonce(), token, ...options }),
  };
}

const single = (proof: string) => ({ credential_configuration_id: CONFIG_ID, proofs: { jwt: [proof] } });

// ---------------------------------------------------------------------------------------------
// Answer checks

interface OAuthErrorBody {
  error: string;
  error_description: string;
}

/**
 * The answer is exactly the OAuth error `error` with `status`: body `{ error, error_description }`
 * and nothing else, `Cache-Control: no-store`, a `WWW-Authenticate: DPoP error="…"` challenge on
 * a 401 and none otherwise. Returns the body.
 */
async function expectOAuthError(
  res: Response,
  status: number,
  error: string,
  description?: string | RegExp,
): Promise<OAuthErrorBody> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.headers.get('cache-control')).toBe('no-store');
  const answer = JSON.parse(text) as OAuthErrorBody;
  expect(Object.keys(answer).sort()).toEqual(['error', 'error_description']);
  expect(answer.error).toBe(error);
  expect(typeof answer.error_description).toBe('string');
  if (typeof description === 'string') expect(answer.error_description).toBe(description);
  else if (description !== undefined) expect(answer.error_description).toMatch(description);
  if (status === 401) {
    expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`^DPoP error="${error}"`));
  } else {
    expect(res.headers.get('www-authenticate')).toBeNull();
  }
  return answer;
}

/** The answer asks for a DPoP nonce: `use_dpop_nonce` with a fresh `DPoP-Nonce`, which it returns. */
async function expectUseNonce(res: Response, status: 400 | 401): Promise<string> {
  const nonce = res.headers.get('dpop-nonce');
  await expectOAuthError(res, status, 'use_dpop_nonce');
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{64}$/);
  return nonce as string;
}

/** A 200 credential answer: `no-store`, one SD-JWT VC per proof key, each bound to its key. */
async function expectCredentials(res: Response, keys: Key[]): Promise<string[]> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const answer = JSON.parse(text) as { credentials: Array<{ credential: string }> };
  expect(Object.keys(answer)).toEqual(['credentials']);
  expect(answer.credentials).toHaveLength(keys.length);
  return answer.credentials.map(({ credential }, i) => {
    const [jwt = ''] = credential.split('~');
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
      cnf: { jwk: JWK };
    };
    expect(payload.cnf.jwk).toMatchObject({ kty: keys[i]?.publicJwk.kty, x: keys[i]?.publicJwk.x });
    return credential;
  });
}

const TOKEN_CATALOG = {
  invalid_grant: 'Pre-authorized code is expired or has already been used',
  invalid_tx_code: 'The transaction code is wrong',
  unsupported_grant_type: 'Only the pre-authorized code grant is supported',
} as const;
const CREDENTIAL_CATALOG = {
  invalid_token: 'The access token is invalid or expired',
  invalid_request: 'The access token must be sent in the Authorization header',
  unknown_credential_configuration: 'The access token does not cover this credential configuration',
  unknown_credential_identifier: 'This issuer returns no credential identifiers',
  invalid_nonce: 'The proof nonce is unknown, expired or already used',
  invalid_encryption_parameters: 'Credential response encryption is not supported',
  credential_request_denied: 'The issuer no longer issues this credential',
} as const;

// ---------------------------------------------------------------------------------------------
// Token endpoint

describe('POST /v1/token', () => {
  it('grants an eddsa_did offer a Bearer token without DPoP, answered with Cache-Control: no-store', async () => {
    const offer = await newOffer(eddsa);
    const res = await tokenRequest(grant(offer.code));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const answer = await body<TokenAnswer>(res);
    expect(Object.keys(answer).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
  });

  it('answers a grant other than the pre-authorized code with unsupported_grant_type', async () => {
    const offer = await newOffer(eddsa);
    for (const grantType of ['authorization_code', 'client_credentials', `${PRE_AUTHORIZED}x`, '']) {
      const res = await tokenRequest({ grant_type: grantType, 'pre-authorized_code': offer.code });
      await expectOAuthError(res, 400, 'unsupported_grant_type', TOKEN_CATALOG.unsupported_grant_type);
    }
    // Nothing was spent.
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
  });

  it.each([
    ['no pre-authorized_code', { grant_type: PRE_AUTHORIZED }, 'pre-authorized_code is required'],
    [
      'an empty pre-authorized_code',
      { grant_type: PRE_AUTHORIZED, 'pre-authorized_code': '' },
      'pre-authorized_code is required',
    ],
    ['no grant_type', { 'pre-authorized_code': 'abc' }, /^grant_type: /],
  ])('answers %s with invalid_request naming it', async (_name, form, description) => {
    await expectOAuthError(await tokenRequest(form), 400, 'invalid_request', description);
  });

  it('answers an empty body with invalid_request naming the body', async () => {
    await expectOAuthError(await tokenRequest(''), 400, 'invalid_request', /^body: /);
  });

  it('refuses a parameter sent twice with invalid_request, naming it, whichever copy is right', async () => {
    const offer = await newOffer(eddsa);
    const code = encodeURIComponent(offer.code);
    const res = await tokenRequest(
      `grant_type=${encodeURIComponent(PRE_AUTHORIZED)}&pre-authorized_code=${code}&pre-authorized_code=${code}`,
    );
    await expectOAuthError(res, 400, 'invalid_request', 'pre-authorized_code is repeated');
    const twice = await tokenRequest(
      `grant_type=${encodeURIComponent(PRE_AUTHORIZED)}&grant_type=x&pre-authorized_code=${code}`,
    );
    await expectOAuthError(twice, 400, 'invalid_request', 'grant_type is repeated');
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
  });

  it('refuses a JSON body with invalid_request (the token endpoint takes a form)', async () => {
    const offer = await newOffer(eddsa);
    const res = await app.request('/v1/token', { method: 'POST', json: grant(offer.code) });
    await expectOAuthError(
      res,
      400,
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded',
    );
    const untyped = await app.request('/v1/token', {
      method: 'POST',
      body: new URLSearchParams(grant(offer.code)).toString(),
      headers: { 'content-type': 'text/plain' },
    });
    await expectOAuthError(
      untyped,
      400,
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded',
    );
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
  });

  it('answers an unknown code with invalid_grant', async () => {
    for (const code of ['no-such-code', 'x'.repeat(43), 'y'.repeat(600)]) {
      await expectOAuthError(
        await tokenRequest(grant(code)),
        400,
        'invalid_grant',
        TOKEN_CATALOG.invalid_grant,
      );
    }
  });

  it('answers a code past its offer’s expiry (by the app clock) with invalid_grant', async () => {
    const offer = await newOffer(eddsa, { expiresIn: 60 });
    skew = 61_000;
    await expectOAuthError(
      await tokenRequest(grant(offer.code)),
      400,
      'invalid_grant',
      TOKEN_CATALOG.invalid_grant,
    );
    skew = 0;
    // Still within its lifetime by the real clock, and expiry spent nothing: the app clock decides.
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
  });

  it('answers a code already exchanged with invalid_grant', async () => {
    const offer = await newOffer(eddsa);
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
    await expectOAuthError(
      await tokenRequest(grant(offer.code)),
      400,
      'invalid_grant',
      TOKEN_CATALOG.invalid_grant,
    );
  });

  describe('tx_code', () => {
    const wrong = (txCode: string, n: number) => String((Number(txCode) + n) % 1_000_000).padStart(6, '0');

    it('refuses an offer with a tx_code exchanged without it (invalid_request), and takes the right one', async () => {
      const offer = await newOffer(eddsa, { txCode: true });
      expect(offer.txCode).toMatch(/^[0-9]{6}$/);
      await expectOAuthError(
        await tokenRequest(grant(offer.code)),
        400,
        'invalid_request',
        'tx_code is required for this offer',
      );
      await expectOAuthError(
        await tokenRequest(grant(offer.code, { tx_code: '' })),
        400,
        'invalid_request',
        'tx_code is required for this offer',
      );
      expect((await tokenRequest(grant(offer.code, { tx_code: offer.txCode as string }))).status).toBe(200);
    });

    it('refuses a tx_code sent for an offer that has none (invalid_request)', async () => {
      const offer = await newOffer(eddsa);
      for (const txCode of ['123456', '']) {
        await expectOAuthError(
          await tokenRequest(grant(offer.code, { tx_code: txCode })),
          400,
          'invalid_request',
          'tx_code was not expected for this offer',
        );
      }
      expect((await tokenRequest(grant(offer.code))).status).toBe(200);
    });

    it('answers four wrong tx_codes with invalid_tx_code and still takes the right one', async () => {
      const offer = await newOffer(eddsa, { txCode: true });
      const txCode = offer.txCode as string;
      for (let n = 1; n <= 4; n++) {
        await expectOAuthError(
          await tokenRequest(grant(offer.code, { tx_code: wrong(txCode, n) })),
          400,
          'invalid_tx_code',
          TOKEN_CATALOG.invalid_tx_code,
        );
      }
      expect((await tokenRequest(grant(offer.code, { tx_code: txCode }))).status).toBe(200);
    });

    it('spends the code at the fifth wrong tx_code (invalid_grant): the right one is refused afterwards', async () => {
      const offer = await newOffer(eddsa, { txCode: true });
      const txCode = offer.txCode as string;
      for (let n = 1; n <= 4; n++) {
        await expectOAuthError(
          await tokenRequest(grant(offer.code, { tx_code: wrong(txCode, n) })),
          400,
          'invalid_tx_code',
        );
      }
      await expectOAuthError(
        await tokenRequest(grant(offer.code, { tx_code: wrong(txCode, 5) })),
        400,
        'invalid_grant',
        TOKEN_CATALOG.invalid_grant,
      );
      await expectOAuthError(
        await tokenRequest(grant(offer.code, { tx_code: txCode })),
        400,
        'invalid_grant',
        TOKEN_CATALOG.invalid_grant,
      );
      // The offer document is gone with it.
      expect((await app.request(`/v1/offers/${offer.offerId}`)).status).toBe(404);
    });
  });

  it('ignores client_id, client_assertion, user_pin, resource, authorization_details and unknown parameters', async () => {
    const offer = await newOffer(eddsa);
    const res = await tokenRequest(
      grant(offer.code, {
        client_id: 'wallet',
        client_assertion: 'eyJhbGciOiJub25lIn0.e30.',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        user_pin: '1234',
        resource: 'https://rs.example',
        authorization_details: '[{"type":"openid_credential"}]',
        something_else: 'x',
      }),
    );
    expect(res.status).toBe(200);
    expect((await body<TokenAnswer>(res)).token_type).toBe('Bearer');
  });
});

describe('POST /v1/token, DPoP', () => {
  it('binds an es256_x509 token to the DPoP key once the proof carries a server nonce', async () => {
    const key = newKey();
    const offer = await newOffer(es256);
    const first = await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token') });
    const nonce = await expectUseNonce(first, 400);
    const res = await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token', { nonce }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await body<TokenAnswer>(res)).token_type).toBe('DPoP');
  });

  it('refuses an es256_x509 exchange without DPoP with invalid_dpop_proof, leaving the code usable', async () => {
    const offer = await newOffer(es256);
    const res = await tokenRequest(grant(offer.code));
    expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{64}$/);
    await expectOAuthError(res, 400, 'invalid_dpop_proof', 'DPoP proof required');
    expect(
      (
        await tokenRequest(grant(offer.code), {
          dpop: dpop(newKey(), '/v1/token', { nonce: await dpopNonce() }),
        })
      ).status,
    ).toBe(200);
  });

  it('asks again for a nonce (use_dpop_nonce) when the proof’s nonce is stale or forged', async () => {
    const key = newKey();
    const offer = await newOffer(es256);
    const stale = await dpopNonce();
    skew = 301_000;
    await expectUseNonce(
      await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token', { nonce: stale }) }),
      400,
    );
    const forged = `${stale.slice(0, -4)}AAAA`;
    await expectUseNonce(
      await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token', { nonce: forged }) }),
      400,
    );
    const fresh = await dpopNonce();
    expect(
      (await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token', { nonce: fresh }) })).status,
    ).toBe(200);
  });

  // Each row breaks one rule of the proof; every refusal is a 400 and leaves the code usable.
  const badProofs: Array<[string, (key: Key, nonce: string) => string | string[], string]> = [
    ['not a JWS', () => 'not-a-jws', 'DPoP proof is not a compact JWS'],
    [
      'typ JWT',
      (key, nonce) => dpop(key, '/v1/token', { nonce, header: { typ: 'JWT' } }),
      'typ is not dpop+jwt',
    ],
    [
      'alg none',
      (key, nonce) => dpop(key, '/v1/token', { nonce, header: { alg: 'none' } }),
      'alg is not an accepted algorithm',
    ],
    [
      'a signature by another key',
      (key, nonce) => dpop(key, '/v1/token', { nonce, signer: newKey() }),
      'signature does not verify',
    ],
    [
      'private key material in jwk',
      (key, nonce) => dpop(key, '/v1/token', { nonce, header: { jwk: key.privateJwk } }),
      'jwk contains private key material',
    ],
    [
      'htm GET',
      (key, nonce) => dpop(key, '/v1/token', { nonce, htm: 'GET' }),
      'htm does not match the request method',
    ],
    [
      'the htu of another endpoint',
      (key, nonce) => dpop(key, '/v1/token', { nonce, htu: `${base}/v1/credential` }),
      'htu does not match the request URL',
    ],
    [
      'an iat ten minutes old',
      (key, nonce) => dpop(key, '/v1/token', { nonce, iat: nowSeconds() - 600 }),
      'proof is too old',
    ],
    [
      'no jti',
      (key, nonce) => dpop(key, '/v1/token', { nonce, claims: { jti: undefined } }),
      'jti is missing, empty or longer than 256 characters',
    ],
    [
      'an ath without an access token',
      (key, nonce) => dpop(key, '/v1/token', { nonce, token: 'some-token' }),
      'ath is present but no access token was presented',
    ],
  ];

  it.each(badProofs)(
    'refuses a proof with %s (400 invalid_dpop_proof), leaving the code usable',
    async (_rule, make, reason) => {
      const key = newKey();
      const offer = await newOffer(es256);
      const res = await tokenRequest(grant(offer.code), { dpop: make(key, await dpopNonce()) as string });
      await expectOAuthError(res, 400, 'invalid_dpop_proof', reason);
      expect(
        (
          await tokenRequest(grant(offer.code), {
            dpop: dpop(key, '/v1/token', { nonce: await dpopNonce() }),
          })
        ).status,
      ).toBe(200);
    },
  );

  it('refuses a replayed proof (same jti) with invalid_dpop_proof', async () => {
    const key = newKey();
    const proof = dpop(key, '/v1/token', { nonce: await dpopNonce() });
    expect((await tokenRequest(grant((await newOffer(es256)).code), { dpop: proof })).status).toBe(200);
    await expectOAuthError(
      await tokenRequest(grant((await newOffer(es256)).code), { dpop: proof }),
      400,
      'invalid_dpop_proof',
      'jti has already been used',
    );
  });

  it('refuses two DPoP headers with invalid_dpop_proof', async () => {
    const key = newKey();
    const offer = await newOffer(es256);
    const nonce = await dpopNonce();
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
    headers.append('dpop', dpop(key, '/v1/token', { nonce }));
    headers.append('dpop', dpop(key, '/v1/token', { nonce }));
    const res = await fetch(`${base}/v1/token`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(grant(offer.code)).toString(),
    });
    await expectOAuthError(res, 400, 'invalid_dpop_proof');
  });

  it('leaves a tx_code offer’s code and attempts untouched by requests refused for their DPoP proof', async () => {
    const key = newKey();
    const offer = await newOffer(es256, { txCode: true });
    const txCode = offer.txCode as string;
    const wrongCode = String((Number(txCode) + 1) % 1_000_000).padStart(6, '0');
    // Five wrong tx_codes, each refused for its proof before the tx_code is looked at.
    for (let i = 0; i < 5; i++) {
      await expectOAuthError(
        await tokenRequest(grant(offer.code, { tx_code: wrongCode }), {
          dpop: dpop(key, '/v1/token', { htm: 'PUT' }),
        }),
        400,
        'invalid_dpop_proof',
      );
    }
    const res = await tokenRequest(grant(offer.code, { tx_code: txCode }), {
      dpop: dpop(key, '/v1/token', { nonce: await dpopNonce() }),
    });
    expect(res.status).toBe(200);
  });

  it('binds an eddsa_did token when a proof is sent without a nonce, and checks the proof it gets', async () => {
    const key = newKey('EdDSA');
    const offer = await newOffer(eddsa);
    await expectOAuthError(
      await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token', { htm: 'GET' }) }),
      400,
      'invalid_dpop_proof',
      'htm does not match the request method',
    );
    const res = await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token') });
    expect(res.status).toBe(200);
    expect((await body<TokenAnswer>(res)).token_type).toBe('DPoP');
  });

  it('checks the nonce of an eddsa_did proof that carries one (use_dpop_nonce when stale)', async () => {
    const key = newKey();
    const offer = await newOffer(eddsa);
    const stale = await dpopNonce();
    skew = 301_000;
    await expectUseNonce(
      await tokenRequest(grant(offer.code), { dpop: dpop(key, '/v1/token', { nonce: stale }) }),
      400,
    );
  });
});

describe('POST /v1/nonce', () => {
  it('answers a fresh c_nonce and DPoP-Nonce with Cache-Control: no-store', async () => {
    const res = await app.request('/v1/nonce', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const answer = await body<{ c_nonce: string }>(res);
    expect(Object.keys(answer)).toEqual(['c_nonce']);
    expect(answer.c_nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await cNonce()) === answer.c_nonce).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Credential endpoint: the request

describe('POST /v1/credential, the request', () => {
  let token: string;
  const send = (json: unknown, query = '') => credentialRequest(json, bearer(token), query);
  beforeAll(async () => {
    token = await bearerToken();
  });

  it('issues one credential bound to the proof key, answered with Cache-Control: no-store', async () => {
    const key = newKey();
    await expectCredentials(await send(single(keyProof(key, eddsa, await cNonce()))), [key]);
  });

  it('accepts a proof naming its key by a did:key kid, and the pre-1.0 single proof', async () => {
    const { did, privateJwk } = await didKeyPair('EdDSA');
    const { d: _d, ...publicJwk } = privateJwk;
    const didKey: Key = {
      alg: 'EdDSA',
      privateKey: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }),
      publicJwk,
      privateJwk,
    };
    const kid = `${did}#${did.slice('did:key:'.length)}`;
    const byKid = keyProof(didKey, eddsa, await cNonce(), { header: { jwk: undefined, kid } });
    await expectCredentials(await send(single(byKid)), [didKey]);
    const key = newKey();
    const legacy = {
      credential_configuration_id: CONFIG_ID,
      proof: { proof_type: 'jwt', jwt: keyProof(key, eddsa, await cNonce()) },
    };
    await expectCredentials(await send(legacy), [key]);
  });

  it.each([
    ['an array', '[]', /^body: /],
    ['a string', '"x"', /^body: /],
    ['null', 'null', /^body: /],
    ['text that is no JSON', '{"credential_configuration_id":', 'The body must be a JSON object'],
  ])('refuses %s as body with invalid_credential_request', async (_name, text, description) => {
    await expectOAuthError(await send(text), 400, 'invalid_credential_request', description);
  });

  it('refuses an empty body with invalid_credential_request', async () => {
    const res = await app.request('/v1/credential', { method: 'POST', headers: bearer(token) });
    await expectOAuthError(res, 400, 'invalid_credential_request', /^body: /);
  });

  it('refuses proof together with proofs with invalid_credential_request', async () => {
    const proof = keyProof(newKey(), eddsa, await cNonce());
    const res = await send({ ...single(proof), proof: { proof_type: 'jwt', jwt: proof } });
    await expectOAuthError(
      res,
      400,
      'invalid_credential_request',
      'proof and proofs must not be sent together',
    );
  });

  it('refuses both and neither of credential_configuration_id and credential_identifier', async () => {
    const proofs = { jwt: [keyProof(newKey(), eddsa, await cNonce())] };
    const message = 'Exactly one of credential_configuration_id and credential_identifier is required';
    await expectOAuthError(
      await send({ credential_configuration_id: CONFIG_ID, credential_identifier: 'x', proofs }),
      400,
      'invalid_credential_request',
      message,
    );
    await expectOAuthError(await send({ proofs }), 400, 'invalid_credential_request', message);
  });

  it('refuses eleven proofs with invalid_credential_request (ten at most), consuming no nonce', async () => {
    const nonce = await cNonce();
    const keys = Array.from({ length: 11 }, () => newKey());
    const jwt = keys.map((key) => keyProof(key, eddsa, nonce));
    await expectOAuthError(
      await send({ credential_configuration_id: CONFIG_ID, proofs: { jwt } }),
      400,
      'invalid_credential_request',
      'At most 10 proofs per request',
    );
    const res = await send({ credential_configuration_id: CONFIG_ID, proofs: { jwt: jwt.slice(0, 10) } });
    await expectCredentials(res, keys.slice(0, 10));
  });

  it('refuses two proof types with invalid_credential_request', async () => {
    const proof = keyProof(newKey(), eddsa, await cNonce());
    await expectOAuthError(
      await send({ credential_configuration_id: CONFIG_ID, proofs: { jwt: [proof], ldp_vp: [{}] } }),
      400,
      'invalid_credential_request',
      'proofs must carry one proof type',
    );
  });

  it('answers a configuration the token does not cover with unknown_credential_configuration', async () => {
    const proofs = { jwt: [keyProof(newKey(), eddsa, await cNonce())] };
    for (const id of ['Other_Credential', '__proto__', 'toString']) {
      await expectOAuthError(
        await send({ credential_configuration_id: id, proofs }),
        400,
        'unknown_credential_configuration',
        CREDENTIAL_CATALOG.unknown_credential_configuration,
      );
    }
  });

  it('answers any credential_identifier with unknown_credential_identifier', async () => {
    const proofs = { jwt: [keyProof(newKey(), eddsa, await cNonce())] };
    await expectOAuthError(
      await send({ credential_identifier: 'cred-1', proofs }),
      400,
      'unknown_credential_identifier',
      CREDENTIAL_CATALOG.unknown_credential_identifier,
    );
  });

  it('answers credential_response_encryption with invalid_encryption_parameters', async () => {
    const proof = keyProof(newKey(), eddsa, await cNonce());
    const res = await send({
      ...single(proof),
      credential_response_encryption: { jwk: newKey().publicJwk, alg: 'ECDH-ES', enc: 'A128GCM' },
    });
    await expectOAuthError(
      res,
      400,
      'invalid_encryption_parameters',
      CREDENTIAL_CATALOG.invalid_encryption_parameters,
    );
  });

  it('refuses an access token in the query string or the body with invalid_request', async () => {
    const proof = keyProof(newKey(), eddsa, await cNonce());
    const inQuery = await credentialRequest(single(proof), {}, `?access_token=${encodeURIComponent(token)}`);
    await expectOAuthError(inQuery, 400, 'invalid_request', CREDENTIAL_CATALOG.invalid_request);
    const both = await send(single(proof), `?access_token=${encodeURIComponent(token)}`);
    await expectOAuthError(both, 400, 'invalid_request', CREDENTIAL_CATALOG.invalid_request);
    const inBody = await send({ ...single(proof), access_token: token });
    await expectOAuthError(inBody, 400, 'invalid_request', CREDENTIAL_CATALOG.invalid_request);
  });

  it('answers a request of a tenant suspended after the token with credential_request_denied', async () => {
    const tenant = await approvedTenant(app, { signingProfile: 'eddsa_did' });
    const tenantToken = await bearerToken(tenant);
    await tenantAction(app, tenant.tenant.slug, 'suspend');
    const res = await credentialRequest(
      single(keyProof(newKey(), tenant, await cNonce())),
      bearer(tenantToken),
    );
    await expectOAuthError(
      res,
      400,
      'credential_request_denied',
      CREDENTIAL_CATALOG.credential_request_denied,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Credential endpoint: key proofs and c_nonce

describe('POST /v1/credential, key proofs', () => {
  let token: string;
  const send = (json: unknown) => credentialRequest(json, bearer(token));
  beforeAll(async () => {
    token = await bearerToken();
  });

  const cases: Array<[string, (key: Key, nonce: string) => unknown, string]> = [
    ['a proof that is no JWT', () => 'not.a-jwt', 'A proof must be a compact JWT'],
    ['a proof that is no string', () => ({ jwt: 'x' }), 'A proof must be a compact JWT'],
    [
      'a bad signature',
      (key, nonce) => keyProof(key, eddsa, nonce, { signer: newKey() }),
      'The proof signature does not verify',
    ],
    [
      'typ JWT',
      (key, nonce) => keyProof(key, eddsa, nonce, { header: { typ: 'JWT' } }),
      'The proof typ must be openid4vci-proof+jwt',
    ],
    [
      'typ dpop+jwt',
      (key, nonce) => keyProof(key, eddsa, nonce, { header: { typ: 'dpop+jwt' } }),
      'The proof typ must be openid4vci-proof+jwt',
    ],
    [
      'alg HS256',
      (key, nonce) => {
        const header = b64json({ typ: 'openid4vci-proof+jwt', alg: 'HS256', jwk: key.publicJwk });
        const payload = b64json({ aud: `${base}/${eddsa.tenant.slug}`, iat: nowSeconds(), nonce });
        const mac = createHmac('sha256', JSON.stringify(key.publicJwk))
          .update(`${header}.${payload}`)
          .digest('base64url');
        return `${header}.${payload}.${mac}`;
      },
      'The proof alg is not supported',
    ],
    [
      'an aud of another issuer',
      (key, nonce) => keyProof(key, eddsa, nonce, { claims: { aud: `${base}/${es256.tenant.slug}` } }),
      'The proof aud must be the credential issuer identifier',
    ],
    [
      'an aud of the bare server',
      (key, nonce) => keyProof(key, eddsa, nonce, { claims: { aud: base } }),
      'The proof aud must be the credential issuer identifier',
    ],
    [
      'an iat ten minutes old',
      (key, nonce) => keyProof(key, eddsa, nonce, { claims: { iat: nowSeconds() - 600 } }),
      'The proof iat is too old or in the future',
    ],
    [
      'no iat',
      (key, nonce) => keyProof(key, eddsa, nonce, { claims: { iat: undefined } }),
      'The proof iat is missing',
    ],
    [
      'a private d in its jwk',
      (key, nonce) => keyProof(key, eddsa, nonce, { header: { jwk: key.privateJwk } }),
      'The proof jwk holds private key material',
    ],
    [
      'an iss',
      (key, nonce) => keyProof(key, eddsa, nonce, { claims: { iss: 'wallet' } }),
      'The proof must not carry iss for an anonymous pre-authorized grant',
    ],
    ['no nonce', (key) => keyProof(key, eddsa, undefined), 'The proof carries no nonce'],
    [
      'both jwk and kid',
      (key, nonce) =>
        keyProof(key, eddsa, nonce, {
          header: {
            kid: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
          },
        }),
      'The proof header must carry exactly one of jwk or kid',
    ],
    [
      'neither jwk nor kid',
      (key, nonce) => keyProof(key, eddsa, nonce, { header: { jwk: undefined } }),
      'The proof header must carry exactly one of jwk or kid',
    ],
    [
      'a kid that is no did:key',
      (key, nonce) => keyProof(key, eddsa, nonce, { header: { jwk: undefined, kid: 'key-1' } }),
      'The proof kid is not a did:key verification method',
    ],
  ];

  it.each(cases)('refuses %s with invalid_proof, consuming no nonce', async (_name, make, description) => {
    const key = newKey();
    const nonce = await cNonce();
    await expectOAuthError(await send(single(make(key, nonce) as string)), 400, 'invalid_proof', description);
    await expectCredentials(await send(single(keyProof(key, eddsa, nonce))), [key]);
  });

  it.each([
    ['no proof at all', { credential_configuration_id: CONFIG_ID }, 'A key proof is required'],
    [
      'empty proofs',
      { credential_configuration_id: CONFIG_ID, proofs: { jwt: [] } },
      'proofs.jwt must hold at least one proof',
    ],
    [
      'proofs without a type',
      { credential_configuration_id: CONFIG_ID, proofs: {} },
      'proofs.jwt must hold at least one proof',
    ],
    [
      'an unsupported proof type',
      { credential_configuration_id: CONFIG_ID, proofs: { ldp_vp: [{}] } },
      'Only the jwt proof type is supported',
    ],
    [
      'a single proof of another type',
      { credential_configuration_id: CONFIG_ID, proof: { proof_type: 'cwt', cwt: 'x' } },
      'proof must be an object with proof_type jwt and a jwt',
    ],
  ])('refuses %s with invalid_proof', async (_name, json, description) => {
    await expectOAuthError(await send(json), 400, 'invalid_proof', description);
  });

  it('refuses a nonce it never issued with invalid_nonce', async () => {
    const key = newKey();
    for (const nonce of ['never-issued', 'A'.repeat(43), 'n'.repeat(200)]) {
      await expectOAuthError(
        await send(single(keyProof(key, eddsa, nonce))),
        400,
        'invalid_nonce',
        CREDENTIAL_CATALOG.invalid_nonce,
      );
    }
  });

  it('refuses a c_nonce used twice with invalid_nonce', async () => {
    const key = newKey();
    const nonce = await cNonce();
    await expectCredentials(await send(single(keyProof(key, eddsa, nonce))), [key]);
    await expectOAuthError(
      await send(single(keyProof(key, eddsa, nonce))),
      400,
      'invalid_nonce',
      CREDENTIAL_CATALOG.invalid_nonce,
    );
  });

  it('refuses a c_nonce past its 300 s (by the app clock) with invalid_nonce', async () => {
    const nonce = await cNonce();
    skew = 240_000;
    const fresh = await bearerToken();
    skew = 301_000;
    const key = newKey();
    await expectOAuthError(
      await credentialRequest(single(keyProof(key, eddsa, nonce)), bearer(fresh)),
      400,
      'invalid_nonce',
      CREDENTIAL_CATALOG.invalid_nonce,
    );
  });

  it('refuses proofs of one request with different nonces with invalid_nonce, consuming neither', async () => {
    const [a, b] = [newKey(), newKey()];
    const [nonceA, nonceB] = [await cNonce(), await cNonce()];
    const res = await send({
      credential_configuration_id: CONFIG_ID,
      proofs: { jwt: [keyProof(a, eddsa, nonceA), keyProof(b, eddsa, nonceB)] },
    });
    await expectOAuthError(
      res,
      400,
      'invalid_nonce',
      'The proofs of one request must carry the same c_nonce',
    );
    await expectCredentials(await send(single(keyProof(a, eddsa, nonceA))), [a]);
    await expectCredentials(await send(single(keyProof(b, eddsa, nonceB))), [b]);
  });

  it('issues a batch of proofs sharing one c_nonce, one credential per key', async () => {
    const keys = [newKey(), newKey('EdDSA'), newKey()];
    const nonce = await cNonce();
    const res = await send({
      credential_configuration_id: CONFIG_ID,
      proofs: { jwt: keys.map((k) => keyProof(k, eddsa, nonce)) },
    });
    await expectCredentials(res, keys);
  });
});

// ---------------------------------------------------------------------------------------------
// Credential endpoint: the access token and DPoP

describe('POST /v1/credential, access token and DPoP', () => {
  it('issues to an es256_x509 DPoP-bound token with a proof carrying the server nonce', async () => {
    const dpopKey = newKey();
    const token = await boundToken(dpopKey);
    const holder = newKey();
    const res = await credentialRequest(
      single(keyProof(holder, es256, await cNonce())),
      await dpopHeaders(dpopKey, token),
    );
    await expectCredentials(res, [holder]);
  });

  it('issues to an eddsa_did Bearer token without DPoP', async () => {
    const holder = newKey('EdDSA');
    const res = await credentialRequest(
      single(keyProof(holder, eddsa, await cNonce())),
      bearer(await bearerToken()),
    );
    await expectCredentials(res, [holder]);
  });

  it('issues to an eddsa_did DPoP-bound token with a proof without nonce', async () => {
    const dpopKey = newKey('EdDSA');
    const offer = await newOffer(eddsa);
    const res = await tokenRequest(grant(offer.code), { dpop: dpop(dpopKey, '/v1/token') });
    const { access_token: token, token_type } = await body<TokenAnswer>(res);
    expect(token_type).toBe('DPoP');
    const holder = newKey();
    const issued = await credentialRequest(single(keyProof(holder, eddsa, await cNonce())), {
      authorization: `DPoP ${token}`,
      dpop: dpop(dpopKey, '/v1/credential', { token }),
    });
    await expectCredentials(issued, [holder]);
  });

  // Each row breaks one rule of the proof sent with a bound token: 401 invalid_dpop_proof.
  const badProofs: Array<[string, (key: Key, token: string, nonce: string) => string, string]> = [
    [
      'a signature by another key',
      (key, token, nonce) => dpop(key, '/v1/credential', { token, nonce, signer: newKey() }),
      'signature does not verify',
    ],
    [
      'the htu of the token endpoint',
      (key, token, nonce) => dpop(key, '/v1/credential', { token, nonce, htu: `${base}/v1/token` }),
      'htu does not match the request URL',
    ],
    [
      'htm PUT',
      (key, token, nonce) => dpop(key, '/v1/credential', { token, nonce, htm: 'PUT' }),
      'htm does not match the request method',
    ],
    ['no ath', (key, _token, nonce) => dpop(key, '/v1/credential', { nonce }), 'ath is missing'],
    [
      'the ath of another token',
      (key, _token, nonce) => dpop(key, '/v1/credential', { nonce, token: 'another-token' }),
      'ath does not match the access token',
    ],
    [
      'a key other than the bound one',
      (_key, token, nonce) => dpop(newKey(), '/v1/credential', { token, nonce }),
      'the proof key is not the key the access token is bound to',
    ],
    [
      'an iat ten minutes old',
      (key, token, nonce) => dpop(key, '/v1/credential', { token, nonce, iat: nowSeconds() - 600 }),
      'proof is too old',
    ],
    [
      'typ JWT',
      (key, token, nonce) => dpop(key, '/v1/credential', { token, nonce, header: { typ: 'JWT' } }),
      'typ is not dpop+jwt',
    ],
  ];

  it.each(badProofs)(
    'refuses a proof with %s with 401 invalid_dpop_proof, consuming no c_nonce',
    async (_rule, make, reason) => {
      const dpopKey = newKey();
      const token = await boundToken(dpopKey);
      const holder = newKey();
      const request = single(keyProof(holder, es256, await cNonce()));
      const res = await credentialRequest(request, {
        authorization: `DPoP ${token}`,
        dpop: make(dpopKey, token, await dpopNonce()),
      });
      expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{64}$/);
      await expectOAuthError(res, 401, 'invalid_dpop_proof', reason);
      // The same body, now with a good proof: its c_nonce was not consumed.
      await expectCredentials(await credentialRequest(request, await dpopHeaders(dpopKey, token)), [holder]);
    },
  );

  it('refuses the DPoP scheme without a DPoP header with 401 invalid_dpop_proof', async () => {
    const dpopKey = newKey();
    const token = await boundToken(dpopKey);
    const res = await credentialRequest(single(keyProof(newKey(), es256, await cNonce())), {
      authorization: `DPoP ${token}`,
    });
    await expectOAuthError(res, 401, 'invalid_dpop_proof');
  });

  it('asks for a nonce (401 use_dpop_nonce + DPoP-Nonce) when the proof has none, then issues with it', async () => {
    const dpopKey = newKey();
    const token = await boundToken(dpopKey);
    const holder = newKey();
    const request = single(keyProof(holder, es256, await cNonce()));
    const first = await credentialRequest(request, {
      authorization: `DPoP ${token}`,
      dpop: dpop(dpopKey, '/v1/credential', { token }),
    });
    const nonce = await expectUseNonce(first, 401);
    const res = await credentialRequest(request, {
      authorization: `DPoP ${token}`,
      dpop: dpop(dpopKey, '/v1/credential', { token, nonce }),
    });
    await expectCredentials(res, [holder]);
  });

  it('asks for a nonce (401 use_dpop_nonce) when the proof’s nonce is stale', async () => {
    const dpopKey = newKey();
    const stale = await dpopNonce();
    skew = 200_000;
    const token = await boundToken(dpopKey);
    skew = 350_000; // the nonce is past its 300 s, the token (issued at 200 s) is not
    const res = await credentialRequest(single(keyProof(newKey(), es256, await cNonce())), {
      authorization: `DPoP ${token}`,
      dpop: dpop(dpopKey, '/v1/credential', { token, nonce: stale }),
    });
    await expectUseNonce(res, 401);
  });

  it('refuses an unbound token of an es256_x509 tenant with 401 invalid_token "endpoint requires DPoP binding"', async () => {
    // No exchange gives an es256_x509 tenant an unbound token: the app's own token service mints one.
    const offer = await newOffer(es256);
    const { token } = await app.deps.tokens.issueAccess({
      tenant: es256.tenant.id,
      offer: offer.offerId,
      configurations: [CONFIG_ID],
    });
    issuedSecrets.add(token);
    const res = await credentialRequest(single(keyProof(newKey(), es256, await cNonce())), bearer(token));
    expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{64}$/);
    await expectOAuthError(res, 401, 'invalid_token', 'endpoint requires DPoP binding');
  });

  it('refuses a DPoP-bound token sent as Bearer with 401 invalid_token', async () => {
    const dpopKey = newKey();
    const token = await boundToken(dpopKey);
    const res = await credentialRequest(single(keyProof(newKey(), es256, await cNonce())), {
      ...bearer(token),
      dpop: dpop(dpopKey, '/v1/credential', { token, nonce: await dpopNonce() }),
    });
    await expectOAuthError(
      res,
      401,
      'invalid_token',
      'A DPoP-bound access token must be sent with the DPoP scheme',
    );
  });

  it('refuses an unbound token sent with the DPoP scheme with 401 invalid_token', async () => {
    const token = await bearerToken();
    const key = newKey();
    const res = await credentialRequest(single(keyProof(newKey(), eddsa, await cNonce())), {
      authorization: `DPoP ${token}`,
      dpop: dpop(key, '/v1/credential', { token }),
    });
    await expectOAuthError(res, 401, 'invalid_token', 'The access token is not DPoP-bound');
  });

  it.each([
    ['no Authorization header', {}, 'An access token is required'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'An access token is required'],
    ['a token that is no JWT', { authorization: 'Bearer not-a-token' }, CREDENTIAL_CATALOG.invalid_token],
    [
      'a forged JWT',
      { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' },
      CREDENTIAL_CATALOG.invalid_token,
    ],
  ])('refuses %s with 401 invalid_token', async (_name, headers, description) => {
    const res = await credentialRequest(single(keyProof(newKey(), eddsa, await cNonce())), headers);
    await expectOAuthError(res, 401, 'invalid_token', description);
  });

  it('refuses a login token of the Trust Registry with 401 invalid_token', async () => {
    const res = await credentialRequest(
      single(keyProof(newKey(), eddsa, await cNonce())),
      bearer(eddsa.token),
    );
    await expectOAuthError(res, 401, 'invalid_token', CREDENTIAL_CATALOG.invalid_token);
  });

  it('refuses a token past its 300 s (by the app clock) with 401 invalid_token, Bearer or DPoP', async () => {
    const token = await bearerToken();
    const dpopKey = newKey();
    const bound = await boundToken(dpopKey);
    skew = 306_000;
    const expired = await credentialRequest(single(keyProof(newKey(), eddsa, await cNonce())), bearer(token));
    await expectOAuthError(expired, 401, 'invalid_token', CREDENTIAL_CATALOG.invalid_token);
    const expiredBound = await credentialRequest(
      single(keyProof(newKey(), es256, await cNonce())),
      await dpopHeaders(dpopKey, bound),
    );
    await expectOAuthError(expiredBound, 401, 'invalid_token', CREDENTIAL_CATALOG.invalid_token);
  });
});

// ---------------------------------------------------------------------------------------------
// Offers

describe('offers', () => {
  const offerBody = (overrides: Record<string, unknown> = {}, claims: Record<string, unknown> = CLAIMS) => ({
    credential: { config_id: CONFIG_ID, claims },
    flow: 'pre-authorized',
    ...overrides,
  });

  it('creates an offer (201) and serves it (200), both with Cache-Control: no-store', async () => {
    const res = await createOffer(eddsa, offerBody({ tx_code: true }));
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const created = await body<{ offer_id: string; tx_code: string; credential_offer_uri: string }>(res);
    noteTxCode(created.tx_code);
    expect(created.credential_offer_uri).toBe(`${base}/v1/offers/${created.offer_id}`);
    const document = await app.request(`/v1/offers/${created.offer_id}`);
    expect(document.status).toBe(200);
    expect(document.headers.get('cache-control')).toBe('no-store');
    const offer = await body<{
      credential_issuer: string;
      grants: Record<string, { 'pre-authorized_code': string }>;
    }>(document);
    issuedSecrets.add(offer.grants[PRE_AUTHORIZED]?.['pre-authorized_code'] as string);
    expect(offer.credential_issuer).toBe(`${base}/${eddsa.tenant.slug}`);
  });

  it('refuses an offer without API key with 401 "API Key is required"', async () => {
    expect(await body<TcsError>(await createOffer(undefined, offerBody()))).toEqual({
      statusCode: 401,
      message: 'API Key is required',
      error: 'Unauthorized',
    });
  });

  it.each([
    [
      'an unknown config_id',
      { credential: { config_id: 'Nope', claims: CLAIMS }, flow: 'pre-authorized' },
      /^credential\.config_id: must be one of TuringCerts_Standard_Credential_v2_sd_jwt$/,
    ],
    [
      'an unknown claim',
      offerBody({}, { ...CLAIMS, grade: 'A' }),
      /^credential\.claims: unknown claim grade$/,
    ],
    [
      'no credentialName',
      offerBody({}, { issuedTime: CLAIMS.issuedTime }),
      /^credential\.claims\.credentialName: /,
    ],
    [
      'a bad issuedTime',
      offerBody({}, { ...CLAIMS, issuedTime: 'yesterday' }),
      /^credential\.claims\.issuedTime: must be an ISO-8601 date-time/,
    ],
    [
      'expires_in 59',
      offerBody({ expires_in: 59 }),
      /^expires_in: must be a whole number of seconds from 60 to 86400$/,
    ],
    [
      'expires_in 86401',
      offerBody({ expires_in: 86_401 }),
      /^expires_in: must be a whole number of seconds from 60 to 86400$/,
    ],
    [
      'expires_in 90.5',
      offerBody({ expires_in: 90.5 }),
      /^expires_in: must be a whole number of seconds from 60 to 86400$/,
    ],
    ['another flow', offerBody({ flow: 'authorization_code' }), /^flow: must be pre-authorized$/],
  ])('refuses %s with 400 naming the field', async (_name, json, message) => {
    const res = await createOffer(eddsa, json);
    const answer = await body<TcsError>(res);
    expect(answer).toEqual({ statusCode: 400, message: expect.any(String), error: 'Bad Request' });
    expect(answer.message).toMatch(message);
  });

  it('serves an offer whatever the letter case of its id (a uuid is case-insensitive)', async () => {
    const offer = await newOffer(eddsa);
    const res = await app.request(`/v1/offers/${offer.offerId.toUpperCase()}`);
    expect(res.status).toBe(200);
    const document = await body<{ grants: Record<string, { 'pre-authorized_code': string }> }>(res);
    expect(document.grants[PRE_AUTHORIZED]?.['pre-authorized_code']).toBe(offer.code);
  });

  it('serves no offer (404) once its code is exchanged', async () => {
    const offer = await newOffer(eddsa);
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
    const res = await app.request(`/v1/offers/${offer.offerId}`);
    expect(await body<TcsError>(res)).toEqual({
      statusCode: 404,
      message: 'Offer not found',
      error: 'Not Found',
    });
  });

  it('serves no offer (404) once expired by the app clock', async () => {
    const offer = await newOffer(eddsa, { expiresIn: 60 });
    skew = 61_000;
    const res = await app.request(`/v1/offers/${offer.offerId}`);
    expect(await body<TcsError>(res)).toEqual({
      statusCode: 404,
      message: 'Offer not found',
      error: 'Not Found',
    });
  });

  it('serves no offer (404) for an unknown or malformed id', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const res = await app.request(`/v1/offers/${id}`);
      expect(await body<TcsError>(res)).toEqual({
        statusCode: 404,
        message: 'Offer not found',
        error: 'Not Found',
      });
    }
  });
});
