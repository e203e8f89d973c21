// `GET /openapi.json`: the document generated from the route declarations, through HTTP. It lints
// clean, lists exactly the routes the app registers, and says what the app enforces; every answer
// below (as in every test file) is also held against it by the harness.
import { createMetrics } from '@portcullis/app-kit';
import type { Database } from '@portcullis/db';
import {
  createFakeClock,
  documentedOperations,
  lintOpenApi,
  readJson,
  registeredOperations,
  responseCheck,
} from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { importFiles } from '../src/store/register.js';
import { bearer, type ErrorBody, pgliteDatabase, type RunningApp, register, startApp } from './harness.js';
import { SYNTHETIC_ART, tempDir, writeCsv } from './register-harness.js';

interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  style?: string;
  explode?: boolean;
  schema: Schema;
}
interface Response {
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema: Schema }>;
}
interface Operation {
  security: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes: Record<
      string,
      { type: string; in?: string; name?: string; scheme?: string; description: string }
    >;
  };
}

const clock = createFakeClock(Date.UTC(2026, 1, 10, 12, 0, 0));
let db: Database;
let app: RunningApp;
let apiKey: string;
let managementToken: string;
let document: Document;

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
  document = await readJson<Document>(await app.request('/openapi.json'));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

// Every route of the app, written out: a guard on the comparison below, which would otherwise
// agree with an empty document if the app registered nothing.
const EXPECTED_ROUTES = [
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
    (name) => ({ method: 'get', path: `/api/mica/v1/${name}` }),
  ),
  // The web console: its page (twice) and its hashed assets.
  { method: 'get', path: '/' },
  { method: 'get', path: '/mica-register' },
  { method: 'get', path: '/console/assets/{file}' },
];
// Well-formed ids that exist nowhere: probes reach their handlers and change nothing.
const PATH_VALUES: Record<string, string> = {
  id: `mica_${'0'.repeat(20)}`,
  keyId: `mkey_${'0'.repeat(24)}`,
  file: 'main-00000000.js',
};
const PER_KEY_HEADERS = [
  'X-RateLimit-Limit-Minute',
  'X-RateLimit-Remaining-Minute',
  'X-RateLimit-Limit-Day',
  'X-RateLimit-Remaining-Day',
];

const operationsOf = () =>
  documentedOperations(document).map((route) => ({
    ...route,
    operation: document.paths[route.path]?.[route.method] as Operation,
    url: route.path.replace(/\{(\w+)\}/g, (_, name: string) => PATH_VALUES[name] ?? name),
  }));
const schemeOf = (operation: Operation) => Object.keys(operation.security[0] ?? {})[0];
const credentials = (operation: Operation): Record<string, string> => {
  const scheme = schemeOf(operation);
  if (scheme === 'micaApiKey') return { 'x-api-key': apiKey };
  if (scheme === 'managementToken') return bearer(managementToken);
  return {};
};
/** The error codes a documented error answer lists. */
const errorCodes = (response: Response | undefined) =>
  response?.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum;
const componentProperties = (name: string) =>
  Object.keys(document.components.schemas[name]?.properties ?? {});

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document as cacheable JSON, relative to where it was fetched', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await readJson(res)).toEqual(document);
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/' }]);
  });

  it('needs no credentials, ignores bad ones, and counts against no key', async () => {
    for (const headers of [{ 'x-api-key': 'trusset_mica_bad' }, { authorization: 'Bearer nope' }]) {
      const res = await app.request('/openapi.json', { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-remaining-minute')).toBeNull();
      expect(await readJson(res)).toEqual(document);
    }
  });

  it('lints without an error (Redocly, recommended rules)', async () => {
    expect((await lintOpenApi(document)).errors).toEqual([]);
  });
});

describe('the document and the routes', () => {
  it('documents exactly the routes the app registers, with their methods', () => {
    const second = createApp({ ...app.deps, metrics: createMetrics() });
    const registered = registeredOperations(second);
    expect(registered).toEqual(documentedOperations(document));
    expect(registered).toEqual(
      [...EXPECTED_ROUTES].sort((a, b) =>
        a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path),
      ),
    );
  });

  it('answers every documented operation as documented, never "Route not found"', async () => {
    for (const { method, path, operation, url } of operationsOf()) {
      const res = await app.request(url, { method: method.toUpperCase(), headers: credentials(operation) });
      const label = `${method.toUpperCase()} ${path} → ${res.status}`;
      expect(Object.keys(operation.responses), label).toContain(String(res.status));
      // Documented status, headers and body: the harness's check of every answer says so.
      const text = await res.text();
      if (res.status === 404) expect(text, label).not.toContain('Route not found');
      // Rotating the management token retires the one the next probes would use.
      if (path.endsWith('/management-token/rotate'))
        managementToken = (JSON.parse(text) as { managementToken: string }).managementToken;
    }
  });

  it('tells an undocumented route from a documented one', async () => {
    const res = await app.request('/api/mica/developer/unknown', { headers: bearer(managementToken) });
    expect(res.status).toBe(404);
    expect((await readJson<ErrorBody>(res)).error.message).toBe('Route not found');
  });
});

