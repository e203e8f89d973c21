// `GET /openapi.json`: the document generated from the route declarations, held against the
// routes the app really registers. (Every answer of every test file is also checked against it:
// see the harness.)
import { createMetrics } from '@portcullis/app-kit';
import { instanceApiErrors, instanceAuthErrors, rateLimitErrors } from '@portcullis/errors';
import {
  type CheckedDocument,
  documentedOperations,
  lintOpenApi,
  readJson,
  registeredOperations,
} from '@portcullis/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { SERVICES } from '../src/domain.js';
import { createInstance, envelope, startApp, useApp } from './harness.js';

const app = useApp();
let document: ServedDocument;

/** The served document, as far as these tests read it. */
interface ServedDocument extends CheckedDocument {
  paths: Record<string, Record<string, unknown>>;
  openapi: string;
  info: { title: string };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  components?: { securitySchemes?: Record<string, unknown>; schemas?: Record<string, unknown> };
}

beforeAll(async () => {
  document = await readJson<ServedDocument>(await fetch(`${app.url}/openapi.json`));
});

/** The parts of an operation these tests read. */
interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; schema?: { enum?: string[] } }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<
    string,
    {
      headers?: Record<string, unknown>;
      content?: Record<
        string,
        { schema: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }
      >;
    }
  >;
}

function operation(method: string, path: string): Operation {
  const found = document.paths[path]?.[method] as Operation | undefined;
  if (found === undefined) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return found;
}

/** The `error.code` values an operation documents for `status`. */
function errorCodes(op: Operation, status: number): string[] {
  return (
    op.responses[String(status)]?.content?.['application/json']?.schema.properties?.error?.properties?.code
      ?.enum ?? []
  );
}

// The routes of src/routes/*.ts and the health routes, written out: a guard on the stack walk
// below, which would otherwise agree with an empty document if it found nothing.
const CUSTOMERS = '/customers/api/manage';
const CUSTODY = '/api/v2/custody/api';
const STOCKS = '/stocks/api';
const TRADING = '/orderbooks/stocks/api/offchain';
const LENDING = '/lending-stocks/api';
const CORE_ROUTES = [
  { method: 'get', path: CUSTOMERS },
  { method: 'post', path: CUSTOMERS },
  { method: 'get', path: `${CUSTOMERS}/{customerId}` },
  { method: 'put', path: `${CUSTOMERS}/{customerId}` },
  { method: 'delete', path: `${CUSTOMERS}/{customerId}` },
  { method: 'post', path: `${CUSTODY}/tokens` },
  { method: 'get', path: `${CUSTODY}/tokens` },
  { method: 'get', path: `${CUSTODY}/tokens/{tokenAddress}` },
  { method: 'delete', path: `${CUSTODY}/tokens/{tokenAddress}` },
  ...['credit', 'debit', 'lock', 'unlock', 'transfer'].map((action) => ({
    method: 'post',
    path: `${CUSTODY}/balances/${action}`,
  })),
  { method: 'get', path: `${CUSTODY}/balances/{customerRef}` },
  { method: 'get', path: `${CUSTODY}/balances/{customerRef}/{tokenAddress}` },
  { method: 'get', path: `${CUSTODY}/transactions` },
  { method: 'post', path: `${STOCKS}/tokenization/deploy` },
  { method: 'post', path: `${STOCKS}/tokenization/{tokenAddress}/issue` },
  { method: 'post', path: `${STOCKS}/tokenization/{tokenAddress}/redeem` },
  { method: 'get', path: `${STOCKS}/fetch/tokens` },
  { method: 'get', path: `${STOCKS}/fetch/token/{tokenAddress}` },
  { method: 'get', path: `${STOCKS}/fetch/holders/{tokenAddress}` },
  { method: 'get', path: `${STOCKS}/fetch/balance/{tokenAddress}/{account}` },
  { method: 'post', path: `${TRADING}/order-books` },
  { method: 'get', path: `${TRADING}/order-books` },
  { method: 'get', path: `${TRADING}/order-books/{id}` },
  { method: 'get', path: `${TRADING}/order-books/{id}/snapshot` },
  { method: 'get', path: `${TRADING}/order-books/{id}/trades` },
  { method: 'post', path: `${TRADING}/orders` },
  { method: 'get', path: `${TRADING}/orders/{orderId}` },
  { method: 'delete', path: `${TRADING}/orders/{orderId}` },
  { method: 'post', path: `${LENDING}/markets` },
  { method: 'get', path: `${LENDING}/markets` },
  { method: 'get', path: `${LENDING}/markets/{marketId}` },
  { method: 'get', path: `${LENDING}/markets/{marketId}/metrics` },
  ...['add-liquidity', 'remove-liquidity', 'open-loan', 'repay', 'close-loan'].map((action) => ({
    method: 'post',
    path: `${LENDING}/positions/{marketId}/${action}`,
  })),
];
const CORE_PREFIXES = [CUSTOMERS, CUSTODY, STOCKS, TRADING, LENDING];

