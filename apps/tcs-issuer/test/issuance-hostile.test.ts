// Hostile input on the issuance routes never yields a 5xx, and every error is in the route's own
// format: `{ error, error_description }` (and `Cache-Control: no-store`, a DPoP challenge on a
// 401) on the OAuth endpoints, `{ statusCode, message, error }` elsewhere. Property tests with
// bounded runs against a running app on PGlite; the generators mix garbage with valid codes,
// tokens, nonces and signed proofs, so the checks behind the first guard run too.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { issuedSecrets } from './harness.js';
import {
  bearer,
  CLAIMS,
  CONFIG_ID,
  type DpopEndpoint,
  type IssuanceTenant,
  issuanceTenants,
  issuanceWallet,
  newKey,
  noteTxCode,
  PRE_AUTHORIZED,
  pgliteIssuer,
  single,
} from './issuance-client.js';

const app = pgliteIssuer();
const wallet = issuanceWallet(() => [app]);
let eddsa: IssuanceTenant;
let es256: IssuanceTenant;
/** A credential of `eddsa`'s, whose status the properties may change. */
let credentialId: string;

/** Keys made once: generating one per run would cost more than the request. */
const keys = { es256: newKey('ES256'), eddsa: newKey('EdDSA'), dpop: newKey('ES256') };

/** Live tokens for the whole file (issuance tokens last 300 s; the file takes well under that). */
let bearerToken: string;
let boundToken: string;

beforeAll(async () => {
  ({ eddsa_did: eddsa, es256_x509: es256 } = await issuanceTenants(app));
  bearerToken = await wallet.accessToken(eddsa);
  boundToken = await wallet.accessToken(es256, keys.dpop);
  // One issued credential, so its status list exists and its status can be changed.
  const { cNonce } = await wallet.nonces();
  const { offerId, code } = await wallet.offer(eddsa);
  const token = await wallet.exchange(code);
  const issued = await wallet.credentialRequest(
    single(wallet.keyProof(keys.eddsa, eddsa, cNonce)),
    bearer(token),
  );
  expect(issued.status).toBe(200);
  credentialId = (await wallet.issuedCredentials(eddsa, offerId))[0]?.credential_id as string;
  expect(credentialId).toMatch(/^[0-9a-f-]{36}$/);
});

/**
 * `POST <path>` with `payload` sent as is (no body when undefined) and the `headers` that are set:
 * a hostile request, so nothing is encoded or added.
 */
function post(
  path: string,
  payload: string | Uint8Array | undefined,
  headers: Record<string, string | undefined>,
): Promise<Response> {
  const set = Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: Object.fromEntries(set),
    ...(payload === undefined ? {} : { body: payload }),
  });
}

// ---------------------------------------------------------------------------------------------
// Answer checks

/** Statuses and codes seen per route, to show the generators reach past the first guard. */
const seen = new Map<string, Set<string>>();
const note = (label: string, outcome: string) => seen.set(label, (seen.get(label) ?? new Set()).add(outcome));

/** Not a 5xx; an error is exactly the OAuth body with `no-store` (and a DPoP challenge on a 401). */
async function expectOAuthHandled(res: Response, label: string): Promise<void> {
  const text = await res.text();
  expect(res.status, `${label}: ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.headers.get('cache-control'), label).toBe('no-store');
  expect(res.headers.get('content-type'), label).toContain('application/json');
  const answer = JSON.parse(text) as Record<string, unknown>;
  if (res.status >= 400) {
    expect(Object.keys(answer).sort(), `${label}: ${text}`).toEqual(['error', 'error_description']);
    expect(answer.error, label).toMatch(/^[a-z_]+$/);
    // RFC 6749 §5.2: printable ASCII without `"` and `\`.
    expect(answer.error_description, label).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/);
    if (res.status === 401) {
      expect(res.headers.get('www-authenticate'), label).toMatch(new RegExp(`^DPoP error="${answer.error}"`));
    }
    note(label, `${res.status} ${answer.error}`);
  } else {
    note(label, String(res.status));
    for (const [name, value] of Object.entries(answer)) {
      if (name === 'access_token' && typeof value === 'string') issuedSecrets.add(value);
    }
  }
}

