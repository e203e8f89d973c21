// dpopAuth through real HTTP: a small Koa app per endpoint kind, rendered with renderOAuth as the
// TCS issuer does, and proofs built by the node:crypto client in test/dpop-proofs.ts.
import {
  createMemoryReplayStore,
  createNonceIssuer,
  type NonceIssuer,
  type ReplayStore,
} from '@portcullis/dpop';
import { credentialEndpointErrors, renderOAuth, tokenEndpointErrors } from '@portcullis/errors';
import { createFakeClock, type FakeClock, listen, readJson, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DpopClientKey, dpopClientKey, dpopProof, type ProofClaims } from '../test/dpop-proofs.js';
import {
  authorizationCredentials,
  type DpopAuthState,
  type DpopPolicy,
  dpopAuth,
  type PresentedAccessToken,
} from './dpop-auth.js';
import { errorHandler } from './error-handler.js';

type State = DpopAuthState & { token?: PresentedAccessToken };
interface Body {
  error?: string;
  error_description?: string;
  dpop?: { jkt: string } | null;
  scheme?: string;
}

const PUBLIC_URL = 'https://issuer.example';
const TOKEN_URL = `${PUBLIC_URL}/v1/token`;
const CREDENTIAL_URL = `${PUBLIC_URL}/v1/credential`;
const HAIP: DpopPolicy = { dpop: 'required', nonce: 'required' };
const LENIENT: DpopPolicy = { dpop: 'optional', nonce: 'optional' };
const BOUND_TOKEN = 'bound.access.token';
const BEARER_TOKEN = 'plain.access.token';

const served: Served[] = [];
let clock: FakeClock;
let replay: ReplayStore;
let nonces: NonceIssuer;
let key: DpopClientKey;

beforeEach(() => {
  clock = createFakeClock();
  replay = createMemoryReplayStore({ now: clock.now });
  nonces = createNonceIssuer({ secrets: ['dpop-auth-test-secret-0123456789abcdef'], now: clock.now });
  key = dpopClientKey('ES256');
});
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

const proof = (claims: Partial<ProofClaims> & { htu: string }, with_: DpopClientKey = key) =>
  dpopProof(with_, { htm: 'POST', iat: Math.floor(clock.now() / 1000), ...claims });

async function serve(app: Koa<State>): Promise<string> {
  const server = await listen(app.callback());
  served.push(server);
  return server.url;
}

interface AppOptions {
  policy?: DpopPolicy | ((ctx: Koa.ParameterizedContext<State>) => DpopPolicy);
  nonces?: NonceIssuer | null;
  replay?: ReplayStore;
}

/** POST /v1/token behind dpopAuth; `x-fail: grant` makes the route itself refuse the grant. */
async function tokenEndpoint(options: AppOptions = {}): Promise<string> {
  const app = new Koa<State>();
  app.use(errorHandler<State>((err) => renderOAuth(err)));
  app.use(
    dpopAuth<State>({
      mode: 'token',
      publicUrl: PUBLIC_URL,
      replay: options.replay ?? replay,
      ...(options.nonces === null ? {} : { nonces: options.nonces ?? nonces }),
      policy: options.policy ?? HAIP,
      now: clock.now,
    }),
  );
  app.use(async (ctx) => {
    if (ctx.get('x-fail') === 'grant') throw tokenEndpointErrors.error('invalid_grant');
    ctx.body = { dpop: ctx.state.dpop ?? null };
  });
  return `${await serve(app)}/v1/token`;
}

/** POST /v1/credential: a stand-in access-token step (DPoP or Bearer scheme), then dpopAuth. */
async function credentialEndpoint(options: AppOptions = {}): Promise<string> {
  const tokens = new Map<string, string | undefined>([
    [BOUND_TOKEN, key.jkt],
    [BEARER_TOKEN, undefined],
  ]);
  const app = new Koa<State>();
  app.use(errorHandler<State>((err) => renderOAuth(err)));
  app.use(async (ctx, next) => {
    const credentials = authorizationCredentials(ctx.get('authorization'));
    if (!credentials.ok || !tokens.has(credentials.token))
      throw credentialEndpointErrors.error('invalid_token');
    ctx.state.token = {
      scheme: credentials.scheme,
      token: credentials.token,
      jkt: tokens.get(credentials.token),
    };
    await next();
  });
  app.use(
    dpopAuth<State>({
      mode: 'resource',
      publicUrl: `${PUBLIC_URL}/`,
      replay: options.replay ?? replay,
      ...(options.nonces === null ? {} : { nonces: options.nonces ?? nonces }),
      policy: options.policy ?? HAIP,
      now: clock.now,
      accessToken: (ctx) => ctx.state.token,
    }),
  );
  app.use(async (ctx) => {
    ctx.body = { dpop: ctx.state.dpop ?? null, scheme: ctx.state.token?.scheme };
  });
  return `${await serve(app)}/v1/credential`;
}

