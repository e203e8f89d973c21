// SPEC §8: hostile input never yields a 500 or a crash, and every error is the TCS body of SPEC §6.1
// `{ statusCode, message, error }`. Property tests over methods, paths, headers and bodies against a
// running app (bounded runs, loopback only).
import type { Database } from '@portcullis/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDidKey } from '../src/crypto/did-key.js';
import {
  ADMIN_TOKEN,
  approvedTenant,
  createTenant,
  issuedSecrets,
  pgliteDatabase,
  type RunningApp,
  startApp,
} from './harness.js';

let db: Database;
let app: RunningApp;
/** An approved tenant whose token and key stay valid for the whole file. */
let tenant: Awaited<ReturnType<typeof approvedTenant>>;
/** A tenant the properties may approve, suspend and rotate at will. */
let target: Awaited<ReturnType<typeof createTenant>>;
/** A valid import body for `tenant` (a fresh Ed25519 key pair). */
let importable: { did: string; privateJwk: Record<string, unknown> };

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db });
  tenant = await approvedTenant(app);
  target = await createTenant(app);
  const { didKey, privateJwk } = await generateDidKey('EdDSA');
  issuedSecrets.add(privateJwk.d as string);
  importable = { did: didKey.did, privateJwk: { ...privateJwk } };
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

/** Statuses seen per route template, to show the generators reach past the first guard. */
const seen = new Map<string, Set<number>>();

/** Secrets a 2xx body may carry (created tenants, rotated keys, tokens): kept out of the logs too. */
function collectSecrets(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  for (const [name, member] of Object.entries(value)) {
    if (typeof member === 'string' && ['apiKey', 'initialPassword', 'access_token'].includes(name)) {
      issuedSecrets.add(member);
    } else {
      collectSecrets(member);
    }
  }
}

/**
 * The response is not a 5xx; an error carries exactly the TCS body with the response's status;
 * a success with a JSON type parses. Returns the body text.
 */
async function expectHandled(res: Response, method: string, label: string): Promise<string> {
  const text = await res.text();
  seen.set(label, (seen.get(label) ?? new Set()).add(res.status));
  expect(res.status, `${method} ${label}: ${text.slice(0, 200)}`).toBeLessThan(500);
  if (method === 'HEAD') {
    expect(text).toBe('');
    return text;
  }
  if (res.status >= 400) {
    expect(res.headers.get('content-type'), `${method} ${label} ${res.status}`).toContain('application/json');
    const problem = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(problem).sort(), `${method} ${label}`).toEqual(['error', 'message', 'statusCode']);
    expect(problem.statusCode).toBe(res.status);
    expect(typeof problem.message).toBe('string');
    expect(typeof problem.error).toBe('string');
  } else if (res.headers.get('content-type')?.includes('json')) {
    collectSecrets(JSON.parse(text));
  }
  return text;
}

// Header values fetch can send: visible ASCII, spaces and tabs inside (undici trims the ends).
const headerText = fc.stringMatching(/^[\x20-\x7e\t]{0,300}$/);
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const apiKeyValue = () =>
  fc.oneof(
    headerText,
    hex(48).map((h) => `tcs_production_${h}`),
    fc.tuple(fc.stringMatching(/^[a-z0-9]{1,17}$/), hex(48)).map(([env, h]) => `tcs_${env}_${h}`),
    hex(64).map((h) => `trusset_abcd1234_${h}`),
    fc.constantFrom(tenant.apiKey, target.apiKey, tenant.apiKey.toUpperCase(), `${tenant.apiKey} `, ''),
    fc.nat({ max: 400 }).map((n) => `tcs_production_${'a'.repeat(n)}`),
  );
const authorizationValue = () =>
  fc.oneof(
    headerText,
    fc
      .tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'DPoP', 'Token', ''), headerText)
      .map(([scheme, token]) => `${scheme} ${token}`),
    fc
      .tuple(fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 200 }))
      .map(([h, p]) => `Bearer ${h}.${p}.sig`),
    fc.constantFrom(
      `Bearer ${tenant.token}`,
      `Bearer ${ADMIN_TOKEN}`,
      `Bearer  ${tenant.token}`,
      `Bearer ${tenant.token} extra`,
      `Bearer ${tenant.token.slice(0, -3)}`,
      `Bearer ${'x'.repeat(5000)}`,
      'Bearer',
      'Bearer ',
    ),
  );

