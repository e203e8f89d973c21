// SPEC §1 `GET /openapi.json`: the document of the instance API's routes, through HTTP, held
// against the routes the app really registers and the answers it really gives.
import type { Database } from '@portcullis/db';
import {
  createMetrics,
  documentedOperations,
  fetchOpenApiDocument,
  type OpenApiCheck,
  type OpenApiDocument,
  openApiCheck,
  openApiProblems,
  type RegisteredOperation,
} from '@portcullis/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import {
  ADMIN_TOKEN,
  type CreatedInstanceData,
  createInstance,
  envelope,
  type InstanceWithStats,
  type KeyView,
  pgliteDatabase,
  type RunningApp,
  startApp,
} from './harness.js';

let db: Database;
let app: RunningApp;
let apiKey: string;
let document: OpenApiDocument;
let check: OpenApiCheck;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db });
  ({ apiKey } = await createInstance(app));
  document = await fetchOpenApiDocument(app.url);
  check = openApiCheck({
    document,
    baseUrl: app.url,
    // Well-formed ids that exist nowhere: every probe reaches its handler and changes nothing.
    pathParams: { id: `inst_${'0'.repeat(24)}`, keyId: `key_${'0'.repeat(24)}` },
    credentials: {
      apiKey: () => ({ 'x-api-key': apiKey }),
      adminToken: () => ({ authorization: `Bearer ${ADMIN_TOKEN}` }),
    },
    errorFormat: 'trusset',
    answerHeaders: ['x-request-id'],
  });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

// The routes of src/routes/*.ts and the health routes, written out (SPEC §1, §4.3, §4.4): a guard
// on the stack walk below, which would otherwise agree with an empty document if it found nothing.
const EXPECTED_ROUTES: RegisteredOperation[] = [
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
  ...['customers', 'tokenization', 'trading', 'lending', 'custody'].map((service) => ({
    method: 'get' as const,
    path: `/api/v2/services/${service}`,
  })),
];