const EXPECTED_ROUTES = [
  { method: 'get', path: '/healthz' },
  { method: 'get', path: '/readyz' },
  { method: 'get', path: '/metrics' },
  { method: 'get', path: '/openapi.json' },
  { method: 'post', path: '/admin/instances' },
  { method: 'get', path: '/admin/instances' },
  { method: 'get', path: '/admin/instances/{id}' },
  { method: 'patch', path: '/admin/instances/{id}' },
  { method: 'post', path: '/admin/instances/{id}/archive' },
  { method: 'post', path: '/admin/instances/{id}/unarchive' },
  { method: 'get', path: '/api/v2/instance' },
  { method: 'get', path: '/api/v2/instance/api-keys' },
  { method: 'post', path: '/api/v2/instance/api-keys' },
  { method: 'post', path: '/api/v2/instance/api-keys/{keyId}/rotate' },
  { method: 'post', path: '/api/v2/instance/api-keys/{keyId}/pause' },
  { method: 'post', path: '/api/v2/instance/api-keys/{keyId}/resume' },
  { method: 'post', path: '/api/v2/instance/api-keys/{keyId}/revoke' },
  { method: 'delete', path: '/api/v2/instance/api-keys/{keyId}' },
  ...SERVICES.map((service) => ({ method: 'get', path: `/api/v2/services/${service}` })),
  // The web console: its page and its hashed assets.
  { method: 'get', path: '/console' },
  { method: 'get', path: '/console/assets/{file}' },
  // The core services (SPEC §4.5), at their published paths.
  ...CORE_ROUTES,
];
const byPathThenMethod = (a: { method: string; path: string }, b: { method: string; path: string }) =>
  a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path);