const post = (url: string, headers: Record<string, string> | Headers = {}) =>
  fetch(url, { method: 'POST', headers });

describe('dpopAuth at the token endpoint', () => {
  it('accepts a valid proof and exposes its jkt for binding the token', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const res = await post(url, { DPoP: proof({ htu: TOKEN_URL }) });
    expect(res.status).toBe(200);
    expect((await readJson<Body>(res)).dpop).toMatchObject({ jkt: key.jkt });
  });

  it('answers 400 invalid_dpop_proof with the rule for a bad proof, without a challenge', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const res = await post(url, { DPoP: proof({ htu: TOKEN_URL, htm: 'GET' }) });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await readJson<Body>(res)).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'htm does not match the request method',
    });
  });

  it('answers 400 invalid_dpop_proof for two DPoP headers', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const headers = new Headers();
    headers.append('DPoP', proof({ htu: TOKEN_URL }));
    headers.append('DPoP', proof({ htu: TOKEN_URL }));
    const res = await post(url, headers);
    expect(res.status).toBe(400);
    expect(await readJson<Body>(res)).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('compares htu with PUBLIC_URL, not with the Host the request reached', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const res = await post(url, { DPoP: proof({ htu: url }) });
    expect(res.status).toBe(400);
    expect(await readJson<Body>(res)).toMatchObject({
      error_description: 'htu does not match the request URL',
    });
  });

  it('answers 400 invalid_dpop_proof when DPoP is required and no proof is sent', async () => {
    const url = await tokenEndpoint({ policy: HAIP });
    const res = await post(url);
    expect(res.status).toBe(400);
    expect(await readJson<Body>(res)).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'DPoP proof required',
    });
  });

  it('lets a request without proof through when DPoP is optional (an unbound token follows)', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const res = await post(url);
    expect(res.status).toBe(200);
    expect((await readJson<Body>(res)).dpop).toBeNull();
  });

  it('answers 400 use_dpop_nonce with a DPoP-Nonce, and accepts the retry that carries it', async () => {
    const url = await tokenEndpoint({ policy: HAIP });
    const first = await post(url, { DPoP: proof({ htu: TOKEN_URL }) });
    expect(first.status).toBe(400);
    expect(await readJson<Body>(first)).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = first.headers.get('dpop-nonce') ?? '';
    expect(nonces.verify(nonce)).toBe(true);
    const retry = await post(url, { DPoP: proof({ htu: TOKEN_URL, nonce }) });
    expect(retry.status).toBe(200);
  });

  it('answers 400 use_dpop_nonce for a stale nonce', async () => {
    const url = await tokenEndpoint({ policy: HAIP });
    const nonce = nonces.issue();
    clock.advance(300_001);
    const res = await post(url, { DPoP: proof({ htu: TOKEN_URL, nonce }) });
    expect(res.status).toBe(400);
    expect(await readJson<Body>(res)).toMatchObject({ error: 'use_dpop_nonce' });
    expect(res.headers.get('dpop-nonce')).not.toBe(nonce);
  });

  it('checks a nonce the proof carries even when nonces are optional', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const bad = await post(url, { DPoP: proof({ htu: TOKEN_URL, nonce: 'stale-or-forged' }) });
    expect(bad.status).toBe(400);
    expect(await readJson<Body>(bad)).toMatchObject({ error: 'use_dpop_nonce' });
    const good = await post(url, { DPoP: proof({ htu: TOKEN_URL, nonce: nonces.issue() }) });
    expect(good.status).toBe(200);
  });

  it('puts a fresh DPoP-Nonce on every response, errors of the route included', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const a = await post(url, { DPoP: proof({ htu: TOKEN_URL }) });
    const b = await post(url, { DPoP: proof({ htu: TOKEN_URL }), 'x-fail': 'grant' });
    expect(a.status).toBe(200);
    expect(b.status).toBe(400);
    expect(await readJson<Body>(b)).toMatchObject({ error: 'invalid_grant' });
    const [nonceA, nonceB] = [a.headers.get('dpop-nonce'), b.headers.get('dpop-nonce')];
    expect(nonces.verify(nonceA)).toBe(true);
    expect(nonces.verify(nonceB)).toBe(true);
    expect(nonceA).not.toBe(nonceB);
  });

  it('sends no DPoP-Nonce when no nonce issuer is configured', async () => {
    const url = await tokenEndpoint({ policy: { dpop: 'required', nonce: 'optional' }, nonces: null });
    const res = await post(url, { DPoP: proof({ htu: TOKEN_URL }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('dpop-nonce')).toBeNull();
  });

  it('refuses a replayed proof', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const once = proof({ htu: TOKEN_URL });
    expect((await post(url, { DPoP: once })).status).toBe(200);
    const again = await post(url, { DPoP: once });
    expect(again.status).toBe(400);
    expect(await readJson<Body>(again)).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'jti has already been used',
    });
  });

  it('refuses a resource proof (with ath) at the token endpoint', async () => {
    const url = await tokenEndpoint({ policy: LENIENT });
    const res = await post(url, { DPoP: proof({ htu: TOKEN_URL, accessToken: BOUND_TOKEN }) });
    expect(res.status).toBe(400);
  });

  it('answers 500 server_error, never success, when the replay store is down', async () => {
    const down: ReplayStore = { remember: () => Promise.reject(new Error('ECONNREFUSED')) };
    const url = await tokenEndpoint({ policy: LENIENT, replay: down });
    const res = await post(url, { DPoP: proof({ htu: TOKEN_URL }) });
    expect(res.status).toBe(500);
    expect(await readJson<Body>(res)).toEqual({
      error: 'server_error',
      error_description: 'Internal server error',
    });
  });

  it('applies a per-request policy (e.g. the tenant profile)', async () => {
    const url = await tokenEndpoint({
      policy: (ctx) => (ctx.get('x-profile') === 'es256_x509' ? HAIP : LENIENT),
    });
    expect((await post(url, { 'x-profile': 'eddsa_did' })).status).toBe(200);
    expect((await post(url, { 'x-profile': 'es256_x509' })).status).toBe(400);
  });

  it('refuses bad options when it is created', () => {
    const base = { mode: 'token' as const, replay, policy: LENIENT };
    expect(() => dpopAuth({ ...base, publicUrl: 'issuer.example' })).toThrow(TypeError);
    expect(() => dpopAuth({ ...base, publicUrl: `${PUBLIC_URL}?x=1` })).toThrow(TypeError);
    expect(() => dpopAuth({ ...base, publicUrl: PUBLIC_URL, policy: HAIP })).toThrow(TypeError);
  });
});

