// SPEC §1 `GET /openapi.json`: the document of the TCS issuer's routes, through HTTP, held against
// the routes the app really registers and the answers it really gives (SPEC §6.1 error format).
import type { Database } from '@portcullis/db';
import { type Argon2Backend, createPasswordHasher } from '@portcullis/hashing';
import {
  createMetrics,
  documentedOperations,
  fetchOpenApiDocument,
  type JsonSchema,
  type OpenApiCheck,
  type OpenApiDocument,
  type OpenApiResponse,
  openApiCheck,
  openApiProblems,
  type RegisteredOperation,
} from '@portcullis/service';
import { hash as argon2Hash, verify as argon2Verify } from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import {
  ADMIN_TOKEN,
  approvedTenant,
  body,
  type CreatedTenant,
  type DidView,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
  TEST_ARGON2,
  type TokenResponse,
} from './harness.js';

const PUBLIC_URL = 'https://issuer.openapi.test';

let db: Database;
let app: RunningApp;
let tenant: CreatedTenant & { token: string };
let document: OpenApiDocument;
let check: OpenApiCheck;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db, publicUrl: PUBLIC_URL });
  tenant = await approvedTenant(app);
  document = await fetchOpenApiDocument(app.url);
  check = openApiCheck({
    document,
    baseUrl: app.url,
    // A slug nobody registers (valid, so the probes reach their handlers and change nothing).
    pathParams: { slug: 'no-such-tenant', tenant: 'no-such-tenant' },
    credentials: {
      adminToken: () => ({ authorization: `Bearer ${ADMIN_TOKEN}` }),
      loginToken: () => ({ authorization: `Bearer ${tenant.token}` }),
      apiKey: () => ({ 'x-api-key': tenant.apiKey }),
    },
    errorFormat: 'tcs',
    answerHeaders: ['x-request-id'],
  });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

// The routes of src/routes/*.ts and the health routes, written out (SPEC §1, §6.1, §6.2): a guard
// on the stack walk below, which would otherwise agree with an empty document if it found nothing.
const EXPECTED_ROUTES: RegisteredOperation[] = [
  { method: 'get', path: '/healthz' },
  { method: 'get', path: '/readyz' },
  { method: 'get', path: '/metrics' },
  { method: 'get', path: '/openapi.json' },
  { method: 'get', path: '/.well-known/jwks.json' },
  { method: 'get', path: '/.well-known/did-configuration.json/{tenant}' },
  { method: 'post', path: '/admin/tenants' },
  { method: 'get', path: '/admin/tenants' },
  { method: 'get', path: '/admin/tenants/{slug}' },
  { method: 'post', path: '/admin/tenants/{slug}/approve' },
  { method: 'post', path: '/admin/tenants/{slug}/suspend' },
  { method: 'post', path: '/admin/tenants/{slug}/api-key/rotate' },
  { method: 'post', path: '/v1/auth/login' },
  { method: 'post', path: '/v1/auth/password' },
  { method: 'get', path: '/v1/did' },
  { method: 'post', path: '/v1/did' },
  { method: 'post', path: '/v1/did/import' },
  { method: 'get', path: '/v1/tenant' },
];

const jsonSchemaOf = (response: OpenApiResponse) => response.content?.['application/json']?.schema;

/** Fails unless `error` is a TCS error (SPEC §6.1) that `response` documents, message included. */
function expectDocumentedError(response: OpenApiResponse, status: number, error: TcsError, label: string) {
  expect(check.errorProblems(response, status, error), label).toEqual([]);
}

/** Fixed messages of a documented error response. */
function documentedMessages(route: RegisteredOperation, status: number): string[] {
  const message = check.properties(check.responseSchema(route, status)).message;
  const parts = [message, ...((message?.anyOf as JsonSchema[] | undefined) ?? [])];
  return parts.flatMap((part) => (Array.isArray(part?.enum) ? (part.enum as string[]) : []));
}