describe('GET /openapi.json', () => {
  it('serves the generated OpenAPI 3.1 document as cacheable JSON, needing no credentials and ignoring bad ones', async () => {
    for (const headers of [{}, { 'x-api-key': 'trusset_bad' }, { authorization: 'Bearer wrong-token' }]) {
      const res = await fetch(`${app.url}/openapi.json`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(await readJson(res)).toEqual(document);
    }
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('Portcullis instance API');
  });

  it('lints without errors under the recommended rules', async () => {
    expect((await lintOpenApi(document)).errors).toEqual([]);
  }, 60_000);

  it('names its server: PUBLIC_URL when set, else relative to wherever it was fetched', async () => {
    expect(document.servers).toEqual([{ url: '/' }]);
    const published = await startApp({ db: app.db, publicUrl: 'https://instances.example.org' });
    try {
      const served = await readJson<ServedDocument>(await fetch(`${published.url}/openapi.json`));
      expect(served.servers).toEqual([{ url: 'https://instances.example.org' }]);
    } finally {
      await published.close();
    }
  });

  it('states the rate limits the app enforces', async () => {
    const limited = await startApp({
      db: app.db,
      limits: { keyPerMin: 7, ipPerMin: 3, keyMgmtPerMin: 5, authPer15Min: 4 },
    });
    try {
      const served = await readJson<ServedDocument>(await fetch(`${limited.url}/openapi.json`));
      const tag = (name: string) => served.tags?.find((t) => t.name === name)?.description ?? '';
      expect(tag('API keys')).toContain('5 per minute per instance');
      expect(tag('API keys')).toContain('7 per minute per key');
      expect(tag('API keys')).toContain('3 per minute per client address');
      expect(tag('Instances')).toContain('4 per 15 minutes per client address');
    } finally {
      await limited.close();
    }
  });

  it('is not rate limited, like /healthz, while the per-address limit refuses other routes', async () => {
    const limited = await startApp({
      db: app.db,
      limits: { ipPerMin: 1, keyPerMin: 10_000, keyMgmtPerMin: 10_000, authPer15Min: 10_000 },
    });
    try {
      for (let i = 0; i < 3; i += 1) {
        const res = await fetch(`${limited.url}/openapi.json`);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      }
      // The limit is live: the second keyless request on a limited route is refused.
      expect((await fetch(`${limited.url}/api/v2/instance`)).status).toBe(401);
      const refused = await fetch(`${limited.url}/api/v2/instance`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('x-ratelimit-limit')).toBe('1');
      expect((await fetch(`${limited.url}/openapi.json`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('the document and the routes', () => {
  it('documents exactly the routes the app registers, with their methods', () => {
    // A second app over the same collaborators (own metrics, so the first one's stay unduplicated).
    const second = createApp({ ...app.deps, metrics: createMetrics() });
    const registered = registeredOperations(second);
    expect(registered).toEqual([...EXPECTED_ROUTES].sort(byPathThenMethod));
    expect(documentedOperations(document)).toEqual(registered);
  });

  it('tells an undocumented route from a documented one', async () => {
    const { apiKey } = await createInstance(app);
    const res = await app.withKey(apiKey, '/api/v2/instance/unknown');
    expect(res.status).toBe(404);
    expect((await envelope<null>(res)).error?.message).toBe('Route not found');
  });

  it('declares the security schemes, and which routes need which (public ones none)', () => {
    expect(document.components?.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    for (const { method, path } of documentedOperations(document)) {
      const expected = path.startsWith('/admin/')
        ? [{ adminToken: [] }]
        : path.startsWith('/api/v2/') || CORE_PREFIXES.some((prefix) => path.startsWith(prefix))
          ? [{ apiKey: [] }]
          : [];
      expect(operation(method, path).security, `${method} ${path}`).toEqual(expected);
    }
  });

  it('documents each error code under the status its catalog gives it', () => {
    const statusOf = (code: string) => {
      for (const catalog of [instanceApiErrors, instanceAuthErrors, rateLimitErrors]) {
        if (catalog.has(code)) return catalog.spec(code as never).status;
      }
      throw new Error(`${code} is in no catalog of this app`);
    };
    let seen = 0;
    for (const { method, path } of documentedOperations(document)) {
      for (const status of Object.keys(operation(method, path).responses).map(Number)) {
        if (status < 400) continue;
        const codes = errorCodes(operation(method, path), status);
        expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const code of codes) expect(statusOf(code), `${method} ${path} ${code}`).toBe(status);
        seen += codes.length;
      }
    }
    expect(seen).toBeGreaterThan(100);
  });

  it('lists the codes of key management and service checks with their statuses', () => {
    const create = operation('post', '/api/v2/instance/api-keys');
    expect(errorCodes(create, 409)).toEqual(['LIMIT_EXCEEDED']);
    // INVALID_INPUT: the caller's own key is in its rotation overlap (it only reads).
    expect(errorCodes(create, 400)).toEqual(['VALIDATION_ERROR', 'INVALID_INPUT']);
    const remove = operation('delete', '/api/v2/instance/api-keys/{keyId}');
    expect(errorCodes(remove, 400)).toEqual(['INVALID_INPUT']);
    const revoke = operation('post', '/api/v2/instance/api-keys/{keyId}/revoke');
    expect(errorCodes(revoke, 400)).toEqual(['VALIDATION_ERROR', 'INVALID_INPUT']);
    expect(errorCodes(revoke, 401)).toEqual(['AUTH_REQUIRED', 'AUTH_FAILED']);
    expect(errorCodes(revoke, 404)).toEqual(['NOT_FOUND']);
    expect(errorCodes(revoke, 429)).toEqual(['RATE_LIMIT_EXCEEDED']);
    expect(errorCodes(revoke, 500)).toEqual(['AUTH_ERROR', 'INTERNAL_ERROR']);
    for (const name of SERVICES) {
      expect(errorCodes(operation('get', `/api/v2/services/${name}`), 403)).toEqual(['SERVICE_NOT_ENABLED']);
    }
  });

  it('lists X-Request-Id on every error, the rate-limit headers on limited operations, and Retry-After on 429', () => {
    for (const { method, path } of documentedOperations(document)) {
      const op = operation(method, path);
      const limited = (op.security ?? []).length > 0;
      if (limited) expect(Object.keys(op.responses), path).toContain('429');
      for (const [status, response] of Object.entries(op.responses)) {
        const headers = Object.keys(response.headers ?? {});
        const label = `${method} ${path} ${status}`;
        if (limited || status !== '200') expect(headers, label).toContain('X-Request-Id');
        if (limited) {
          expect(headers, label).toEqual(
            expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
          );
        } else expect(headers, label).not.toContain('X-RateLimit-Limit');
        expect(headers.includes('Retry-After'), label).toBe(status === '429');
      }
    }
  });

  it('documents a service check for exactly the services an instance can have', () => {
    const checks = documentedOperations(document).filter(({ path }) => path.startsWith('/api/v2/services/'));
    expect(checks.map(({ path }) => path.slice('/api/v2/services/'.length)).sort()).toEqual(
      [...SERVICES].sort(),
    );
  });

  it('gives request bodies the bounds the routes validate, and says which may be omitted', () => {
    const schemas = document.components?.schemas ?? {};
    expect(schemas.RotateKeyRequest).toMatchObject({
      additionalProperties: false,
      properties: { overlapSeconds: { type: 'integer', minimum: 0, maximum: 2_592_000, default: 604_800 } },
    });
    expect(schemas.PauseKeyRequest).toMatchObject({
      required: ['durationSeconds'],
      properties: { durationSeconds: { minimum: 60, maximum: 7_776_000 } },
    });
    expect(schemas.CreateKeyRequest).toMatchObject({
      required: ['name'],
      properties: { name: { minLength: 1, maxLength: 100 } },
    });
    expect(operation('post', '/api/v2/instance/api-keys/{keyId}/rotate').requestBody?.required).toBe(false);
    expect(operation('post', '/api/v2/instance/api-keys/{keyId}/revoke').requestBody?.required).toBe(false);
    expect(operation('post', '/api/v2/instance/api-keys/{keyId}/pause').requestBody?.required).toBe(true);
    expect(operation('post', '/admin/instances').requestBody?.required).toBe(true);
  });
});