describe('dpopAuth at a protected resource', () => {
  const dpopRequest = (proofValue?: string, token = BOUND_TOKEN): Record<string, string> => ({
    Authorization: `DPoP ${token}`,
    ...(proofValue === undefined ? {} : { DPoP: proofValue }),
  });

  it('accepts a DPoP-bound token with a proof of its key, ath and nonce', async () => {
    const url = await credentialEndpoint();
    const res = await post(
      url,
      dpopRequest(proof({ htu: CREDENTIAL_URL, accessToken: BOUND_TOKEN, nonce: nonces.issue() })),
    );
    expect(res.status).toBe(200);
    expect(await readJson<Body>(res)).toMatchObject({ dpop: { jkt: key.jkt }, scheme: 'DPoP' });
  });

  it('answers 401 invalid_dpop_proof with a DPoP challenge for a bad proof', async () => {
    const url = await credentialEndpoint({ policy: LENIENT });
    const res = await post(url, dpopRequest(proof({ htu: TOKEN_URL, accessToken: BOUND_TOKEN })));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'DPoP error="invalid_dpop_proof", error_description="htu does not match the request URL", algs="ES256 EdDSA"',
    );
    expect(await readJson<Body>(res)).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('answers 401 use_dpop_nonce with DPoP-Nonce when the required nonce is missing', async () => {
    const url = await credentialEndpoint({ policy: HAIP });
    const res = await post(url, dpopRequest(proof({ htu: CREDENTIAL_URL, accessToken: BOUND_TOKEN })));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(
      /^DPoP error="use_dpop_nonce", .*algs="ES256 EdDSA"$/,
    );
    const nonce = res.headers.get('dpop-nonce') ?? '';
    expect(nonces.verify(nonce)).toBe(true);
    const retry = await post(
      url,
      dpopRequest(proof({ htu: CREDENTIAL_URL, accessToken: BOUND_TOKEN, nonce })),
    );
    expect(retry.status).toBe(200);
  });

  it('answers 401 invalid_dpop_proof when the DPoP scheme comes without a proof', async () => {
    const url = await credentialEndpoint({ policy: LENIENT });
    const res = await post(url, dpopRequest());
    expect(res.status).toBe(401);
    expect(await readJson<Body>(res)).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('answers 401 invalid_dpop_proof for a proof by another key than the token is bound to', async () => {
    const url = await credentialEndpoint({ policy: LENIENT });
    const other = dpopClientKey('EdDSA');
    const res = await post(url, dpopRequest(proof({ htu: CREDENTIAL_URL, accessToken: BOUND_TOKEN }, other)));
    expect(res.status).toBe(401);
    expect(await readJson<Body>(res)).toMatchObject({
      error: 'invalid_dpop_proof',
      error_description: 'the proof key is not the key the access token is bound to',
    });
  });

  it('answers 401 invalid_dpop_proof for a proof made for another access token', async () => {
    const url = await credentialEndpoint({ policy: LENIENT });
    const res = await post(url, dpopRequest(proof({ htu: CREDENTIAL_URL, accessToken: 'another.token' })));
    expect(res.status).toBe(401);
    expect(await readJson<Body>(res)).toMatchObject({
      error_description: 'ath does not match the access token',
    });
  });

  it('answers 401 invalid_token for a DPoP-bound token sent as Bearer', async () => {
    const url = await credentialEndpoint({ policy: LENIENT });
    const res = await post(url, {
      Authorization: `Bearer ${BOUND_TOKEN}`,
      DPoP: proof({ htu: CREDENTIAL_URL, accessToken: BOUND_TOKEN }),
    });
    expect(res.status).toBe(401);
    expect(await readJson<Body>(res)).toMatchObject({ error: 'invalid_token' });
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
  });

  it('answers 401 invalid_token "endpoint requires DPoP binding" for a Bearer token where DPoP is required', async () => {
    const url = await credentialEndpoint({ policy: HAIP });
    const res = await post(url, { Authorization: `Bearer ${BEARER_TOKEN}` });
    expect(res.status).toBe(401);
    expect(await readJson<Body>(res)).toEqual({
      error: 'invalid_token',
      error_description: 'endpoint requires DPoP binding',
    });
  });

  it('lets an unbound Bearer token through where DPoP is optional', async () => {
    const url = await credentialEndpoint({ policy: LENIENT });
    const res = await post(url, { Authorization: `Bearer ${BEARER_TOKEN}` });
    expect(res.status).toBe(200);
    expect(await readJson<Body>(res)).toMatchObject({ dpop: null, scheme: 'Bearer' });
    expect(nonces.verify(res.headers.get('dpop-nonce'))).toBe(true);
  });

  it('answers 401 invalid_token for an unbound token sent with the DPoP scheme', async () => {
    const url = await credentialEndpoint({ policy: LENIENT });
    const res = await post(
      url,
      dpopRequest(proof({ htu: CREDENTIAL_URL, accessToken: BEARER_TOKEN }), BEARER_TOKEN),
    );
    expect(res.status).toBe(401);
    expect(await readJson<Body>(res)).toMatchObject({
      error: 'invalid_token',
      error_description: 'The access token is not DPoP-bound',
    });
  });

  it('answers 401 invalid_token when no access token was found by the earlier step', async () => {
    const app = new Koa<State>();
    app.use(errorHandler<State>((err) => renderOAuth(err)));
    app.use(
      dpopAuth<State>({
        mode: 'resource',
        publicUrl: PUBLIC_URL,
        replay,
        policy: LENIENT,
        accessToken: () => undefined,
      }),
    );
    const res = await post(`${await serve(app)}/v1/credential`);
    expect(res.status).toBe(401);
    expect(await readJson<Body>(res)).toMatchObject({ error: 'invalid_token' });
  });
});

describe('authorizationCredentials', () => {
  it.each([
    ['DPoP abc.def-_~+/=', { ok: true, scheme: 'DPoP', token: 'abc.def-_~+/=' }],
    ['dpop abc', { ok: true, scheme: 'DPoP', token: 'abc' }],
    ['Bearer abc', { ok: true, scheme: 'Bearer', token: 'abc' }],
    ['BEARER  abc ', { ok: true, scheme: 'Bearer', token: 'abc' }],
    ['', { ok: false, reason: 'missing' }],
    ['Basic dXNlcg==', { ok: false, reason: 'malformed' }],
    ['DPoP', { ok: false, reason: 'malformed' }],
    ['DPoP a b', { ok: false, reason: 'malformed' }],
    ['DPoP a, Bearer b', { ok: false, reason: 'malformed' }],
    ['DPoP a"b', { ok: false, reason: 'malformed' }],
    [`DPoP ${'a'.repeat(4096)}`, { ok: false, reason: 'malformed' }],
  ])('reads %j', (header, expected) => {
    expect(authorizationCredentials(header)).toEqual(expected);
  });
});
