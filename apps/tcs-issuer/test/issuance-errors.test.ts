// Every error answer of the issuance endpoints, provoked through HTTP against PGlite: the token,
// nonce and credential endpoints in the OAuth format (`{ error, error_description }` and nothing
// else, `Cache-Control: no-store`, `WWW-Authenticate: DPoP …` on a 401, `DPoP-Nonce` on
// `use_dpop_nonce`), the DPoP table of both endpoints for both signing profiles, and the offer
// routes in the TCS format. Proofs are signed with real keys (node:crypto).
import { createHmac, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { body, issuedSecrets, type TcsError, tenantAction } from './harness.js';
import {
  base64urlJson,
  bearer,
  CLAIMS,
  CONFIG_ID,
  credentialPayload,
  type DpopEndpoint,
  type DpopOptions,
  didKeyHolder,
  grant,
  type IssuanceTenant,
  issuanceTenant,
  issuanceTenants,
  issuanceWallet,
  type Key,
  newKey,
  noteTxCode,
  PRE_AUTHORIZED,
  pgliteIssuer,
  single,
  type TokenAnswer,
} from './issuance-client.js';

/** Added to the real time by the app's clock: tests move it to expire codes, tokens and nonces. */
let skew = 0;
const now = () => Date.now() + skew;
const nowSeconds = () => Math.floor(now() / 1000);

const app = pgliteIssuer({ now });
/** The wallet, on the app's clock. */
const wallet = issuanceWallet(() => [app], { now });
const { dpop, keyProof, tokenRequest, credentialRequest, postOffer, offer: newOffer } = wallet;
/** `PUBLIC_URL` of the app (its own loopback URL). */
let base: string;

let eddsa: IssuanceTenant;
let es256: IssuanceTenant;

beforeAll(async () => {
  base = app.url;
  ({ eddsa_did: eddsa, es256_x509: es256 } = await issuanceTenants(app));
});
afterEach(() => {
  skew = 0;
});

// ---------------------------------------------------------------------------------------------
// Requests

const cNonce = async () => (await wallet.nonces()).cNonce;
const dpopNonce = async () => (await wallet.nonces()).dpopNonce;

/** An unbound (Bearer) access token of an eddsa_did offer. */
const bearerToken = (tenant: IssuanceTenant = eddsa): Promise<string> => wallet.accessToken(tenant);

/** A DPoP-bound access token (`cnf.jkt` of `key`), with a server nonce. */
const boundToken = (key: Key, tenant: IssuanceTenant = es256): Promise<string> =>
  wallet.accessToken(tenant, key);

/** `POST /v1/token` exchanging `code` with a DPoP proof by `key`, changed by `options`. */
const tokenWithProof = (code: string, key: Key, options?: DpopOptions) =>
  tokenRequest(grant(code), { dpop: dpop(key, '/v1/token', options) });

/** A DPoP credential request's headers: the token and a fresh proof with a server nonce. */
const dpopHeaders = async (key: Key, token: string) =>
  wallet.dpopAuthorization(key, token, { nonce: await dpopNonce() });

// ---------------------------------------------------------------------------------------------
// DPoP proofs that break one rule

/**
 * One broken rule of a DPoP proof: the rule, what breaks it, and the refusal's
 * `error_description`. What breaks it is the header itself (a string), or options laid over a good
 * proof's, `by` naming another key to make the proof.
 */
type DpopFault = [string, (key: Key) => string | (DpopOptions & { by?: Key }), string];

/** The DPoP header for `path` that `breaks` makes of a good proof by `key` with `good` options. */
function faultyProof(key: Key, path: DpopEndpoint, good: DpopOptions, breaks: DpopFault[1]): string {
  const broken = breaks(key);
  if (typeof broken === 'string') return broken;
  const { by = key, ...options } = broken;
  return dpop(by, path, { ...good, ...options });
}

// Rules both endpoints enforce alike.
const TYP_JWT: DpopFault = ['typ JWT', () => ({ header: { typ: 'JWT' } }), 'typ is not dpop+jwt'];
const FOREIGN_SIGNATURE: DpopFault = [
  'a signature by another key',
  () => ({ signer: newKey() }),
  'signature does not verify',
];
const OLD_IAT: DpopFault = [
  'an iat ten minutes old',
  () => ({ iat: nowSeconds() - 600 }),
  'proof is too old',
];

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
    const payload = credentialPayload<{ cnf: { jwk: JWK } }>(credential);
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

/** {@link expectOAuthError}: a 400 of the token endpoint with its fixed description of `error`. */
const expectTokenError = (res: Response, error: keyof typeof TOKEN_CATALOG) =>
  expectOAuthError(res, 400, error, TOKEN_CATALOG[error]);

/** {@link expectOAuthError} of the credential endpoint with its fixed description of `error`. */
const expectCredentialError = (res: Response, error: keyof typeof CREDENTIAL_CATALOG, status = 400) =>
  expectOAuthError(res, status, error, CREDENTIAL_CATALOG[error]);
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
      await expectTokenError(res, 'unsupported_grant_type');
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
      await expectTokenError(await tokenRequest(grant(code)), 'invalid_grant');
    }
  });

  it('answers a code past its offer’s expiry (by the app clock) with invalid_grant', async () => {
    const offer = await newOffer(eddsa, { expiresIn: 60 });
    skew = 61_000;
    await expectTokenError(await tokenRequest(grant(offer.code)), 'invalid_grant');
    skew = 0;
    // Still within its lifetime by the real clock, and expiry spent nothing: the app clock decides.
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
  });

  it('answers a code already exchanged with invalid_grant', async () => {
    const offer = await newOffer(eddsa);
    expect((await tokenRequest(grant(offer.code))).status).toBe(200);
    await expectTokenError(await tokenRequest(grant(offer.code)), 'invalid_grant');
  });

  describe('tx_code', () => {
    const wrong = (txCode: string, n: number) => String((Number(txCode) + n) % 1_000_000).padStart(6, '0');
    /** Four wrong tx_codes for `code` (the right one plus 1 to 4), each refused with invalid_tx_code. */
    const expectFourWrongTxCodesRefused = async (code: string, txCode: string) => {
      for (let n = 1; n <= 4; n++) {
        await expectTokenError(
          await tokenRequest(grant(code, { tx_code: wrong(txCode, n) })),
          'invalid_tx_code',
        );
      }
    };

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
      await expectFourWrongTxCodesRefused(offer.code, txCode);
      expect((await tokenRequest(grant(offer.code, { tx_code: txCode }))).status).toBe(200);
    });

    it('spends the code at the fifth wrong tx_code (invalid_grant): the right one is refused afterwards', async () => {
      const offer = await newOffer(eddsa, { txCode: true });
      const txCode = offer.txCode as string;
      await expectFourWrongTxCodesRefused(offer.code, txCode);
      await expectTokenError(
        await tokenRequest(grant(offer.code, { tx_code: wrong(txCode, 5) })),
        'invalid_grant',
      );
      await expectTokenError(await tokenRequest(grant(offer.code, { tx_code: txCode })), 'invalid_grant');
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
  /**
   * Exchanging `code` with a proof by `key` whose nonce went stale (the app clock moved past its
   * 300 s) is answered `use_dpop_nonce`. Returns the stale nonce.
   */
  const expectStaleNonceRefused = async (code: string, key: Key): Promise<string> => {
    const stale = await dpopNonce();
    skew = 301_000;
    await expectUseNonce(await tokenWithProof(code, key, { nonce: stale }), 400);
    return stale;
  };

  it('binds an es256_x509 token to the DPoP key once the proof carries a server nonce', async () => {
    const key = newKey();
    const offer = await newOffer(es256);
    const first = await tokenWithProof(offer.code, key);
    const nonce = await expectUseNonce(first, 400);
    const res = await tokenWithProof(offer.code, key, { nonce });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await body<TokenAnswer>(res)).token_type).toBe('DPoP');
  });

  it('refuses an es256_x509 exchange without DPoP with invalid_dpop_proof, leaving the code usable', async () => {
    const offer = await newOffer(es256);
    const res = await tokenRequest(grant(offer.code));
    expect(res.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{64}$/);
    await expectOAuthError(res, 400, 'invalid_dpop_proof', 'DPoP proof required');
    // The code is still usable: a good proof exchanges it (200).
    await wallet.exchange(offer.code, newKey());
  });

  it('asks again for a nonce (use_dpop_nonce) when the proof’s nonce is stale or forged', async () => {
    const key = newKey();
    const offer = await newOffer(es256);
    const stale = await expectStaleNonceRefused(offer.code, key);
    const forged = `${stale.slice(0, -4)}AAAA`;
    await expectUseNonce(await tokenWithProof(offer.code, key, { nonce: forged }), 400);
    // The code is still usable: a proof with a fresh nonce exchanges it (200).
    await wallet.exchange(offer.code, key);
  });

  // Each row breaks one rule of the proof; every refusal is a 400 and leaves the code usable.
  const badProofs: DpopFault[] = [
    ['not a JWS', () => 'not-a-jws', 'DPoP proof is not a compact JWS'],
    TYP_JWT,
    ['alg none', () => ({ header: { alg: 'none' } }), 'alg is not an accepted algorithm'],
    FOREIGN_SIGNATURE,
    [
      'private key material in jwk',
      (key) => ({ header: { jwk: key.privateJwk } }),
      'jwk contains private key material',
    ],
    ['htm GET', () => ({ htm: 'GET' }), 'htm does not match the request method'],
    [
      'the htu of another endpoint',
      () => ({ htu: `${base}/v1/credential` }),
      'htu does not match the request URL',
    ],
    OLD_IAT,
    ['no jti', () => ({ claims: { jti: undefined } }), 'jti is missing, empty or longer than 256 characters'],
    [
      'an ath without an access token',
      () => ({ token: 'some-token' }),
      'ath is present but no access token was presented',
    ],
  ];

  it.each(badProofs)(
    'refuses a proof with %s (400 invalid_dpop_proof), leaving the code usable',
    async (_rule, breaks, reason) => {
      const key = newKey();
      const offer = await newOffer(es256);
      const proof = faultyProof(key, '/v1/token', { nonce: await dpopNonce() }, breaks);
      const res = await tokenRequest(grant(offer.code), { dpop: proof });
      await expectOAuthError(res, 400, 'invalid_dpop_proof', reason);
      // The code is still usable: a good proof exchanges it (200).
      await wallet.exchange(offer.code, key);
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
      await tokenWithProof(offer.code, key, { htm: 'GET' }),
      400,
      'invalid_dpop_proof',
      'htm does not match the request method',
    );
    const res = await tokenWithProof(offer.code, key);
    expect(res.status).toBe(200);
    expect((await body<TokenAnswer>(res)).token_type).toBe('DPoP');
  });

  it('checks the nonce of an eddsa_did proof that carries one (use_dpop_nonce when stale)', async () => {
    const key = newKey();
    const offer = await newOffer(eddsa);
    await expectStaleNonceRefused(offer.code, key);
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
  const send = (json: unknown, query = '') => credentialRequest(json, bearer(token), { query });
  beforeAll(async () => {
    token = await bearerToken();
  });

  it('issues one credential bound to the proof key, answered with Cache-Control: no-store', async () => {
    const key = newKey();
    await expectCredentials(await send(single(keyProof(key, eddsa, await cNonce()))), [key]);
  });

  it('accepts a proof naming its key by a did:key kid, and the pre-1.0 single proof', async () => {
    const didKey = await didKeyHolder();
    const byKid = keyProof(didKey, eddsa, await cNonce(), { header: { jwk: undefined, kid: didKey.kid } });
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
      await expectCredentialError(
        await send({ credential_configuration_id: id, proofs }),
        'unknown_credential_configuration',
      );
    }
  });

  it('answers any credential_identifier with unknown_credential_identifier', async () => {
    const proofs = { jwt: [keyProof(newKey(), eddsa, await cNonce())] };
    await expectCredentialError(
      await send({ credential_identifier: 'cred-1', proofs }),
      'unknown_credential_identifier',
    );
  });

  it('answers credential_response_encryption with invalid_encryption_parameters', async () => {
    const proof = keyProof(newKey(), eddsa, await cNonce());
    const res = await send({
      ...single(proof),
      credential_response_encryption: { jwk: newKey().publicJwk, alg: 'ECDH-ES', enc: 'A128GCM' },
    });
    await expectCredentialError(res, 'invalid_encryption_parameters');
  });

  it('refuses an access token in the query string or the body with invalid_request', async () => {
    const proof = keyProof(newKey(), eddsa, await cNonce());
    const inQuery = await credentialRequest(
      single(proof),
      {},
      { query: `?access_token=${encodeURIComponent(token)}` },
    );
    await expectCredentialError(inQuery, 'invalid_request');
    const both = await send(single(proof), `?access_token=${encodeURIComponent(token)}`);
    await expectCredentialError(both, 'invalid_request');
    const inBody = await send({ ...single(proof), access_token: token });
    await expectCredentialError(inBody, 'invalid_request');
  });

  it('answers a request of a tenant suspended after the token with credential_request_denied', async () => {
    const tenant = await issuanceTenant(app, 'eddsa_did');
    const tenantToken = await bearerToken(tenant);
    await tenantAction(app, tenant.tenant.slug, 'suspend');
    const res = await credentialRequest(
      single(keyProof(newKey(), tenant, await cNonce())),
      bearer(tenantToken),
    );
    await expectCredentialError(res, 'credential_request_denied');
  });

  it('answers credential_request_denied, recording nothing, when the tenant is suspended after a credential was issued', async () => {
    // The first credential makes the process know the offer; the next request reads the tenant's
    // status only in the statement that records, and must be refused there all the same.
    const tenant = await issuanceTenant(app, 'eddsa_did');
    const tenantToken = await bearerToken(tenant);
    const first = await credentialRequest(
      single(keyProof(newKey(), tenant, await cNonce())),
      bearer(tenantToken),
    );
    expect(first.status).toBe(200);
    const recorded = async () =>
      (
        await app.deps.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM issued_credentials WHERE tenant_id = $1',
          [tenant.tenant.id],
        )
      ).rows[0]?.n;
    expect(await recorded()).toBe(1);
    await tenantAction(app, tenant.tenant.slug, 'suspend');
    const res = await credentialRequest(
      single(keyProof(newKey(), tenant, await cNonce())),
      bearer(tenantToken),
    );
    await expectCredentialError(res, 'credential_request_denied');
    expect(await recorded()).toBe(1);
    // Approved again, the same token gets credentials again.
    await tenantAction(app, tenant.tenant.slug, 'approve');
    const again = await credentialRequest(
      single(keyProof(newKey(), tenant, await cNonce())),
      bearer(tenantToken),
    );
    expect(again.status).toBe(200);
    expect(await recorded()).toBe(2);
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
        const header = base64urlJson({ typ: 'openid4vci-proof+jwt', alg: 'HS256', jwk: key.publicJwk });
        const payload = base64urlJson({ aud: `${base}/${eddsa.tenant.slug}`, iat: nowSeconds(), nonce });
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
      await expectCredentialError(await send(single(keyProof(key, eddsa, nonce))), 'invalid_nonce');
    }
  });

  it('refuses a c_nonce used twice with invalid_nonce', async () => {
    const key = newKey();
    const nonce = await cNonce();
    await expectCredentials(await send(single(keyProof(key, eddsa, nonce))), [key]);
    await expectCredentialError(await send(single(keyProof(key, eddsa, nonce))), 'invalid_nonce');
  });

  it('refuses a c_nonce past its 300 s (by the app clock) with invalid_nonce', async () => {
    const nonce = await cNonce();
    skew = 240_000;
    const fresh = await bearerToken();
    skew = 301_000;
    const key = newKey();
    await expectCredentialError(
      await credentialRequest(single(keyProof(key, eddsa, nonce)), bearer(fresh)),
      'invalid_nonce',
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
    const res = await tokenWithProof(offer.code, dpopKey);
    const { access_token: token, token_type } = await body<TokenAnswer>(res);
    expect(token_type).toBe('DPoP');
    const holder = newKey();
    const issued = await credentialRequest(
      single(keyProof(holder, eddsa, await cNonce())),
      wallet.dpopAuthorization(dpopKey, token),
    );
    await expectCredentials(issued, [holder]);
  });

  // Each row breaks one rule of the proof sent with a bound token: 401 invalid_dpop_proof.
  const badProofs: DpopFault[] = [
    FOREIGN_SIGNATURE,
    [
      'the htu of the token endpoint',
      () => ({ htu: `${base}/v1/token` }),
      'htu does not match the request URL',
    ],
    ['htm PUT', () => ({ htm: 'PUT' }), 'htm does not match the request method'],
    ['no ath', () => ({ token: undefined }), 'ath is missing'],
    ['the ath of another token', () => ({ token: 'another-token' }), 'ath does not match the access token'],
    [
      'a key other than the bound one',
      () => ({ by: newKey() }),
      'the proof key is not the key the access token is bound to',
    ],
    OLD_IAT,
    TYP_JWT,
  ];

  it.each(badProofs)(
    'refuses a proof with %s with 401 invalid_dpop_proof, consuming no c_nonce',
    async (_rule, breaks, reason) => {
      const dpopKey = newKey();
      const token = await boundToken(dpopKey);
      const holder = newKey();
      const request = single(keyProof(holder, es256, await cNonce()));
      const res = await credentialRequest(request, {
        authorization: `DPoP ${token}`,
        dpop: faultyProof(dpopKey, '/v1/credential', { token, nonce: await dpopNonce() }, breaks),
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
    const first = await credentialRequest(request, wallet.dpopAuthorization(dpopKey, token));
    const nonce = await expectUseNonce(first, 401);
    const res = await credentialRequest(request, wallet.dpopAuthorization(dpopKey, token, { nonce }));
    await expectCredentials(res, [holder]);
  });

  it('asks for a nonce (401 use_dpop_nonce) when the proof’s nonce is stale', async () => {
    const dpopKey = newKey();
    const stale = await dpopNonce();
    skew = 200_000;
    const token = await boundToken(dpopKey);
    skew = 350_000; // the nonce is past its 300 s, the token (issued at 200 s) is not
    const res = await credentialRequest(
      single(keyProof(newKey(), es256, await cNonce())),
      wallet.dpopAuthorization(dpopKey, token, { nonce: stale }),
    );
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
    const res = await credentialRequest(
      single(keyProof(newKey(), eddsa, await cNonce())),
      wallet.dpopAuthorization(key, token),
    );
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
    await expectCredentialError(res, 'invalid_token', 401);
  });

  it('refuses a token past its 300 s (by the app clock) with 401 invalid_token, Bearer or DPoP', async () => {
    const token = await bearerToken();
    const dpopKey = newKey();
    const bound = await boundToken(dpopKey);
    skew = 306_000;
    const expired = await credentialRequest(single(keyProof(newKey(), eddsa, await cNonce())), bearer(token));
    await expectCredentialError(expired, 'invalid_token', 401);
    const expiredBound = await credentialRequest(
      single(keyProof(newKey(), es256, await cNonce())),
      await dpopHeaders(dpopKey, bound),
    );
    await expectCredentialError(expiredBound, 'invalid_token', 401);
  });
});

// ---------------------------------------------------------------------------------------------
// Offers

describe('offers', () => {
  /** The public offer document `id` is not served: the TCS 404 "Offer not found". */
  const expectNoOffer = async (id: string) =>
    expect(await body<TcsError>(await app.request(`/v1/offers/${id}`))).toEqual({
      statusCode: 404,
      message: 'Offer not found',
      error: 'Not Found',
    });
  const offerBody = (overrides: Record<string, unknown> = {}, claims: Record<string, unknown> = CLAIMS) => ({
    credential: { config_id: CONFIG_ID, claims },
    flow: 'pre-authorized',
    ...overrides,
  });

  it('creates an offer (201) and serves it (200), both with Cache-Control: no-store', async () => {
    const res = await postOffer(eddsa, offerBody({ tx_code: true }));
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
    expect(await body<TcsError>(await postOffer(undefined, offerBody()))).toEqual({
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
    const res = await postOffer(eddsa, json);
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
    await expectNoOffer(offer.offerId);
  });

  it('serves no offer (404) once expired by the app clock', async () => {
    const offer = await newOffer(eddsa, { expiresIn: 60 });
    skew = 61_000;
    await expectNoOffer(offer.offerId);
  });

  it('serves no offer (404) for an unknown or malformed id', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      await expectNoOffer(id);
    }
  });
});