describe('security', () => {
  it('states both schemes with the limits in force', () => {
    const { micaApiKey, managementToken: token } = document.components.securitySchemes;
    expect(micaApiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(micaApiKey?.description).toContain('1000 requests per minute and 5000 per day');
    expect(token).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(token?.description).toContain('10000 failed attempts per 15 minutes');
  });

  it('marks public routes `security: []` and names the scheme of every other', () => {
    for (const { path, operation } of operationsOf()) {
      const expected = path.startsWith('/api/mica/v1/')
        ? [{ micaApiKey: [] }]
        : path.startsWith('/api/mica/developer/') && !path.endsWith('/register')
          ? [{ managementToken: [] }]
          : [];
      expect(operation.security, path).toEqual(expected);
    }
  });

  it('answers every secured operation without credentials with its first 401 code, which it lists', async () => {
    for (const { method, path, operation, url } of operationsOf()) {
      const scheme = schemeOf(operation);
      if (scheme === undefined) continue;
      const res = await app.request(url, { method: method.toUpperCase() });
      expect(res.status, path).toBe(401);
      expect((await readJson<ErrorBody>(res)).error.code, path).toBe('UNAUTHORIZED');
      expect(errorCodes(operation.responses['401']), path).toEqual(
        scheme === 'micaApiKey' ? ['UNAUTHORIZED', 'INVALID_KEY'] : ['UNAUTHORIZED', 'INVALID_TOKEN'],
      );
    }
  });

  it('documents the per-key headers on every data answer past authentication, and Retry-After on 429', () => {
    for (const { path, operation } of operationsOf()) {
      if (!path.startsWith('/api/mica/v1/')) continue;
      expect(Object.keys(operation.responses), path).toEqual(
        expect.arrayContaining(['200', '401', '429', '500']),
      );
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = response.headers ?? {};
        const label = `${path} ${status}`;
        expect(headers['X-Request-Id']?.required, label).toBe(true);
        for (const name of PER_KEY_HEADERS) {
          // A 401 is refused before the limits; a 500 may come from the key lookup, before them too.
          if (status === '401') expect(headers[name], label).toBeUndefined();
          else expect(headers[name]?.required ?? false, `${label} ${name}`).toBe(status !== '500');
        }
        if (status === '429') expect(headers['Retry-After']?.required, label).toBe(true);
      }
    }
  });
});