/** Not a 5xx; an error is exactly the TCS body with the response's status. */
async function expectTcsHandled(res: Response, label: string): Promise<string> {
  const text = await res.text();
  expect(res.status, `${label}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type'), label).toContain('application/json');
    const problem = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(problem).sort(), `${label}: ${text}`).toEqual(['error', 'message', 'statusCode']);
    expect(problem.statusCode, label).toBe(res.status);
    expect(typeof problem.message).toBe('string');
    expect(typeof problem.error).toBe('string');
  }
  note(label, String(res.status));
  return text;
}

// ---------------------------------------------------------------------------------------------
// Generators

const headerText = fc.stringMatching(/^[\x20-\x7e\t]{0,300}$/);
const b64url = (max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{0,${max}}$`));
const jwtish = fc.oneof(
  fc.tuple(b64url(120), b64url(300), b64url(90)).map(([h, p, s]) => `${h}.${p}.${s}`),
  fc
    .tuple(fc.json(), fc.json(), b64url(90))
    .map(
      ([h, p, s]) => `${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.${s}`,
    ),
  fc.string({ maxLength: 200 }),
);

const BAD_UTF8 = [
  Uint8Array.of(0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xc3, 0x28), // grant_type=\xc3(
  Uint8Array.of(0xff, 0xfe, 0x7b, 0x7d),
  Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d),
];