/** A path segment: route words, slugs, encoded garbage, or anything percent-encoded. */
const segment = fc.oneof(
  fc.constantFrom(
    'v1',
    'did',
    'import',
    'auth',
    'login',
    'password',
    'tenant',
    'admin',
    'tenants',
    'approve',
    'suspend',
    'api-key',
    'rotate',
    '.well-known',
    'did-configuration.json',
    'jwks.json',
    'healthz',
    '%00',
    '%ff',
    '%',
    '%2F',
    '%2e%2e',
    '..',
    'a'.repeat(33),
    'x'.repeat(3000),
  ),
  fc.webSegment(),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.stringMatching(/^[a-z0-9-]{3,32}$/),
);

// Paths of every route, with `:slug` filled from a generator; the label names the template.
// `__TENANT__` and `__TARGET__` stand for the two tenants' slugs (not known when this module loads).
const slugValue = fc.oneof(segment, fc.constantFrom('no-such-tenant', '__TENANT__', '__TARGET__'));

/** The slug for a path; the long-lived tenant is never approved, suspended or rotated. */
function fillSlug(slug: string, label: string): string {
  const mutates = /approve|suspend|rotate/.test(label);
  if (slug === '__TENANT__') return mutates ? target.tenant.slug : tenant.tenant.slug;
  if (slug === '__TARGET__') return target.tenant.slug;
  return slug;
}

const ROUTES: ReadonlyArray<readonly [string, (slug: string) => string]> = [
  ['/v1/auth/login', () => '/v1/auth/login'],
  ['/v1/auth/password', () => '/v1/auth/password'],
  ['/v1/did', () => '/v1/did'],
  ['/v1/did/import', () => '/v1/did/import'],
  ['/v1/tenant', () => '/v1/tenant'],
  ['/admin/tenants', () => '/admin/tenants'],
  ['/admin/tenants/:slug', (s) => `/admin/tenants/${s}`],
  ['/admin/tenants/:slug/approve', (s) => `/admin/tenants/${s}/approve`],
  ['/admin/tenants/:slug/suspend', (s) => `/admin/tenants/${s}/suspend`],
  ['/admin/tenants/:slug/api-key/rotate', (s) => `/admin/tenants/${s}/api-key/rotate`],
  ['/.well-known/did-configuration.json/:slug', (s) => `/.well-known/did-configuration.json/${s}`],
  ['/.well-known/jwks.json', () => '/.well-known/jwks.json'],
];
const route = fc.constantFrom(...ROUTES);
const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD');

const BAD_UTF8 = [
  Uint8Array.of(0x7b, 0x22, 0x64, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d), // {"d":"\xc3("}
  Uint8Array.of(0xff, 0xfe, 0x7b, 0x7d),
  Uint8Array.of(0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d), // a UTF-8 encoded surrogate
  Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d), // BOM then {}
];

/** Bodies: JSON of any shape, serialised anything, raw bytes, bad UTF-8, deep nesting, big strings. */
const bodyValue = (): fc.Arbitrary<string | Uint8Array | undefined> =>
  fc.oneof(
    fc.json({ depthSize: 'medium' }),
    fc.anything({ maxDepth: 4 }).map((v) => {
      try {
        return JSON.stringify(v) ?? 'undefined';
      } catch {
        return String(v);
      }
    }),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom(...BAD_UTF8),
    fc.nat({ max: 2000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
    fc.nat({ max: 2000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
    fc.nat({ max: 200_000 }).map((n) => JSON.stringify({ did: 'd'.repeat(n), privateJwk: {} })),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '1e309',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"uuid":{"$gt":""},"password":["x"]}',
      '{"did":null,"privateJwk":{"kty":"OKP","crv":"Ed25519","x":"","d":""}}',
      '{"did":"did:key:z6Mk","privateJwk":{"kty":"EC","crv":"P-256","x":1,"y":[],"d":{}}}',
      '{"currentPassword":"x","newPassword":"\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800"}',
      '{"slug":"abc","organizationName":"\\u0000","ownerEmail":"a@b.c","signingProfile":"eddsa_did"}',
    ),
    fc.constant(undefined),
  );
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/jwk+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
  ),
  headerText,
);

type Headers = Record<string, string>;

async function send(method: string, path: string, headers: Headers, payload?: string | Uint8Array) {
  const hasBody = payload !== undefined && method !== 'GET' && method !== 'HEAD';
  return fetch(`${app.url}${path}`, {
    method,
    headers,
    ...(hasBody ? { body: payload } : {}),
  });
}

