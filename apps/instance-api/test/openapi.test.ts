// SPEC §1 `GET /openapi.json`: the document of the instance API's routes, through HTTP, held
// against the routes the app really registers and the answers it really gives.
import type { Database } from '@portcullis/db';
import {
  createMetrics,
  documentedOperations,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
  type OpenApiReference,
  openApiProblems,
  type RegisteredOperation,
  registeredOperations,
} from '@portcullis/service';
import { readJson } from '@portcullis/testing';
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

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db });
  ({ apiKey } = await createInstance(app));
  const res = await fetch(`${app.url}/openapi.json`);
  expect(res.status).toBe(200);
  document = await readJson<OpenApiDocument>(res);
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

const sorted = (list: readonly RegisteredOperation[]) =>
  [...list].sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));

/** Follows a local `$ref` of the document. */
function resolve<T>(value: T | OpenApiReference): T {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value as T;
  let node: unknown = document;
  for (const token of value.$ref.slice(2).split('/')) node = (node as Record<string, unknown>)[token];
  if (node === undefined) throw new Error(`unresolved ${value.$ref}`);
  return node as T;
}

/** Required property names of a schema, through `$ref` and `allOf`. */
function requiredKeys(schema: JsonSchema): string[] {
  const resolved = resolve<JsonSchema>(schema as JsonSchema | OpenApiReference);
  const own = (resolved.required as string[] | undefined) ?? [];
  const inherited = ((resolved.allOf as JsonSchema[] | undefined) ?? []).flatMap(requiredKeys);
  return [...new Set([...inherited, ...own])].sort();
}

/** The `data` schema of an operation's success response (the §4.1 envelope). */
function dataSchema(path: string, method: 'get' | 'post', status: string): JsonSchema {
  const response = document.paths[path]?.[method]?.responses[status];
  if (response === undefined) throw new Error(`${method} ${path} documents no ${status}`);
  const envelopeSchema = resolve(response).content?.['application/json']?.schema;
  const data = (envelopeSchema?.properties as Record<string, JsonSchema> | undefined)?.data;
  if (data === undefined) throw new Error(`${method} ${path} ${status} has no data schema`);
  return data;
}

function operationOf(route: RegisteredOperation): OpenApiOperation {
  const found = document.paths[route.path]?.[route.method];
  if (found === undefined) throw new Error(`${route.method} ${route.path} is not documented`);
  return found;
}

// Well-formed ids that exist nowhere: every probe below reaches its handler and changes nothing.
const SAMPLE_PARAMS: Record<string, string> = {
  id: `inst_${'0'.repeat(24)}`,
  keyId: `key_${'0'.repeat(24)}`,
};

/** Calls a documented operation with the credentials it declares, an unknown id, and `{}` as body. */
async function probe(route: RegisteredOperation, credentials = true): Promise<Response> {
  const operation = operationOf(route);
  let url = route.path;
  for (const parameter of (operation.parameters ?? []).map((p) => resolve<OpenApiParameter>(p))) {
    if (parameter.in !== 'path') continue;
    const value = SAMPLE_PARAMS[parameter.name];
    if (value === undefined) throw new Error(`no sample value for path parameter ${parameter.name}`);
    url = url.replace(`{${parameter.name}}`, value);
  }
  const headers: Record<string, string> = {};
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (credentials && schemes.includes('apiKey')) headers['x-api-key'] = apiKey;
  if (credentials && schemes.includes('adminToken')) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  const init: RequestInit = { method: route.method.toUpperCase(), headers };
  if (operation.requestBody !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = '{}';
  }
  return fetch(`${app.url}${url}`, init);
}

/** `error.code` values a documented response allows, or undefined when it names none. */
function documentedCodes(operation: OpenApiOperation, status: number): string[] | undefined {
  const response = operation.responses[String(status)];
  if (response === undefined) return undefined;
  const schema = resolve(response).content?.['application/json']?.schema;
  // The shared envelope narrowed by `allOf` (errorSchemaRef), or a schema of its own.
  const parts = [schema, ...((schema?.allOf as JsonSchema[] | undefined) ?? [])];
  for (const part of parts) {
    const error = (part?.properties as Record<string, JsonSchema> | undefined)?.error;
    const code = (error?.properties as Record<string, JsonSchema> | undefined)?.code;
    if (Array.isArray(code?.enum)) return code.enum as string[];
  }
  return undefined;
}

