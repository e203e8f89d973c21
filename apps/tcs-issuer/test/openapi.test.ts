// `GET /openapi.json`: the document generated from the route declarations, served by the app,
// linted, and held against the routes the app really registers. (Every answer of every test file
// is held against it by the harness.)
import { createMetrics } from '@portcullis/app-kit';
import type { Database } from '@portcullis/db';
import {
  documentedOperations,
  documentedOperationsOf,
  lintOpenApi,
  readJson,
  registeredOperations,
} from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import {
  ADMIN_TOKEN,
  approvedTenant,
  body,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
} from './harness.js';

const PUBLIC_URL = 'https://issuer.openapi.test';

interface JsonSchema {
  $ref?: string;
  type?: string;
  enum?: string[];
  const?: unknown;
  pattern?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  [key: string]: unknown;
}
interface DocumentedResponse {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema: JsonSchema }>;
}
interface Operation {
  operationId: string;
  security: Array<Record<string, string[]>>;
  responses: Record<string, DocumentedResponse>;
}
interface Document {
  openapi: string;
  info: { title: string; license?: { name: string } };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

let db: Database;
let app: RunningApp;
let tenant: Awaited<ReturnType<typeof approvedTenant>>;
let document: Document;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db, publicUrl: PUBLIC_URL });
  tenant = await approvedTenant(app);
  document = await readJson<Document>(await app.request('/openapi.json'));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

// Every route of src/routes/*.ts and the service routes, written out: a guard on the comparison
// below, which would otherwise agree with an empty document if the router walk found nothing.
const EXPECTED_ROUTES = [
  { method: 'get', path: '/.well-known/did-configuration.json/{tenant}' },
  { method: 'get', path: '/.well-known/jwks.json' },
  { method: 'get', path: '/admin/tenants' },
  { method: 'post', path: '/admin/tenants' },
  { method: 'get', path: '/admin/tenants/{slug}' },
  { method: 'post', path: '/admin/tenants/{slug}/api-key/rotate' },
  { method: 'post', path: '/admin/tenants/{slug}/approve' },
  { method: 'post', path: '/admin/tenants/{slug}/suspend' },
  { method: 'get', path: '/healthz' },
  { method: 'get', path: '/metrics' },
  { method: 'get', path: '/openapi.json' },
  { method: 'get', path: '/readyz' },
  { method: 'get', path: '/v1/did' },
  { method: 'post', path: '/v1/auth/login' },
  { method: 'post', path: '/v1/auth/password' },
  { method: 'post', path: '/v1/did' },
  { method: 'post', path: '/v1/did/import' },
  { method: 'get', path: '/v1/tenant' },
  { method: 'get', path: '/.well-known/ca.pem' },
  { method: 'get', path: '/.well-known/jwt-vc-issuer/{tenant}' },
  { method: 'get', path: '/.well-known/oauth-authorization-server' },
  { method: 'get', path: '/.well-known/openid-credential-issuer/{tenant}' },
  { method: 'post', path: '/v1/offers' },
  { method: 'get', path: '/v1/offers/{offer_id}' },
  { method: 'post', path: '/v1/token' },
  { method: 'post', path: '/v1/nonce' },
  { method: 'post', path: '/v1/credential' },
  { method: 'get', path: '/v1/credentials' },
  { method: 'post', path: '/v1/credentials/{credential_id}/status' },
  { method: 'get', path: '/v1/status-lists/{tenant}/{list}' },
];
/** The OAuth endpoints: their errors are `{ error, error_description }`. */
const OAUTH_PATHS = new Set(['/v1/token', '/v1/nonce', '/v1/credential']);