describe('hostile input', () => {
  it('never answers 5xx to arbitrary methods and paths among the routes, with any credentials', async () => {
    await fc.assert(
      fc.asyncProperty(
        methods,
        route,
        slugValue,
        fc.option(apiKeyValue(), { nil: undefined }),
        fc.option(authorizationValue(), { nil: undefined }),
        async (method, [label, path], slug, apiKey, authorization) => {
          const headers: Headers = {};
          if (apiKey !== undefined) headers['x-api-key'] = apiKey;
          if (authorization !== undefined) headers.authorization = authorization;
          await expectHandled(await send(method, path(fillSlug(slug, label)), headers), method, label);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never answers 5xx to arbitrary paths built from route words and garbage', async () => {
    await fc.assert(
      fc.asyncProperty(methods, fc.array(segment, { maxLength: 6 }), async (method, segments) => {
        const res = await send(method, `/${segments.join('/')}`, {
          'x-api-key': tenant.apiKey,
          authorization: `Bearer ${tenant.token}`,
        });
        await expectHandled(res, method, 'random path');
      }),
      { numRuns: 150 },
    );
  });

  it('answers X-API-Key on /v1/tenant only with 200 or the published 401/403 messages', async () => {
    const allowed = new Set(['API Key is required', 'Invalid API Key', 'Account is not approved']);
    await fc.assert(
      fc.asyncProperty(
        apiKeyValue(),
        fc.option(authorizationValue(), { nil: undefined }),
        async (apiKey, auth) => {
          const res = await send('GET', '/v1/tenant', {
            'x-api-key': apiKey,
            ...(auth === undefined ? {} : { authorization: auth }),
          });
          const text = await expectHandled(res, 'GET', '/v1/tenant');
          if (res.status !== 200) {
            expect([401, 403]).toContain(res.status);
            expect(allowed).toContain((JSON.parse(text) as { message: string }).message);
          } else {
            // Only a live key of an approved tenant (the target may have been approved by now).
            expect([tenant.apiKey, target.apiKey]).toContain(apiKey.trim());
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers Authorization on the bearer routes only with 200/201 or 401', async () => {
    const bearerRoutes = ['/v1/did', '/admin/tenants', '/admin/tenants/no-such-tenant'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bearerRoutes),
        authorizationValue(),
        async (path, authorization) => {
          const res = await send('GET', path, { authorization });
          await expectHandled(res, 'GET', `${path} (auth)`);
          expect([200, 401, 404]).toContain(res.status);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never answers 5xx to arbitrary bodies and content types on every POST route', async () => {
    const posts = [
      ['/v1/auth/login', {}],
      ['/v1/auth/password', { authorization: `Bearer ${tenant.token}` }],
      ['/v1/did', { authorization: `Bearer ${tenant.token}` }],
      ['/v1/did/import', { authorization: `Bearer ${tenant.token}` }],
      ['/admin/tenants', { authorization: `Bearer ${ADMIN_TOKEN}` }],
      [`/admin/tenants/${target.tenant.slug}/approve`, { authorization: `Bearer ${ADMIN_TOKEN}` }],
      [`/admin/tenants/${target.tenant.slug}/suspend`, { authorization: `Bearer ${ADMIN_TOKEN}` }],
      [`/admin/tenants/${target.tenant.slug}/api-key/rotate`, { authorization: `Bearer ${ADMIN_TOKEN}` }],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...posts),
        bodyValue(),
        contentType,
        async ([path, headers], payload, type) => {
          const res = await send('POST', path, { ...headers, 'content-type': type }, payload);
          await expectHandled(res, 'POST', path.replace(target.tenant.slug, ':slug'));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never answers 5xx to import bodies that mutate a valid one', async () => {
    const jwkMember = fc.constantFrom('kty', 'crv', 'x', 'y', 'd', 'alg', 'kid', '__proto__');
    const hostileValue = fc.oneof(
      fc.anything({ maxDepth: 2 }),
      fc.string({ maxLength: 60 }),
      fc
        .base64String({ maxLength: 60 })
        .map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(jwkMember, hostileValue, { maxKeys: 4 }),
        fc.oneof(fc.constant(importable.did), fc.string({ maxLength: 80 }), fc.anything({ maxDepth: 1 })),
        async (patch, did) => {
          const json = { did, privateJwk: { ...importable.privateJwk, ...patch } };
          let text: string;
          try {
            text = JSON.stringify(json);
          } catch {
            return; // BigInt and friends have no JSON form
          }
          const res = await send(
            'POST',
            '/v1/did/import',
            { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' },
            text,
          );
          await expectHandled(res, 'POST', '/v1/did/import (mutated)');
          expect([201, 400, 409]).toContain(res.status);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers 400 to invalid UTF-8 and deep nesting, and 413 to a body over 1 MB, on every JSON route', async () => {
    const jsonRoutes = [
      ['/v1/auth/login', {}],
      ['/v1/auth/password', { authorization: `Bearer ${tenant.token}` }],
      ['/v1/did/import', { authorization: `Bearer ${tenant.token}` }],
      ['/admin/tenants', { authorization: `Bearer ${ADMIN_TOKEN}` }],
    ] as const;
    for (const [path, headers] of jsonRoutes) {
      const json = { ...headers, 'content-type': 'application/json' };
      for (const bytes of BAD_UTF8.slice(0, 3)) {
        const res = await send('POST', path, json, bytes);
        await expectHandled(res, 'POST', path);
        expect(res.status, path).toBe(400);
      }
      const deep = await send('POST', path, json, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      await expectHandled(deep, 'POST', path);
      expect(deep.status).toBe(400);
      const huge = await send('POST', path, json, JSON.stringify({ uuid: 'x'.repeat(1_100_000) }));
      await expectHandled(huge, 'POST', path);
      expect(huge.status).toBe(413);
    }
  });

  it('never answers 5xx to absurd header lengths', async () => {
    for (const path of ['/v1/tenant', '/v1/did', '/admin/tenants']) {
      for (const length of [257, 4097, 8000]) {
        const res = await send('GET', path, {
          'x-api-key': `tcs_production_${'a'.repeat(length)}`,
          authorization: `Bearer ${'b'.repeat(length)}`,
        });
        await expectHandled(res, 'GET', path);
        expect(res.status).toBe(401);
      }
    }
  });

  it("answers a 20 KB header (over Node's header limit) with 431 and keeps serving", async () => {
    const res = await send('GET', '/v1/tenant', { 'x-api-key': `tcs_production_${'a'.repeat(20_000)}` });
    // Node's HTTP parser answers before the app sees the request: no app body to check.
    expect(res.status).toBe(431);
    await res.arrayBuffer();
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  // SPEC §6.1: every admin/API error is `{ statusCode, message, error }`; SPEC §8: hostile input
  // never yields a 5xx (the router's own 405 and 501 are rendered by the app's error handler).
  it('answers a method the route does not have with a 405 in the TCS format', async () => {
    for (const [method, path] of [
      ['PUT', '/v1/did'],
      ['DELETE', '/v1/tenant'],
      ['PATCH', '/admin/tenants'],
      ['GET', '/v1/auth/login'],
      ['POST', '/.well-known/jwks.json'],
    ] as const) {
      const res = await send(method, path, { authorization: `Bearer ${tenant.token}` });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('content-type'), `${method} ${path}`).toContain('application/json');
      expect(await res.json()).toEqual({
        statusCode: 405,
        message: 'Method not allowed',
        error: 'Method Not Allowed',
      });
      expect(res.headers.get('allow'), `${method} ${path}`).toBeTruthy();
    }
  });

  it('never answers 5xx to an HTTP method no route implements (PROPFIND, SEARCH, LOCK, QUERY)', async () => {
    for (const [method, path] of [
      ['PROPFIND', '/v1/did'],
      ['SEARCH', '/v1/tenant'],
      ['LOCK', '/admin/tenants'],
      ['QUERY', '/v1/auth/login'],
      ['PROPFIND', '/no/such/route'],
    ] as const) {
      const res = await send(method, path, {});
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(500);
      expect(JSON.parse(text)).toMatchObject({ statusCode: res.status, error: expect.any(String) });
    }
  });

  it('reached past the first guard on the main routes', () => {
    // The credential generators include valid ones, so authenticated handlers ran too.
    expect(seen.get('/v1/tenant')).toContain(200);
    expect(seen.get('/v1/tenant')).toContain(401);
    expect(seen.get('/v1/did/import (mutated)')).toContain(400);
    expect([...(seen.get('/admin/tenants') ?? [])].some((s) => s === 400 || s === 201)).toBe(true);
  });

  it('still serves normal requests afterwards', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(
      (await fetch(`${app.url}/v1/did`, { headers: { authorization: `Bearer ${tenant.token}` } })).status,
    ).toBe(200);
    expect((await fetch(`${app.url}/v1/tenant`, { headers: { 'x-api-key': tenant.apiKey } })).status).toBe(
      200,
    );
  });
});