describe('GET /openapi.json (SPEC §1)', () => {
  it('serves an OpenAPI 3.1 document as cacheable JSON', async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(document.info.title).toBeTruthy();
    expect(document.servers).toEqual([{ url: '/' }]);
  });

  it('needs no credentials and ignores bad ones', async () => {
    for (const headers of [{}, { 'x-api-key': 'trusset_bad' }, { authorization: 'Bearer wrong-token' }]) {
      const res = await fetch(`${app.url}/openapi.json`, { headers });
      expect(res.status).toBe(200);
      expect((await readJson<OpenApiDocument>(res)).openapi).toBe(document.openapi);
    }
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
    const registered = registeredOperations(createApp({ ...app.deps, metrics: createMetrics() }));
    expect(registered).toEqual(sorted(EXPECTED_ROUTES));
    expect(documentedOperations(document)).toEqual(registered);
  });

  it('answers every documented operation with a documented status, never "Route not found"', async () => {
    for (const route of documentedOperations(document)) {
      const res = await probe(route);
      const label = `${route.method.toUpperCase()} ${route.path} → ${res.status}`;
      expect(Object.keys(operationOf(route).responses), label).toContain(String(res.status));
      // The credentials the operation declares were accepted: the route itself answered.
      expect(res.status, label).not.toBe(401);
      expect(res.headers.get('x-request-id'), label).not.toBeNull();
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('application/json')) continue;
      const body = await readJson<{ error?: { code: string; message: string } | null }>(res);
      expect(body.error?.message, label).not.toBe('Route not found');
      if (body.error)
        expect(documentedCodes(operationOf(route), res.status), label).toContain(body.error.code);
    }
  });

  it('tells an undocumented route from a documented one (the probe above can fail)', async () => {
    const res = await app.withKey(apiKey, '/api/v2/instance/unknown');
    expect(res.status).toBe(404);
    expect((await envelope<null>(res)).error?.message).toBe('Route not found');
  });

  it('lists the authentication codes each secured operation answers without credentials', async () => {
    for (const route of documentedOperations(document)) {
      if ((operationOf(route).security ?? []).length === 0) continue;
      const res = await probe(route, false);
      const label = `${route.method.toUpperCase()} ${route.path}`;
      expect(res.status, label).toBe(401);
      const { error } = await envelope<null>(res);
      expect(error?.code, label).toBe('AUTH_REQUIRED');
      expect(documentedCodes(operationOf(route), 401), label).toEqual(
        expect.arrayContaining(['AUTH_REQUIRED', 'AUTH_FAILED']),
      );
      expect(res.headers.get('x-ratelimit-limit'), `${label} rate-limit headers`).not.toBeNull();
    }
  });

  it('lists the rate-limit headers, and Retry-After on 429, for limited operations', () => {
    for (const route of documentedOperations(document)) {
      const operation = operationOf(route);
      const limited = (operation.security ?? []).length > 0;
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = Object.keys(resolve(response).headers ?? {});
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
    expect(operationOf({ method: 'get', path: '/admin/instances' }).security).toEqual([{ adminToken: [] }]);
    expect(operationOf({ method: 'get', path: '/api/v2/instance' }).security).toEqual([{ apiKey: [] }]);
    expect(operationOf({ method: 'get', path: '/healthz' }).security).toEqual([]);
  });

  it('lists the codes of SPEC §4.4 with their statuses', () => {
    const create = operationOf({ method: 'post', path: '/api/v2/instance/api-keys' });
    expect(documentedCodes(create, 409)).toEqual(['LIMIT_EXCEEDED']);
    expect(documentedCodes(create, 400)).toEqual(['VALIDATION_ERROR']);
    const revoke = operationOf({ method: 'post', path: '/api/v2/instance/api-keys/{keyId}/revoke' });
    expect(documentedCodes(revoke, 400)).toEqual(['VALIDATION_ERROR', 'INVALID_INPUT']);
    expect(documentedCodes(revoke, 404)).toEqual(['NOT_FOUND']);
    expect(documentedCodes(revoke, 429)).toEqual(['RATE_LIMIT_EXCEEDED']);
    expect(documentedCodes(revoke, 500)).toEqual(['AUTH_ERROR', 'INTERNAL_ERROR']);
    const service = operationOf({ method: 'get', path: '/api/v2/services/custody' });
    expect(documentedCodes(service, 403)).toEqual(['SERVICE_NOT_ENABLED']);
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
    const rotate = operationOf({ method: 'post', path: '/api/v2/instance/api-keys/{keyId}/rotate' });
    expect(resolve(rotate.requestBody ?? { $ref: '#/missing' })).toMatchObject({ required: false });
  });

  it('requires exactly the fields the app sends in its success data', async () => {
    const created = await app.admin('/admin/instances', { method: 'POST', json: { name: 'Shape' } });
    const { data } = await envelope<CreatedInstanceData>(created);
    expect(requiredKeys(dataSchema('/admin/instances', 'post', '201'))).toEqual(Object.keys(data).sort());
    expect(requiredKeys({ $ref: '#/components/schemas/Instance' })).toEqual(
      Object.keys(data.instance).sort(),
    );

    const own = await envelope<InstanceWithStats>(await app.withKey(data.apiKey, '/api/v2/instance'));
    expect(requiredKeys(dataSchema('/api/v2/instance', 'get', '200'))).toEqual(Object.keys(own.data).sort());

    const keys = await envelope<KeyView[]>(await app.withKey(data.apiKey, '/api/v2/instance/api-keys'));
    const item = keys.data[0];
    expect(item).toBeDefined();
    expect(requiredKeys({ $ref: '#/components/schemas/ApiKey' })).toEqual(Object.keys(item ?? {}).sort());
  });
});