/** Any body: text, JSON, bytes, bad UTF-8, nesting, large. */
const anyBody = (): fc.Arbitrary<string | Uint8Array | undefined> =>
  fc.oneof(
    fc.json({ depthSize: 'medium' }),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom(...BAD_UTF8),
    fc.nat({ max: 2000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
    fc.nat({ max: 200_000 }).map((n) => `grant_type=${'a'.repeat(n)}`),
    fc.constant(undefined),
  );

const contentType = fc.oneof(
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'APPLICATION/X-WWW-FORM-URLENCODED',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    '',
  ),
  headerText,
);

const formName = fc.oneof(
  fc.constantFrom(
    'grant_type',
    'pre-authorized_code',
    'tx_code',
    'client_id',
    'user_pin',
    'authorization_details',
    '__proto__',
    'constructor',
    'hasOwnProperty',
  ),
  fc.string({ maxLength: 20 }),
);
const formValue = (code: () => string) =>
  fc.oneof(
    fc.constantFrom(PRE_AUTHORIZED, 'authorization_code', '', '123456', '%', '%zz', '+', '%00', '%ed%a0%80'),
    fc.constant(null).map(() => code()),
    fc.string({ maxLength: 80 }),
    fc.stringMatching(/^[0-9]{0,8}$/),
  );
/** A form: valid grants, repeated and odd names, raw (possibly malformed) escapes. */
const formBody = (code: () => string) =>
  fc.oneof(
    {
      weight: 2,
      arbitrary: fc
        .constant(null)
        .map(() =>
          new URLSearchParams({ grant_type: PRE_AUTHORIZED, 'pre-authorized_code': code() }).toString(),
        ),
    },
    fc
      .array(fc.tuple(formName, formValue(code)), { maxLength: 8 })
      .map((pairs) => pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&')),
    fc
      .array(fc.tuple(formName, formValue(code)), { maxLength: 8 })
      .map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('&')),
    fc.tuple(formValue(code), fc.option(formValue(code), { nil: undefined })).map(([c, tx]) =>
      new URLSearchParams({
        grant_type: PRE_AUTHORIZED,
        'pre-authorized_code': c,
        ...(tx === undefined ? {} : { tx_code: tx }),
      }).toString(),
    ),
  );

/** A DPoP header: garbage, a JWT-shaped string, or a real proof with odd claims. */
const dpopHeader = (path: DpopEndpoint) =>
  fc.oneof(
    headerText,
    jwtish,
    fc
      .tuple(
        fc.dictionary(
          fc.constantFrom('typ', 'alg', 'jwk', 'crit', 'kid', 'x5c'),
          fc.jsonValue({ maxDepth: 2 }),
          {
            maxKeys: 3,
          },
        ),
        fc.dictionary(
          fc.constantFrom('jti', 'htm', 'htu', 'iat', 'nonce', 'ath'),
          fc.jsonValue({ maxDepth: 1 }),
          {
            maxKeys: 3,
          },
        ),
      )
      .map(([header, claims]) => wallet.dpop(keys.dpop, path, { header, claims })),
  );

/** An API key: garbage, or either tenant's. */
const apiKey = fc.oneof(
  headerText,
  fc.constant(null).map(() => eddsa.apiKey),
  fc.constant(null).map(() => es256.apiKey),
);

// ---------------------------------------------------------------------------------------------
// Properties

describe('hostile input on the issuance routes', () => {
  it('never answers 5xx on POST /v1/token, and answers every error in the OAuth format', async () => {
    // Valid codes now and then, so some requests get as far as the exchange (each spends one).
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push((await wallet.offer(i % 2 === 0 ? eddsa : es256)).code);
    let picked = 0;
    const code = () => codes[picked++ % codes.length] as string;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: formBody(code) }, { weight: 1, arbitrary: anyBody() }),
        fc.oneof(
          { weight: 2, arbitrary: fc.constant('application/x-www-form-urlencoded') },
          { weight: 1, arbitrary: contentType },
        ),
        fc.option(dpopHeader('/v1/token'), { nil: undefined, freq: 2 }),
        async (payload, type, dpop) => {
          const res = await post('/v1/token', payload, { 'content-type': type, dpop });
          await expectOAuthHandled(res, 'POST /v1/token');
        },
      ),
      { numRuns: 120 },
    );
  });

  it('never answers 5xx on POST /v1/nonce, whatever the body and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyBody(),
        contentType,
        fc.option(headerText, { nil: undefined }),
        async (payload, type, auth) => {
          const res = await post('/v1/nonce', payload, { 'content-type': type, authorization: auth });
          await expectOAuthHandled(res, 'POST /v1/nonce');
        },
      ),
      { numRuns: 80 },
    );
  });

  it('never answers 5xx on POST /v1/credential to random bodies and Authorization/DPoP headers', async () => {
    const authorization = fc.oneof(
      { weight: 6, arbitrary: fc.constant(null).map(() => `Bearer ${bearerToken}`) },
      headerText,
      fc
        .constantFrom('Bearer', 'DPoP', 'Basic', 'bearer', 'dpop')
        .chain((scheme) => jwtish.map((t) => `${scheme} ${t}`)),
      fc.constant(null).map(() => `Bearer ${bearerToken}`),
      fc.constant(null).map(() => `DPoP ${boundToken}`),
      fc.constant(null).map(() => `DPoP ${bearerToken}`),
      fc.constant(null).map(() => `Bearer ${boundToken}`),
    );
    // Bodies are made per run around the c_nonce fetched then: each generated value is a
    // function of that nonce.
    type Made<T> = (nonce: string) => T;
    const fixed = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Made<T>> => arb.map((value) => () => value);
    const validProof = fc
      .constantFrom(keys.es256, keys.eddsa)
      .map((key) => (nonce: string) => wallet.keyProof(key, eddsa, nonce));
    const proofValue: fc.Arbitrary<Made<unknown>> = fc.oneof(
      validProof,
      fixed(jwtish),
      fixed(fc.jsonValue({ maxDepth: 2 })),
      fc
        .tuple(
          fc.constantFrom(keys.es256, keys.eddsa),
          fc.dictionary(
            fc.constantFrom('typ', 'alg', 'jwk', 'kid', 'x5c', 'crit'),
            fc.oneof(
              fc.jsonValue({ maxDepth: 2 }),
              fc.constant({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }),
              fc.constant({ kty: 'OKP', crv: 'Ed25519', x: 1 }),
              fc.constant({ kty: 'EC', crv: 'P-256', x: keys.es256.publicJwk.x, y: keys.eddsa.publicJwk.x }),
              fc.constant('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'),
            ),
            { maxKeys: 3 },
          ),
          fc.dictionary(fc.constantFrom('aud', 'iat', 'nonce', 'iss', 'exp'), fc.jsonValue({ maxDepth: 1 }), {
            maxKeys: 3,
          }),
        )
        .map(
          ([key, header, claims]) =>
            (nonce: string) =>
              wallet.keyProof(key, eddsa, nonce, { header, claims }),
        ),
    );
    const all =
      <T>(made: Array<Made<T>>): Made<T[]> =>
      (nonce) =>
        made.map((make) => make(nonce));
    const structured: fc.Arbitrary<Made<string>> = fc
      .record(
        {
          credential_configuration_id: fixed(
            fc.oneof(fc.constant(CONFIG_ID), fc.string({ maxLength: 40 }), fc.jsonValue()),
          ),
          credential_identifier: fixed(fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue())),
          proofs: fc.oneof(
            fc
              .array(proofValue, { maxLength: 12 })
              .map((made) => (nonce: string) => ({ jwt: all(made)(nonce) })),
            fc
              .dictionary(fc.string({ maxLength: 8 }), fc.array(proofValue, { maxLength: 2 }), { maxKeys: 3 })
              .map(
                (types) => (nonce: string) =>
                  Object.fromEntries(Object.entries(types).map(([type, made]) => [type, all(made)(nonce)])),
              ),
            fixed(fc.jsonValue({ maxDepth: 2 })),
          ),
          proof: fc.oneof(
            proofValue.map((make) => (nonce: string) => ({ proof_type: 'jwt', jwt: make(nonce) })),
            fixed(fc.jsonValue({ maxDepth: 2 })),
          ),
          credential_response_encryption: fixed(fc.jsonValue({ maxDepth: 2 })),
          access_token: fixed(fc.string({ maxLength: 20 })),
        },
        { requiredKeys: [] },
      )
      .map(
        (members) => (nonce: string) =>
          JSON.stringify(
            Object.fromEntries(Object.entries(members).map(([name, make]) => [name, make(nonce)])),
          ),
      );
    // Well-formed requests whose proofs are hostile: these reach the key proof checks.
    const proofFocused: fc.Arbitrary<Made<string>> = fc
      .array(fc.oneof({ weight: 2, arbitrary: validProof }, { weight: 3, arbitrary: proofValue }), {
        minLength: 1,
        maxLength: 2,
      })
      .map(
        (made) => (nonce: string) =>
          JSON.stringify({ credential_configuration_id: CONFIG_ID, proofs: { jwt: all(made)(nonce) } }),
      );
    const credentialBody: fc.Arbitrary<Made<string | Uint8Array | undefined>> = fc.oneof(
      { weight: 3, arbitrary: proofFocused },
      { weight: 2, arbitrary: structured },
      { weight: 1, arbitrary: fixed(anyBody()) },
    );
    await fc.assert(
      fc.asyncProperty(
        credentialBody,
        fc.option(authorization, { nil: undefined }),
        fc.oneof(fc.constant('good' as const), fc.constant('none' as const), dpopHeader('/v1/credential')),
        fc.oneof(
          { weight: 2, arbitrary: fc.constant('application/json') },
          { weight: 1, arbitrary: contentType },
        ),
        async (makeBody, auth, dpopChoice, type) => {
          const { cNonce, dpopNonce } = await wallet.nonces();
          const dpop =
            dpopChoice === 'good'
              ? wallet.dpop(keys.dpop, '/v1/credential', { nonce: dpopNonce, token: boundToken })
              : dpopChoice === 'none'
                ? undefined
                : dpopChoice;
          const res = await post('/v1/credential', makeBody(cNonce), {
            'content-type': type,
            authorization: auth,
            dpop,
          });
          await expectOAuthHandled(res, 'POST /v1/credential');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never answers 5xx on POST /v1/offers, and answers every error in the TCS format', async () => {
    const claim = fc.oneof(
      fc.string({ maxLength: 250 }),
      fc.jsonValue({ maxDepth: 1 }),
      fc.constant(CLAIMS.issuedTime),
    );
    const offerBody = fc.oneof(
      anyBody(),
      fc
        .record(
          {
            credential: fc.oneof(
              fc.record(
                {
                  config_id: fc.oneof(fc.constant(CONFIG_ID), fc.string({ maxLength: 40 }), fc.jsonValue()),
                  claims: fc.oneof(
                    fc.dictionary(
                      fc.constantFrom('credentialName', 'issuedTime', 'grade', '__proto__'),
                      claim,
                      {
                        maxKeys: 3,
                      },
                    ),
                    fc.jsonValue({ maxDepth: 2 }),
                  ),
                },
                { requiredKeys: [] },
              ),
              fc.jsonValue({ maxDepth: 2 }),
            ),
            flow: fc.oneof(fc.constant('pre-authorized'), fc.jsonValue()),
            expires_in: fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), fc.jsonValue()),
            tx_code: fc.oneof(fc.boolean(), fc.jsonValue()),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(
        offerBody,
        fc.oneof(contentType, fc.constant('application/json')),
        fc.option(apiKey, { nil: undefined }),
        async (payload, type, key) => {
          const res = await post('/v1/offers', payload, { 'content-type': type, 'x-api-key': key });
          const text = await expectTcsHandled(res, 'POST /v1/offers');
          if (res.status === 201) {
            const created = JSON.parse(text) as { tx_code?: string };
            if (created.tx_code !== undefined) noteTxCode(created.tx_code);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never answers 5xx on GET /v1/offers/:id', async () => {
    const live = await wallet.offer(eddsa);
    const id = fc.oneof(
      fc.uuid(),
      fc.constant(live.offerId),
      fc.constant(live.offerId.toUpperCase()),
      fc.webSegment(),
      fc.string({ maxLength: 60 }).map(encodeURIComponent),
      fc.constantFrom('%00', '%ff', '..', '%2e%2e', 'x'.repeat(3000)),
    );
    await fc.assert(
      fc.asyncProperty(id, async (offerId) => {
        const res = await fetch(`${app.url}/v1/offers/${offerId}`);
        const text = await expectTcsHandled(res, 'GET /v1/offers/:id');
        if (res.status === 200) {
          const offer = JSON.parse(text) as { grants: Record<string, { 'pre-authorized_code': string }> };
          issuedSecrets.add(offer.grants[PRE_AUTHORIZED]?.['pre-authorized_code'] as string);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('never answers 5xx on GET /v1/status-lists/:tenant/:list', async () => {
    const segment = fc.oneof(
      fc.webSegment(),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
      fc.constantFrom(
        '%00',
        '%ff',
        '..',
        '0',
        '-1',
        '1e3',
        '01',
        '999999999',
        '9999999999',
        'x'.repeat(3000),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(null).map(() => eddsa.tenant.slug),
          fc.constant(null).map(() => es256.tenant.slug),
          segment,
        ),
        fc.oneof(fc.constantFrom('1', '2'), fc.nat().map(String), segment),
        async (tenant, list) => {
          const res = await fetch(`${app.url}/v1/status-lists/${tenant}/${list}`);
          await expectTcsHandled(res, 'GET /v1/status-lists/:tenant/:list');
          if (res.status === 200)
            expect(res.headers.get('content-type')).toContain('application/statuslist+jwt');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never answers 5xx on POST /v1/credentials/:id/status', async () => {
    const id = fc.oneof(
      fc.constant(null).map(() => credentialId),
      fc.uuid(),
      fc.webSegment(),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    );
    const statusBody = fc.oneof(
      anyBody(),
      fc
        .record(
          {
            status: fc.oneof(fc.constantFrom('valid', 'suspended', 'revoked'), fc.jsonValue()),
            extra: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    // Now and then a well-formed change of the tenant's own credential, so changes happen too.
    const wellFormed = fc.constantFrom('valid', 'suspended', 'revoked').map((status) => ({
      credential: credentialId,
      payload: JSON.stringify({ status }),
      type: 'application/json',
      key: eddsa.apiKey as string | undefined,
    }));
    const anyRequest = fc.record({
      credential: id,
      payload: statusBody,
      type: fc.oneof(contentType, fc.constant('application/json')),
      key: fc.option(apiKey, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 1, arbitrary: wellFormed }, { weight: 3, arbitrary: anyRequest }),
        async ({ credential, payload, type, key }) => {
          const res = await post(`/v1/credentials/${credential}/status`, payload, {
            'content-type': type,
            'x-api-key': key,
          });
          await expectTcsHandled(res, 'POST /v1/credentials/:id/status');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reached past the first guard on every route', () => {
    const outcomes = (label: string) => [...(seen.get(label) ?? [])];
    // A code exchanged, and refusals past the form and DPoP checks.
    expect(outcomes('POST /v1/token')).toContain('200');
    expect(
      outcomes('POST /v1/token').some((o) => /invalid_grant|invalid_tx_code|use_dpop_nonce/.test(o)),
    ).toBe(true);
    expect(outcomes('POST /v1/nonce')).toContain('200');
    // Requests that got past the token and DPoP checks to the body and the proofs.
    expect(
      outcomes('POST /v1/credential').some((o) => /invalid_proof|invalid_credential_request/.test(o)),
    ).toBe(true);
    expect(outcomes('POST /v1/credential')).toContain('401 invalid_token');
    expect(outcomes('POST /v1/credential')).toEqual(expect.arrayContaining(['200', '400 invalid_proof']));
    expect(outcomes('POST /v1/offers')).toEqual(expect.arrayContaining(['400', '401']));
    expect(outcomes('GET /v1/offers/:id')).toEqual(expect.arrayContaining(['200', '404']));
    expect(outcomes('GET /v1/status-lists/:tenant/:list')).toEqual(expect.arrayContaining(['200', '404']));
    expect(outcomes('POST /v1/credentials/:id/status')).toEqual(
      expect.arrayContaining(['200', '400', '401']),
    );
  });
});