const operation = (method: string, path: string): Operation => {
  const found = document.paths[path]?.[method];
  if (found === undefined) throw new Error(`${method} ${path} is not documented`);
  return found;
};
const resolve = (schema: JsonSchema | undefined): JsonSchema => {
  const name = schema?.$ref?.replace('#/components/schemas/', '');
  return name === undefined ? (schema ?? {}) : (document.components.schemas[name] ?? {});
};
/** The fixed messages a route's error response lists. */
const messages = (method: string, path: string, status: number): string[] => {
  const schema = operation(method, path).responses[String(status)]?.content?.['application/json']?.schema;
  return resolve(schema).properties?.message?.enum ?? [];
};
const credentials = (scheme: string | undefined): Record<string, string> => {
  if (scheme === 'adminToken') return { authorization: `Bearer ${ADMIN_TOKEN}` };
  if (scheme === 'loginToken') return { authorization: `Bearer ${tenant.token}` };
  if (scheme === 'apiKey') return { 'x-api-key': tenant.apiKey };
  return {};
};
// A slug nobody registers: valid, so requests reach their handlers and change nothing.
const PARAMS = {
  slug: 'no-such-tenant',
  tenant: 'no-such-tenant',
  offer_id: '00000000-0000-4000-8000-000000000000',
  credential_id: '00000000-0000-4000-8000-000000000000',
  list: '1',
};

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document as cacheable JSON, with PUBLIC_URL as its server', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: PUBLIC_URL }]);
    expect(document.info.license?.name).toBe('MIT');
  });

  it('needs no credentials and ignores bad ones', async () => {
    for (const headers of [
      { 'x-api-key': 'tcs_production_bad' },
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    ]) {
      const res = await app.request('/openapi.json', { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(document);
    }
  });

  it('lints without errors', async () => {
    expect((await lintOpenApi(document)).errors).toEqual([]);
  });
});