describe('GET /openapi.json (SPEC §1)', () => {
  it('serves an OpenAPI 3.1 document as cacheable JSON, with PUBLIC_URL as its server', async () => {
    expect(await check.servedProblems([{}])).toEqual([]);
    expect(document.info.title).toBeTruthy();
    expect(document.servers).toEqual([{ url: PUBLIC_URL }]);
    expect(document.servers?.[0]?.url).toBe(app.deps.publicUrl);
  });

  it('needs no credentials and ignores bad ones', async () => {
    const headerSets = [
      {},
      { 'x-api-key': 'tcs_production_bad' },
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    ];
    expect(await check.servedProblems(headerSets)).toEqual([]);
  });

  it('is internally consistent: path parameters, references, security schemes, operation ids', () => {
    expect(openApiProblems(document)).toEqual([]);
  });
});

describe('the document and the routes', () => {
  it('documents exactly the routes the app registers, with their methods', () => {
    // A second app over the same collaborators (own metrics, so the first one's stay unduplicated).
    const second = createApp({ ...app.deps, metrics: createMetrics() });
    expect(check.routeProblems(second, EXPECTED_ROUTES)).toEqual([]);
  });

  it('answers every documented operation with a documented status and body, never "Route not found"', async () => {
    // Documented status (never 401: the declared credentials were accepted), X-Request-Id, required
    // headers, content type, and every error body field by field.
    expect(await check.answerProblems()).toEqual([]);
  });

  it('tells an undocumented route from a documented one (the probe above can fail)', async () => {
    const res = await app.request('/v1/unknown', { headers: { authorization: `Bearer ${tenant.token}` } });
    expect(res.status).toBe(404);
    const error = await body<TcsError>(res);
    expect(error.message).toBe('Route not found');
    const response = check.resolve<OpenApiResponse>({ $ref: '#/components/responses/RouteNotFound' });
    expectDocumentedError(response, 404, error, 'unknown');
  });

  it('answers a documented path called with another method as MethodNotAllowed documents it', async () => {
    for (const [path, headers] of [
      ['/admin/tenants', { authorization: `Bearer ${ADMIN_TOKEN}` }],
      ['/v1/did', { authorization: `Bearer ${tenant.token}` }],
      ['/.well-known/jwks.json', {}],
    ] as const) {
      const res = await app.request(path, { method: 'DELETE', headers });
      expect(res.status, path).toBe(405);
      expect(res.headers.get('allow'), path).toBeTruthy();
      const response = check.resolve<OpenApiResponse>({ $ref: '#/components/responses/MethodNotAllowed' });
      expectDocumentedError(response, 405, await body<TcsError>(res), path);
    }
  });

  it('answers every secured operation without credentials with a documented 401', async () => {
    expect(check.securedOperations().length).toBeGreaterThanOrEqual(11);
    // Each answers 401 with the error body the document lists for it, field by field.
    const problems = await check.unauthenticatedProblems<TcsError>({
      onAnswer: ({ operation, body: error, label }) => {
        const scheme = Object.keys(operation.security?.[0] ?? {})[0];
        expect(error.message, label).toBe(
          scheme === 'apiKey' ? 'API Key is required' : 'Bearer token is required',
        );
      },
    });
    expect(problems).toEqual([]);
  });

  it('declares the three security schemes of SPEC §6.1 and §6.2', () => {
    expect(document.components?.securitySchemes).toEqual({
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      loginToken: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    const security = (method: 'get' | 'post', path: string) => check.operation({ method, path }).security;
    expect(security('post', '/admin/tenants/{slug}/api-key/rotate')).toEqual([{ adminToken: [] }]);
    expect(security('post', '/v1/did/import')).toEqual([{ loginToken: [] }]);
    expect(security('post', '/v1/auth/password')).toEqual([{ loginToken: [] }]);
    expect(security('get', '/v1/tenant')).toEqual([{ apiKey: [] }]);
    for (const path of ['/v1/auth/login', '/.well-known/jwks.json', '/healthz', '/openapi.json'])
      expect(security(path === '/v1/auth/login' ? 'post' : 'get', path), path).toEqual([]);
  });

  it('lists the published API-key messages byte for byte, and the fixed login messages', () => {
    const tenantRoute = { method: 'get', path: '/v1/tenant' } as const;
    expect(documentedMessages(tenantRoute, 401)).toEqual(['API Key is required', 'Invalid API Key']);
    expect(documentedMessages(tenantRoute, 403)).toEqual(['Account is not approved']);
    const loginRoute = { method: 'post', path: '/v1/auth/login' } as const;
    expect(documentedMessages(loginRoute, 401)).toEqual(['Invalid credentials']);
    expect(documentedMessages(loginRoute, 403)).toEqual(['Account is not approved']);
    expect(documentedMessages(loginRoute, 429)).toEqual(['Too many requests, please try again later']);
    expect(Object.keys(check.response(loginRoute, 429).headers ?? {})).toContain('Retry-After');
    expect(Object.keys(check.response(loginRoute, 503).headers ?? {})).toContain('Retry-After');
    const admin = { method: 'post', path: '/admin/tenants/{slug}/suspend' } as const;
    expect(documentedMessages(admin, 401)).toEqual(['Bearer token is required', 'Invalid or expired token']);
    expect(Object.keys(check.response(admin, 429).headers ?? {})).toContain('Retry-After');
    expect(documentedMessages(admin, 409)).toEqual([
      'Tenant is pending; only an approved tenant can be suspended',
    ]);
  });

  it('documents every error body in the TCS format, never the Trusset envelope', () => {
    for (const route of documentedOperations(document)) {
      for (const [status, response] of Object.entries(check.operation(route).responses)) {
        if (Number(status) < 400) continue;
        expect(check.requiredKeys(jsonSchemaOf(check.resolve(response))), `${route.path} ${status}`).toEqual([
          'error',
          'message',
          'statusCode',
        ]);
      }
    }
  });

  it('gives request bodies the bounds the routes validate', () => {
    const schemas = document.components?.schemas ?? {};
    expect(schemas.CreateTenantRequest).toMatchObject({
      additionalProperties: false,
      required: ['slug', 'organizationName', 'ownerEmail', 'signingProfile'],
      properties: {
        slug: { pattern: '^[a-z0-9-]{3,32}$' },
        signingProfile: { enum: ['eddsa_did', 'es256_x509'] },
        environment: { enum: ['production', 'sandbox'], default: 'production' },
      },
    });
    expect(schemas.LoginRequest).toMatchObject({ required: ['uuid', 'password'] });
    expect(schemas.ChangePasswordRequest).toMatchObject({
      required: ['currentPassword', 'newPassword'],
      properties: { newPassword: { minLength: 12 } },
    });
    expect(schemas.ImportDidRequest).toMatchObject({
      required: ['did', 'privateJwk'],
      properties: { privateJwk: { type: 'object' } },
    });
  });

  it('requires exactly the fields the app sends in its success bodies', async () => {
    const created = await app.admin('/admin/tenants', {
      method: 'POST',
      json: {
        slug: 'openapi-shape',
        organizationName: 'Shape',
        ownerEmail: 'shape@example.test',
        signingProfile: 'es256_x509',
      },
    });
    expect(created.status).toBe(201);
    const createdBody = await body<CreatedTenant>(created);
    const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
    expect(check.requiredKeys(ref('CreatedTenant'))).toEqual(Object.keys(createdBody).sort());
    expect(check.requiredKeys(ref('Tenant'))).toEqual(Object.keys(createdBody.tenant).sort());

    const dids = await body<{ dids: DidView[] }>(
      await app.request('/v1/did', { headers: { authorization: `Bearer ${tenant.token}` } }),
    );
    expect(check.requiredKeys(ref('DidList'))).toEqual(Object.keys(dids).sort());
    expect(check.requiredKeys(ref('Did'))).toEqual(Object.keys(dids.dids[0] ?? {}).sort());

    const login = await app.request('/v1/auth/login', {
      method: 'POST',
      json: { uuid: tenant.uuid, password: tenant.initialPassword },
    });
    expect(check.requiredKeys(ref('AccessToken'))).toEqual(
      Object.keys(await body<TokenResponse>(login)).sort(),
    );

    const keyTenant = await body<{ tenant: Record<string, unknown> }>(
      await app.request('/v1/tenant', { headers: { 'x-api-key': tenant.apiKey } }),
    );
    expect(check.requiredKeys(check.properties(ref('KeyTenant')).tenant)).toEqual(
      Object.keys(keyTenant.tenant).sort(),
    );

    const jwks = await body<{ keys: Array<Record<string, unknown>> }>(
      await app.request('/.well-known/jwks.json'),
    );
    const jwkSchema = check.properties(ref('Jwks')).keys?.items as JsonSchema;
    expect(check.requiredKeys(jwkSchema)).toEqual(Object.keys(jwks.keys[0] ?? {}).sort());

    const linkage = await app.request(`/.well-known/did-configuration.json/${tenant.tenant.slug}`);
    expect(linkage.status).toBe(200);
    expect(check.requiredKeys(ref('DidConfiguration'))).toEqual(
      Object.keys(await body<object>(linkage)).sort(),
    );
  });
});

describe('the refusals the document lists are the ones the app sends', () => {
  it('answers failed logins past the limit with the documented 429 and Retry-After', async () => {
    const limited = await startApp({ db, publicUrl: PUBLIC_URL, limits: { loginFailuresPer15Min: 1 } });
    const route = { method: 'post', path: '/v1/auth/login' } as const;
    try {
      const wrong = { uuid: tenant.uuid, password: 'not the password' };
      const first = await limited.request('/v1/auth/login', { method: 'POST', json: wrong });
      expect(first.status).toBe(401);
      expectDocumentedError(check.response(route, 401), 401, await body<TcsError>(first), 'first');
      const refused = await limited.request('/v1/auth/login', { method: 'POST', json: wrong });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expectDocumentedError(check.response(route, 429), 429, await body<TcsError>(refused), 'refused');
    } finally {
      await limited.close();
    }
  });

  it('sheds a login when password hashing is saturated with the documented 503 and Retry-After', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Every verify waits until released, so one login holds the only slot and the next is shed.
    const blocking: Argon2Backend = {
      hash: (password, options) => argon2Hash(password, options),
      verify: async (phc, password) => {
        await held;
        return argon2Verify(phc, password);
      },
    };
    const busy = await startApp({
      db,
      publicUrl: PUBLIC_URL,
      hasher: createPasswordHasher({ ...TEST_ARGON2, argon2: blocking, maxConcurrent: 1, maxQueued: 0 }),
    });
    const route = { method: 'post', path: '/v1/auth/login' } as const;
    const safety = setTimeout(release, 5_000);
    try {
      const json = { uuid: 'd3b07384-d113-4ec6-a6f1-2b1f0e4c9a00', password: 'whatever password' };
      const answers = [0, 1].map(() => busy.request('/v1/auth/login', { method: 'POST', json }));
      const shed = await Promise.any(
        answers.map(async (pending) => {
          const res = await pending;
          if (res.status !== 503) throw new Error(`answered ${res.status}`);
          return res;
        }),
      );
      release();
      expect(shed.headers.get('retry-after')).toBe('1');
      expectDocumentedError(check.response(route, 503), 503, await body<TcsError>(shed), 'shed');
      const statuses = (await Promise.all(answers)).map((res) => res.status).sort();
      expect(statuses).toEqual([401, 503]);
    } finally {
      clearTimeout(safety);
      release();
      await busy.close();
    }
  });
});
