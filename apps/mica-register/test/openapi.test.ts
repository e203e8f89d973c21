// SPEC §1 `GET /openapi.json`: the document of the MiCA Register's routes, through HTTP, held
// against the routes the app really registers and the answers it really gives.
import type { Database } from '@portcullis/db';
import {
  createMetrics,
  documentedOperations,
  fetchOpenApiDocument,
  type JsonSchema,
  type OpenApiCheck,
  type OpenApiDocument,
  type OpenApiParameter,
  openApiCheck,
  openApiProblems,
  type RegisteredOperation,
} from '@portcullis/service';
import { createFakeClock, readJson } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../src/app.js';
import { importFiles } from '../src/store/register.js';
import { bearer, type ErrorBody, pgliteDatabase, type RunningApp, register, startApp } from './harness.js';
import { SYNTHETIC_ART, tempDir, writeCsv } from './register-harness.js';

const clock = createFakeClock(Date.UTC(2026, 1, 10, 12, 0, 0));
let db: Database;
let app: RunningApp;
let apiKey: string;
let managementToken: string;
let document: OpenApiDocument;
let check: OpenApiCheck;

beforeAll(async () => {
  db = await pgliteDatabase();
  const dir = await tempDir();
  try {
    await writeCsv(dir.path, 'ART20260301.csv', SYNTHETIC_ART);
    const report = await importFiles(db, [dir.path], { now: clock.now });
    expect(report.errors).toEqual([]);
  } finally {
    await dir.remove();
  }
  // Room for every probe below within one minute of the fake clock (the published 60 is tested elsewhere).
  app = await startApp({ db, now: clock.now, limits: { perMinute: 1_000 } });
  ({ apiKey, managementToken } = await register(app));
  document = await fetchOpenApiDocument(app.url);
  check = openApiCheck({
    document,
    baseUrl: app.url,
    // Well-formed ids that exist nowhere: the probes reach their handlers and change nothing.
    pathParams: { id: `mica_${'0'.repeat(20)}`, keyId: `mkey_${'0'.repeat(24)}` },
    credentials: {
      micaApiKey: () => ({ 'x-api-key': apiKey }),
      managementToken: () => bearer(managementToken),
    },
    errorFormat: 'trusset',
  });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

// The routes of src/routes/*.ts and the health routes, written out (SPEC §1, §5.2, §5.3): a guard
// on the stack walk below, which would otherwise agree with an empty document if it found nothing.
const EXPECTED_ROUTES: RegisteredOperation[] = [
  { method: 'get', path: '/healthz' },
  { method: 'get', path: '/readyz' },
  { method: 'get', path: '/metrics' },
  { method: 'get', path: '/openapi.json' },
  { method: 'post', path: '/api/mica/developer/register' },
  { method: 'get', path: '/api/mica/developer/keys' },
  { method: 'post', path: '/api/mica/developer/keys' },
  { method: 'delete', path: '/api/mica/developer/keys/{keyId}' },
  { method: 'post', path: '/api/mica/developer/keys/{keyId}/rotate' },
  { method: 'post', path: '/api/mica/developer/management-token/rotate' },
  ...['issuers', 'issuers/{id}', 'search', 'statistics', 'license-types', 'countries', 'health'].map(
    (name) => ({ method: 'get' as const, path: `/api/mica/v1/${name}` }),
  ),
];

/** Every query parameter the register's parsers read (src/register/query-params.ts). */
const QUERY_PARAMETERS = {
  '/api/mica/v1/issuers': [
    'licenseType',
    'country',
    'status',
    'entityType',
    'search',
    'sortBy',
    'sortOrder',
    'limit',
    'offset',
    'fields',
  ],
  '/api/mica/v1/search': ['q', 'limit', 'offset'],
} as const;

/** Documented parameters of an operation, `$ref` followed. */
const parametersOf = (route: RegisteredOperation) =>
  (check.operation(route).parameters ?? []).map((p) => check.resolve<OpenApiParameter>(p));

const PER_KEY_HEADERS = [
  'X-RateLimit-Limit-Minute',
  'X-RateLimit-Remaining-Minute',
  'X-RateLimit-Limit-Day',
  'X-RateLimit-Remaining-Day',
];

describe('GET /openapi.json (SPEC §1)', () => {
  it('serves an OpenAPI 3.1 document as cacheable JSON', async () => {
    expect(await check.servedProblems([{}])).toEqual([]);
    expect(document.servers).toEqual([{ url: '/' }]);
  });

  it('needs no credentials, ignores bad ones, and counts against no key', async () => {
    const headerSets = [{}, { 'x-api-key': 'trusset_mica_bad' }, { authorization: 'Bearer nope' }];
    expect(await check.servedProblems(headerSets, ['x-ratelimit-remaining-minute'])).toEqual([]);
  });

  it('is internally consistent: path parameters, references, security schemes, operation ids', () => {
    expect(openApiProblems(document)).toEqual([]);
  });
});

describe('the document and the routes', () => {
  it('documents exactly the routes the app registers, with their methods', () => {
    const second = createApp({ ...app.deps, metrics: createMetrics() });
    expect(check.routeProblems(second, EXPECTED_ROUTES)).toEqual([]);
  });

  it('answers every documented operation with a documented status and headers, never "Route not found"', async () => {
    // Documented status (never 401: the declared credentials were accepted), required and constant
    // headers, and an error code the response lists.
    const problems = await check.answerProblems<{ managementToken?: string } | undefined>({
      onAnswer: ({ route, operation, res, body, label }) => {
        if ((operation.security ?? []).some((s) => 'micaApiKey' in s)) {
          for (const name of PER_KEY_HEADERS)
            expect(res.headers.get(name), `${label} ${name}`).not.toBeNull();
        }
        // Rotating the management token retires the one the next probes would use.
        if (route.path.endsWith('/management-token/rotate') && body?.managementToken)
          managementToken = body.managementToken;
      },
    });
    expect(problems).toEqual([]);
  });

  it('tells an undocumented route from a documented one (the probe above can fail)', async () => {
    const res = await app.request('/api/mica/developer/unknown', { headers: bearer(managementToken) });
    expect(res.status).toBe(404);
    expect((await readJson<ErrorBody>(res)).error.message).toBe('Route not found');
  });

  it('lists the authentication codes each secured operation answers without credentials', async () => {
    const problems = await check.unauthenticatedProblems<ErrorBody>({
      onAnswer: ({ operation, body: { error }, label }) => {
        expect(error.code, label).toBe('UNAUTHORIZED');
        const expected = (operation.security ?? []).some((s) => 'micaApiKey' in s)
          ? ['UNAUTHORIZED', 'INVALID_KEY']
          : ['UNAUTHORIZED', 'INVALID_TOKEN'];
        expect(check.errorCodes(operation, 401), label).toEqual(expected);
      },
    });
    expect(problems).toEqual([]);
  });

  it('lists the four per-key rate-limit headers on the data routes, and Retry-After on 429', () => {
    for (const route of documentedOperations(document)) {
      const operation = check.operation(route);
      if (!route.path.startsWith('/api/mica/v1/')) continue;
      expect(Object.keys(operation.responses), route.path).toEqual(
        expect.arrayContaining(['200', '401', '429', '500']),
      );
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = Object.keys(check.resolve(response).headers ?? {});
        if (status !== '401')
          expect(headers, `${route.path} ${status}`).toEqual(expect.arrayContaining(PER_KEY_HEADERS));
        if (status === '429') expect(headers, `${route.path} ${status}`).toContain('Retry-After');
      }
    }
  });
});

describe('query parameters (SPEC §5.3)', () => {
  /** A value the parameter's schema allows. */
  function validSample(parameter: OpenApiParameter): string {
    const schema = parameter.schema;
    if (schema.type === 'array') {
      const items = check.resolve<JsonSchema>(schema.items as JsonSchema);
      return Array.isArray(items.enum) ? String(items.enum[0]) : 'DE,germany';
    }
    if (Array.isArray(schema.enum)) return String(schema.enum.at(-1));
    if (schema.type === 'integer') return String(schema.maximum);
    return 'ab';
  }

  /** A value the parameter's schema refuses. */
  function invalidSample(parameter: OpenApiParameter): string {
    const schema = parameter.schema;
    if (schema.type === 'array') return 'x';
    if (Array.isArray(schema.enum)) return 'nope';
    if (schema.type === 'integer') return String(Number(schema.maximum) + 1);
    if (typeof schema.maxLength === 'number') return 'x'.repeat(schema.maxLength + 1);
    throw new Error(`no invalid sample for ${parameter.name}`);
  }

  for (const [path, names] of Object.entries(QUERY_PARAMETERS)) {
    const route: RegisteredOperation = { method: 'get', path };

    it(`${path}: documents exactly the parameters its parser reads`, () => {
      expect(parametersOf(route).map((p) => p.name)).toEqual([...names]);
      for (const parameter of parametersOf(route)) expect(parameter.in).toBe('query');
    });

    it(`${path}: accepts a documented value of each parameter and refuses an undocumented one, naming it`, async () => {
      const base = path.endsWith('/search') ? { q: 'token' } : {};
      for (const parameter of parametersOf(route)) {
        const good = new URLSearchParams({ ...base, [parameter.name]: validSample(parameter) });
        const ok = await check.probe(route, { query: good });
        expect(ok.status, `${parameter.name}=${good.get(parameter.name)}`).toBe(200);
        await ok.arrayBuffer();

        const bad = new URLSearchParams({ ...base, [parameter.name]: invalidSample(parameter) });
        const refused = await check.probe(route, { query: bad });
        const label = `${parameter.name}=${bad.get(parameter.name)}`;
        expect(refused.status, label).toBe(400);
        const { error } = await readJson<ErrorBody>(refused);
        expect(error.code, label).toBe('VALIDATION_ERROR');
        expect(
          error.details?.map((d) => d.field),
          label,
        ).toEqual([parameter.name]);
      }
    });
  }

  it('marks list parameters comma-separated and q required', () => {
    const issuers = parametersOf({ method: 'get', path: '/api/mica/v1/issuers' });
    for (const name of ['licenseType', 'country', 'status', 'entityType', 'fields']) {
      expect(
        issuers.find((p) => p.name === name),
        name,
      ).toMatchObject({ style: 'form', explode: false });
    }
    expect(issuers.find((p) => p.name === 'limit')?.schema).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 500,
      default: 100,
    });
    const search = parametersOf({ method: 'get', path: '/api/mica/v1/search' });
    expect(search.find((p) => p.name === 'q')).toMatchObject({
      required: true,
      schema: { minLength: 2, maxLength: 200 },
    });
    expect(search.find((p) => p.name === 'limit')?.schema).toMatchObject({ maximum: 100, default: 20 });
  });
});