describe('GET /openapi.json (SPEC §1)', () => {
  it('serves an OpenAPI 3.1 document as cacheable JSON', async () => {
    expect(await check.servedProblems([{}])).toEqual([]);
    expect(document.info.title).toBeTruthy();
    expect(document.servers).toEqual([{ url: '/' }]);
  });

  it('needs no credentials and ignores bad ones', async () => {
    const headerSets = [{}, { 'x-api-key': 'trusset_bad' }, { authorization: 'Bearer wrong-token' }];
    expect(await check.servedProblems(headerSets)).toEqual([]);
  });

  it('is not rate limited, like /healthz, while the per-address limit refuses other routes', async () => {
    const limited = await startApp({
      db,
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

  it('answers every documented operation with a documented status, never "Route not found"', async () => {
    // Documented status (never 401: the declared credentials were accepted), X-Request-Id, and an
    // error code the response lists.
    expect(await check.answerProblems()).toEqual([]);
  });

  it('tells an undocumented route from a documented one (the probe above can fail)', async () => {
    const res = await app.withKey(apiKey, '/api/v2/instance/unknown');
    expect(res.status).toBe(404);
    expect((await envelope<null>(res)).error?.message).toBe('Route not found');
  });

  it('lists the authentication codes each secured operation answers without credentials', async () => {
    const problems = await check.unauthenticatedProblems<{ error: { code: string } | null }>({
      onAnswer: ({ operation, res, body, label }) => {
        expect(body.error?.code, label).toBe('AUTH_REQUIRED');
        expect(check.errorCodes(operation, 401), label).toEqual(
          expect.arrayContaining(['AUTH_REQUIRED', 'AUTH_FAILED']),
        );
        expect(res.headers.get('x-ratelimit-limit'), `${label} rate-limit headers`).not.toBeNull();
      },
    });
    expect(problems).toEqual([]);
  });

  it('lists the rate-limit headers, and Retry-After on 429, for limited operations', () => {
    for (const route of documentedOperations(document)) {
      const operation = check.operation(route);
      const limited = (operation.security ?? []).length > 0;
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = Object.keys(check.resolve(response).headers ?? {});
        const label = `${route.method} ${route.path} ${status}`;
        expect(headers, label).toContain('X-Request-Id');
        if (limited) {
          expect(headers, label).toEqual(
            expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
          );
        } else expect(headers, label).not.toContain('X-RateLimit-Limit');
        if (status === '429') expect(headers, label).toContain('Retry-After');
      }
      if (limited) expect(Object.keys(operation.responses), route.path).toContain('429');
    }
  });

  it('declares the published security schemes', () => {
    expect(document.components?.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    expect(check.operation({ method: 'get', path: '/admin/instances' }).security).toEqual([
      { adminToken: [] },
    ]);
    expect(check.operation({ method: 'get', path: '/api/v2/instance' }).security).toEqual([{ apiKey: [] }]);
    expect(check.operation({ method: 'get', path: '/healthz' }).security).toEqual([]);
  });

  it('lists the codes of SPEC §4.4 with their statuses', () => {
    const create = check.operation({ method: 'post', path: '/api/v2/instance/api-keys' });
    expect(check.errorCodes(create, 409)).toEqual(['LIMIT_EXCEEDED']);
    // INVALID_INPUT: the caller's own key is in its rotation overlap (it only reads).
    expect(check.errorCodes(create, 400)).toEqual(['VALIDATION_ERROR', 'INVALID_INPUT']);
    const remove = check.operation({ method: 'delete', path: '/api/v2/instance/api-keys/{keyId}' });
    expect(check.errorCodes(remove, 400)).toEqual(['INVALID_INPUT']);
    const revoke = check.operation({ method: 'post', path: '/api/v2/instance/api-keys/{keyId}/revoke' });
    expect(check.errorCodes(revoke, 400)).toEqual(['VALIDATION_ERROR', 'INVALID_INPUT']);
    expect(check.errorCodes(revoke, 404)).toEqual(['NOT_FOUND']);
    expect(check.errorCodes(revoke, 429)).toEqual(['RATE_LIMIT_EXCEEDED']);
    expect(check.errorCodes(revoke, 500)).toEqual(['AUTH_ERROR', 'INTERNAL_ERROR']);
    const service = check.operation({ method: 'get', path: '/api/v2/services/custody' });
    expect(check.errorCodes(service, 403)).toEqual(['SERVICE_NOT_ENABLED']);
  });

  it('gives request bodies the bounds the routes validate', () => {
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
    const rotate = check.operation({ method: 'post', path: '/api/v2/instance/api-keys/{keyId}/rotate' });
    expect(check.resolve(rotate.requestBody ?? { $ref: '#/missing' })).toMatchObject({ required: false });
  });

  it('requires exactly the fields the app sends in its success data', async () => {
    // The `data` schema of an operation's success response (the §4.1 envelope).
    const dataSchema = (route: RegisteredOperation, status: number) =>
      check.properties(check.responseSchema(route, status)).data;
    const created = await app.admin('/admin/instances', { method: 'POST', json: { name: 'Shape' } });
    const { data } = await envelope<CreatedInstanceData>(created);
    expect(check.requiredKeys(dataSchema({ method: 'post', path: '/admin/instances' }, 201))).toEqual(
      Object.keys(data).sort(),
    );
    expect(check.requiredKeys({ $ref: '#/components/schemas/Instance' })).toEqual(
      Object.keys(data.instance).sort(),
    );

    const own = await envelope<InstanceWithStats>(await app.withKey(data.apiKey, '/api/v2/instance'));
    expect(check.requiredKeys(dataSchema({ method: 'get', path: '/api/v2/instance' }, 200))).toEqual(
      Object.keys(own.data).sort(),
    );

    const keys = await envelope<KeyView[]>(await app.withKey(data.apiKey, '/api/v2/instance/api-keys'));
    const item = keys.data[0];
    expect(item).toBeDefined();
    expect(check.requiredKeys({ $ref: '#/components/schemas/ApiKey' })).toEqual(
      Object.keys(item ?? {}).sort(),
    );
  });
});