describe('query parameters', () => {
  const parametersOf = (path: string) => document.paths[path]?.get?.parameters ?? [];
  const resolve = (schema: Schema): Schema =>
    schema.$ref === undefined
      ? schema
      : (document.components.schemas[schema.$ref.replace('#/components/schemas/', '')] ?? {});

  /** A value the parameter's schema allows. */
  function validSample(parameter: Parameter): string {
    const { schema } = parameter;
    if (schema.type === 'array') {
      const items = resolve(schema.items ?? {});
      return Array.isArray(items.enum) ? String(items.enum[0]).toLowerCase() : 'DE,germany';
    }
    if (Array.isArray(schema.enum)) return String(schema.enum.at(-1)).toUpperCase();
    if (schema.type === 'integer') return String(schema.maximum);
    return 'ab';
  }

  /** A value the parameter's schema refuses. */
  function invalidSample(parameter: Parameter): string {
    const { schema } = parameter;
    if (schema.type === 'array') return 'x';
    if (Array.isArray(schema.enum)) return 'nope';
    if (schema.type === 'integer') return String(Number(schema.maximum) + 1);
    if (typeof schema.maxLength === 'number') return 'x'.repeat(schema.maxLength + 1);
    throw new Error(`no invalid sample for ${parameter.name}`);
  }

  for (const path of ['/api/mica/v1/issuers', '/api/mica/v1/search']) {
    it(`${path}: accepts a documented value of each parameter (any case) and refuses an undocumented one, naming it`, async () => {
      const base = path.endsWith('/search') ? { q: 'token' } : {};
      expect(parametersOf(path).length).toBeGreaterThanOrEqual(3);
      for (const parameter of parametersOf(path)) {
        expect(parameter.in).toBe('query');
        const good = new URLSearchParams({ ...base, [parameter.name]: validSample(parameter) });
        const ok = await app.request(`${path}?${good}`, { headers: { 'x-api-key': apiKey } });
        expect(ok.status, `${parameter.name}=${good.get(parameter.name)}`).toBe(200);
        await ok.arrayBuffer();

        const bad = new URLSearchParams({ ...base, [parameter.name]: invalidSample(parameter) });
        const refused = await app.request(`${path}?${bad}`, { headers: { 'x-api-key': apiKey } });
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

  it('marks list parameters comma-separated, q required, and states the bounds', () => {
    const issuers = parametersOf('/api/mica/v1/issuers');
    for (const name of ['licenseType', 'country', 'status', 'entityType', 'fields']) {
      expect(
        issuers.find((p) => p.name === name),
        name,
      ).toMatchObject({ style: 'form', explode: false, schema: { type: 'array', maxItems: 50 } });
    }
    expect(issuers.find((p) => p.name === 'limit')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 500,
      default: 100,
    });
    const search = parametersOf('/api/mica/v1/search');
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

  it('documents the published summaries with the published fields first, in the order sent', async () => {
    const statistics = await get<{ data: Record<string, unknown[]> }>('/api/mica/v1/statistics');
    expect(Object.keys(statistics.data)).toEqual(componentProperties('RegisterStatistics'));
    expect(componentProperties('RegisterStatistics').slice(0, 5)).toEqual([
      'totalEntities',
      'licenseTypes',
      'countries',
      'byStatus',
      'recentAuthorizations',
    ]);
    const [type] = statistics.data.licenseTypes ?? [];
    const [country] = statistics.data.countries ?? [];
    const [recent] = statistics.data.recentAuthorizations ?? [];
    expect(Object.keys(type ?? {})).toEqual(componentProperties('LicenseTypeCount'));
    expect(Object.keys(country ?? {})).toEqual(componentProperties('CountryCount'));
    expect(Object.keys(recent ?? {})).toEqual(componentProperties('RecentAuthorization'));
    const types = await get<{ data: object[] }>('/api/mica/v1/license-types');
    expect(Object.keys(types.data[0] ?? {})).toEqual(componentProperties('LicenseTypeSummary'));
    expect(componentProperties('LicenseTypeSummary').slice(0, 3)).toEqual(['type', 'label', 'count']);
    const countries = await get<{ data: object[] }>('/api/mica/v1/countries');
    expect(Object.keys(countries.data[0] ?? {})).toEqual(componentProperties('CountrySummary'));
    expect(componentProperties('CountrySummary').slice(0, 3)).toEqual(['code', 'name', 'count']);
    const list = await get<{ data: object[] }>('/api/mica/v1/issuers?limit=1');
    expect(Object.keys(list.data[0] ?? {})).toEqual(componentProperties('Issuer'));
  });

  it('documents the summaries precisely enough to refuse a wrong shape', async () => {
    const path = '/api/mica/v1/statistics';
    const res = await app.request(path, { headers: { 'x-api-key': apiKey } });
    const headers = Object.fromEntries(res.headers);
    const body = await readJson<{ data: Record<string, unknown> }>(res);
    /** The problems the document finds in `data` answered in place of the real statistics. */
    const problemsOf = (data: Record<string, unknown>) => {
      const check = responseCheck();
      check.use(document);
      check.check({
        method: 'GET',
        path,
        status: 200,
        headers,
        body: Buffer.from(JSON.stringify({ ...body, data })),
      });
      return check.problems;
    };
    expect(problemsOf(body.data)).toEqual([]);
    const { totalEntities: _total, ...withoutTotal } = body.data;
    expect(problemsOf(withoutTotal)).not.toEqual([]);
    expect(problemsOf({ ...body.data, extra: 1 })).not.toEqual([]);
    expect(problemsOf({ ...body.data, totalEntities: -1 })).not.toEqual([]);
    expect(
      problemsOf({ ...body.data, licenseTypes: [{ type: 'CASP', label: 'Crypto-Asset Service Provider' }] }),
    ).not.toEqual([]);
    expect(
      problemsOf({ ...body.data, countries: [{ code: 'Germany', name: 'Germany', count: 1 }] }),
    ).not.toEqual([]);
    expect(problemsOf({ ...body.data, byStatus: { active: 1, expired: 0 } })).not.toEqual([]);
    const recent = (body.data.recentAuthorizations as unknown[])[0];
    expect(
      problemsOf({ ...body.data, recentAuthorizations: Array.from({ length: 11 }, () => recent) }),
    ).not.toEqual([]);
  });
});