describe('response shapes', () => {
  const get = async <T>(path: string) => {
    const res = await app.request(path, { headers: { 'x-api-key': apiKey } });
    expect(res.status, path).toBe(200);
    return readJson<T>(res);
  };
  const dataOf = (route: RegisteredOperation) => check.properties(check.responseSchema(route, 200)).data;

  it('requires exactly the fields the register routes send', async () => {
    const list = await get<{ data: Array<Record<string, unknown>>; pagination: object; metadata: object }>(
      '/api/mica/v1/issuers',
    );
    const issuer = list.data[0];
    expect(issuer).toBeDefined();
    const issuersRoute: RegisteredOperation = { method: 'get', path: '/api/mica/v1/issuers' };
    expect(check.requiredKeys(check.responseSchema(issuersRoute, 200))).toEqual(Object.keys(list).sort());
    expect(check.requiredKeys({ $ref: '#/components/schemas/Issuer' })).toEqual(
      Object.keys(issuer ?? {}).sort(),
    );
    expect(check.requiredKeys({ $ref: '#/components/schemas/Pagination' })).toEqual(
      Object.keys(list.pagination).sort(),
    );

    const projected = await get<{ data: Array<Record<string, unknown>> }>(
      '/api/mica/v1/issuers?fields=entityName',
    );
    expect(Object.keys(projected.data[0] ?? {})).toEqual(['id', 'entityName']);
    expect(check.requiredKeys({ $ref: '#/components/schemas/IssuerProjection' })).toEqual(['id']);

    const detail = await get<{ data: Record<string, unknown> }>(`/api/mica/v1/issuers/${String(issuer?.id)}`);
    expect(check.requiredKeys(dataOf({ method: 'get', path: '/api/mica/v1/issuers/{id}' }))).toEqual(
      Object.keys(detail.data).sort(),
    );

    const statistics = await get<{ data: Record<string, unknown> }>('/api/mica/v1/statistics');
    expect(check.requiredKeys({ $ref: '#/components/schemas/RegisterStatistics' })).toEqual(
      Object.keys(statistics.data).sort(),
    );
    const types = await get<{ data: Array<Record<string, unknown>> }>('/api/mica/v1/license-types');
    expect(check.requiredKeys({ $ref: '#/components/schemas/LicenseTypeSummary' })).toEqual(
      Object.keys(types.data[0] ?? {}).sort(),
    );
    const countries = await get<{ data: Array<Record<string, unknown>> }>('/api/mica/v1/countries');
    expect(check.requiredKeys({ $ref: '#/components/schemas/CountrySummary' })).toEqual(
      Object.keys(countries.data[0] ?? {}).sort(),
    );
    const health = await get<Record<string, unknown>>('/api/mica/v1/health');
    expect(check.requiredKeys({ $ref: '#/components/schemas/RegisterHealth' })).toEqual(
      Object.keys(health).sort(),
    );
  });

  /** A documented schema with every local `$ref` replaced by its target, as zod reads JSON Schema. */
  const inlined = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(inlined);
    if (typeof schema !== 'object' || schema === null) return schema;
    const { $ref, ...rest } = schema as Record<string, unknown>;
    const target = typeof $ref === 'string' ? check.resolve<JsonSchema>({ $ref }) : {};
    return Object.fromEntries(Object.entries({ ...target, ...rest }).map(([k, v]) => [k, inlined(v)]));
  };
  const validator = (route: RegisteredOperation) =>
    z.fromJSONSchema(inlined(check.responseSchema(route, 200)) as Parameters<typeof z.fromJSONSchema>[0]);
  const issuesOf = (route: RegisteredOperation, body: unknown) =>
    (validator(route).safeParse(body).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
  const documentedOrder = (name: string) =>
    Object.keys(check.properties({ $ref: `#/components/schemas/${name}` }));

  it('answers the register summaries as documented: types, item shapes, published fields first', async () => {
    for (const path of ['statistics', 'license-types', 'countries']) {
      const route: RegisteredOperation = { method: 'get', path: `/api/mica/v1/${path}` };
      expect(issuesOf(route, await get(route.path)), path).toEqual([]);
    }
    const statistics = await get<{ data: Record<string, unknown[]> }>('/api/mica/v1/statistics');
    expect(Object.keys(statistics.data)).toEqual(documentedOrder('RegisterStatistics'));
    expect(documentedOrder('RegisterStatistics').slice(0, 5)).toEqual([
      'totalEntities',
      'licenseTypes',
      'countries',
      'byStatus',
      'recentAuthorizations',
    ]);
    const [type] = statistics.data.licenseTypes ?? [];
    const [country] = statistics.data.countries ?? [];
    const [recent] = statistics.data.recentAuthorizations ?? [];
    expect(Object.keys(type ?? {})).toEqual(documentedOrder('LicenseTypeCount'));
    expect(Object.keys(country ?? {})).toEqual(documentedOrder('CountryCount'));
    expect(Object.keys(recent ?? {})).toEqual(documentedOrder('RecentAuthorization'));
    const types = await get<{ data: object[] }>('/api/mica/v1/license-types');
    expect(Object.keys(types.data[0] ?? {})).toEqual(documentedOrder('LicenseTypeSummary'));
    expect(documentedOrder('LicenseTypeSummary').slice(0, 3)).toEqual(['type', 'label', 'count']);
    const countries = await get<{ data: object[] }>('/api/mica/v1/countries');
    expect(Object.keys(countries.data[0] ?? {})).toEqual(documentedOrder('CountrySummary'));
    expect(documentedOrder('CountrySummary').slice(0, 3)).toEqual(['code', 'name', 'count']);
  });

  it('documents the summaries precisely enough to refuse a wrong shape', async () => {
    const route: RegisteredOperation = { method: 'get', path: '/api/mica/v1/statistics' };
    const body = await get<{ data: Record<string, unknown> }>(route.path);
    const broken = (data: Record<string, unknown>) =>
      issuesOf(route, { ...body, data: { ...body.data, ...data } });
    const { totalEntities: _total, ...withoutTotal } = body.data;
    expect(issuesOf(route, { ...body, data: withoutTotal })).not.toEqual([]);
    expect(broken({ totalEntities: -1 })).not.toEqual([]);
    expect(broken({ licenseTypes: [{ type: 'CASP', label: 'Crypto-Asset Service Provider' }] })).not.toEqual(
      [],
    );
    expect(broken({ countries: [{ code: 'Germany', name: 'Germany', count: 1 }] })).not.toEqual([]);
    expect(broken({ byStatus: { active: 1, expired: 0 } })).not.toEqual([]);
    expect(
      broken({
        recentAuthorizations: Array.from(
          { length: 11 },
          () => (body.data.recentAuthorizations as unknown[])[0],
        ),
      }),
    ).not.toEqual([]);
    const countriesRoute: RegisteredOperation = { method: 'get', path: '/api/mica/v1/countries' };
    const countries = await get<{ data: unknown[] }>(countriesRoute.path);
    expect(
      issuesOf(countriesRoute, { ...countries, data: [{ countryCode: 'DE', country: 'Germany', count: 1 }] }),
    ).not.toEqual([]);
  });

  it('requires exactly the fields the developer routes send', async () => {
    const registered = await register(app, 'Shape Checker');
    expect(check.requiredKeys({ $ref: '#/components/schemas/Registered' })).toEqual(
      Object.keys(registered).sort(),
    );
    const listing = await readJson<Record<string, unknown> & { keys: Array<Record<string, unknown>> }>(
      await app.request('/api/mica/developer/keys', { headers: bearer(registered.managementToken) }),
    );
    expect(check.requiredKeys({ $ref: '#/components/schemas/KeyListing' })).toEqual(
      Object.keys(listing).sort(),
    );
    expect(check.requiredKeys({ $ref: '#/components/schemas/DeveloperKey' })).toEqual(
      Object.keys(listing.keys[0] ?? {}).sort(),
    );
  });

  it('documents the request bodies the developer routes validate', async () => {
    const route: RegisteredOperation = { method: 'post', path: '/api/mica/developer/register' };
    const schema = check.resolve<JsonSchema>(
      check.resolve(check.operation(route).requestBody ?? { $ref: '#/missing' }).content['application/json']
        ?.schema ?? {},
    );
    const name = check.properties(schema).name as { minLength: number; maxLength: number };
    const tooLong = await app.request(route.path, {
      method: 'POST',
      json: { name: 'n'.repeat(name.maxLength + 1), email: 'long@example.com' },
    });
    expect((await readJson<ErrorBody>(tooLong)).error.details?.map((d) => d.field)).toEqual(['name']);
    const extra = await app.request(route.path, {
      method: 'POST',
      json: { name: 'Ada', email: 'extra@example.com', colour: 'red' },
    });
    expect(schema.additionalProperties).toBe(false);
    expect(extra.status).toBe(400);
    const atBounds = await app.request(route.path, {
      method: 'POST',
      json: { name: 'n'.repeat(name.minLength), email: 'bounds@example.com' },
    });
    expect(atBounds.status).toBe(201);
  });
});