describe('the document and the routes', () => {
  it('documents exactly the routes the app registers, with their methods', () => {
    // A second app over the same collaborators (own metrics, so the first one's stay unduplicated).
    const registered = registeredOperations(createApp({ ...app.deps, metrics: createMetrics() }));
    expect(registered).toEqual(documentedOperations(document));
    expect(registered).toEqual(
      [...EXPECTED_ROUTES].sort((a, b) =>
        a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path),
      ),
    );
  });

  it('answers every documented operation with its credentials, never "Route not found"', async () => {
    // Each answer is also held against the document by the harness. An issuance token comes only
    // from a whole offer → token exchange: the issuance suites call that route with one.
    for (const op of documentedOperationsOf(document, PARAMS).filter((o) => o.security !== 'issuanceToken')) {
      const res = await app.request(op.path, { method: op.method, headers: credentials(op.security) });
      const text = await res.text();
      expect(res.status, `${op.method} ${op.path}: ${text}`).toBeLessThan(500);
      expect(res.status, `${op.method} ${op.path}`).not.toBe(401);
      if (res.status === 404) expect((JSON.parse(text) as TcsError).message).not.toBe('Route not found');
      if (res.status === 405) throw new Error(`${op.method} ${op.path}: method not allowed`);
    }
  });

  it('answers every secured operation without credentials with its documented 401', async () => {
    const secured = documentedOperationsOf(document, PARAMS).filter((op) => op.security !== undefined);
    expect(secured.length).toBeGreaterThanOrEqual(14);
    for (const op of secured) {
      const res = await app.request(op.path, { method: op.method });
      expect(res.status, `${op.method} ${op.path}`).toBe(401);
      if (op.security === 'issuanceToken') {
        expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
        expect(await res.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
        continue;
      }
      const error = await body<TcsError>(res);
      expect(error.message).toBe(
        op.security === 'apiKey' ? 'API Key is required' : 'Bearer token is required',
      );
      expect(messages(op.method.toLowerCase(), op.template, 401)).toContain(error.message);
    }
  });

  it('declares the four security schemes, and public routes as public', () => {
    expect(document.components.securitySchemes).toEqual({
      issuanceToken: expect.objectContaining({ type: 'http', scheme: 'DPoP' }),
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      loginToken: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    expect(operation('post', '/admin/tenants/{slug}/api-key/rotate').security).toEqual([{ adminToken: [] }]);
    expect(operation('post', '/v1/did/import').security).toEqual([{ loginToken: [] }]);
    expect(operation('post', '/v1/auth/password').security).toEqual([{ loginToken: [] }]);
    expect(operation('get', '/v1/tenant').security).toEqual([{ apiKey: [] }]);
    for (const [method, path] of [
      ['post', '/v1/auth/login'],
      ['get', '/.well-known/jwks.json'],
      ['get', '/.well-known/did-configuration.json/{tenant}'],
      ['get', '/healthz'],
      ['get', '/readyz'],
      ['get', '/metrics'],
      ['get', '/openapi.json'],
    ] as const) {
      expect(operation(method, path).security, path).toEqual([]);
    }
  });

  it('lists the published API-key messages byte for byte, and the fixed login messages', () => {
    expect(messages('get', '/v1/tenant', 401)).toEqual(['API Key is required', 'Invalid API Key']);
    expect(messages('get', '/v1/tenant', 403)).toEqual(['Account is not approved']);
    expect(messages('post', '/v1/auth/login', 401)).toEqual(['Invalid credentials']);
    expect(messages('post', '/v1/auth/login', 403)).toEqual(['Account is not approved']);
    expect(messages('post', '/v1/auth/login', 429)).toEqual(['Too many requests, please try again later']);
    expect(messages('post', '/admin/tenants/{slug}/suspend', 401)).toEqual([
      'Bearer token is required',
      'Invalid or expired token',
    ]);
    expect(messages('post', '/admin/tenants/{slug}/suspend', 409)).toEqual([
      'Tenant is pending; only an approved tenant can be suspended',
    ]);
  });

  it('documents Retry-After on every 429, and on the 503 of a route that hashes a password', () => {
    const headersOf = (method: string, path: string, status: number) =>
      Object.keys(operation(method, path).responses[String(status)]?.headers ?? {});
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (op.responses['429'] !== undefined)
          expect(headersOf(method, path, 429), path).toContain('Retry-After');
      }
    }
    expect(headersOf('post', '/admin/tenants/{slug}/approve', 429)).toContain('Retry-After');
    expect(headersOf('post', '/v1/auth/login', 429)).toContain('Retry-After');
    expect(headersOf('post', '/v1/auth/login', 503)).toContain('Retry-After');
    expect(headersOf('post', '/v1/auth/password', 503)).toContain('Retry-After');
    expect(headersOf('get', '/v1/did', 503)).not.toContain('Retry-After');
  });

  it('documents every error body in the TCS format, its status and reason phrase fixed', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          const schema = resolve(response.content?.['application/json']?.schema);
          if (OAUTH_PATHS.has(path)) {
            expect(schema.required?.slice().sort(), `${method} ${path} ${status}`).toEqual([
              'error',
              'error_description',
            ]);
            expect(schema.additionalProperties, `${method} ${path} ${status}`).toBe(false);
            continue;
          }
          expect(schema.required?.slice().sort(), `${method} ${path} ${status}`).toEqual([
            'error',
            'message',
            'statusCode',
          ]);
          expect(schema.properties?.statusCode?.const, `${method} ${path} ${status}`).toBe(Number(status));
          expect(schema.properties?.error?.const, `${method} ${path} ${status}`).toEqual(expect.any(String));
        }
      }
    }
  });

  it('gives request bodies the bounds the routes validate', () => {
    const schemas = document.components.schemas;
    expect(schemas.CreateTenantRequest).toMatchObject({
      additionalProperties: false,
      required: ['slug', 'organizationName', 'ownerEmail', 'signingProfile'],
      properties: {
        slug: { pattern: '^[a-z0-9-]{3,32}$' },
        environment: { default: 'production' },
      },
    });
    expect(schemas.SigningProfile).toMatchObject({ enum: ['eddsa_did', 'es256_x509'] });
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

  it('states the limits in force', async () => {
    const limited = await startApp({
      db,
      publicUrl: PUBLIC_URL,
      limits: { loginFailuresPer15Min: 7, adminAuthPer15Min: 9 },
    });
    try {
      const served = await readJson<Document & { tags: Array<{ name: string; description: string }> }>(
        await limited.request('/openapi.json'),
      );
      expect(served.components.securitySchemes.adminToken?.description).toContain('9 failed attempts');
      expect(served.tags.find((tag) => tag.name === 'Auth')?.description).toContain(
        '7 wrong-credential answers',
      );
    } finally {
      await limited.close();
    }
  });
});
