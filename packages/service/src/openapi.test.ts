import Router from '@koa/router';
import {
  defineCatalog,
  rateLimitErrors,
  renderTcs,
  renderTrusset,
  renderTrussetSuccess,
  tcsApiKeyErrors,
} from '@portcullis/errors';
import { listen, readJson } from '@portcullis/testing';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { healthRoutes } from './health.js';
import { createMetrics } from './metrics.js';
import {
  catalogErrors,
  documentedOperations,
  errorResponses,
  errorSchemaRef,
  headerRef,
  type JsonSchema,
  type OpenApiDocument,
  openApiOperation,
  openApiProblems,
  openApiRoutes,
  parameterRef,
  RETRY_AFTER_HEADER,
  registeredOperations,
  standardRoutePaths,
  tcsErrorSchema,
  toOpenApiPath,
  trussetErrorSchema,
  trussetSuccessSchema,
} from './openapi.js';

const minimal = (): OpenApiDocument => ({
  openapi: '3.1.1',
  info: { title: 'test', version: '1.0.0' },
  paths: {
    '/things/{id}': {
      get: {
        operationId: 'getThing',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok' } },
        security: [{ apiKey: [] }],
      },
    },
  },
  components: { securitySchemes: { apiKey: { type: 'apiKey', name: 'X-API-Key', in: 'header' } } },
});

/** `schema.properties` as a record (the helpers always build object schemas). */
const props = (schema: JsonSchema | undefined): Record<string, JsonSchema> =>
  (schema?.properties ?? {}) as Record<string, JsonSchema>;

describe('openApiRoutes (SPEC §1 GET /openapi.json)', () => {
  it('serves the document as cacheable JSON, serialised when the router is made', async () => {
    const document = minimal();
    const app = new Koa();
    app.use(openApiRoutes(document).routes());
    // Later changes to the object are not served: the body was fixed at creation.
    document.info.title = 'changed';
    const served = await listen(app.callback());
    try {
      const res = await fetch(`${served.url}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(await readJson(res)).toEqual({ ...minimal(), info: { title: 'test', version: '1.0.0' } });
      expect((await fetch(`${served.url}/openapi.json`, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(`${served.url}/openapi.yaml`)).status).toBe(404);
    } finally {
      await served.close();
    }
  });

  it('refuses at creation a document that cannot be serialised', () => {
    const document = minimal() as OpenApiDocument & { self?: unknown };
    document.self = document;
    expect(() => openApiRoutes(document)).toThrow(TypeError);
  });
});

describe('route listing', () => {
  it('turns Koa parameters into path template variables', () => {
    expect(toOpenApiPath('/api/v2/instance/api-keys/:keyId/rotate')).toBe(
      '/api/v2/instance/api-keys/{keyId}/rotate',
    );
    expect(toOpenApiPath('/a/:x/b/:y_2')).toBe('/a/{x}/b/{y_2}');
    expect(toOpenApiPath('/healthz')).toBe('/healthz');
  });

  it('lists the routes of nested, prefixed routers, without middleware or implicit HEAD', () => {
    const app = new Koa();
    const outer = new Router({ prefix: '/api' });
    outer.use(async (_ctx, next) => next());
    const inner = new Router({ prefix: '/keys' });
    inner.get('/', () => undefined);
    inner.delete('/:keyId', () => undefined);
    inner.post('/:keyId/rotate', () => undefined);
    outer.use(inner.routes(), inner.allowedMethods());
    const plain = new Router();
    plain.get('/healthz', () => undefined);
    plain.head('/ping', () => undefined);
    app.use(async (_ctx, next) => next());
    app.use(plain.routes());
    app.use(outer.routes());

    expect(registeredOperations(app)).toEqual([
      { method: 'get', path: '/api/keys' },
      { method: 'delete', path: '/api/keys/{keyId}' },
      { method: 'post', path: '/api/keys/{keyId}/rotate' },
      { method: 'get', path: '/healthz' },
      { method: 'head', path: '/ping' },
    ]);
  });

  it('lists the operations of a document in the same form', () => {
    const document = minimal();
    document.paths['/a'] = { post: { responses: { '201': { description: 'made' } } } };
    expect(documentedOperations(document)).toEqual([
      { method: 'post', path: '/a' },
      { method: 'get', path: '/things/{id}' },
    ]);
  });
});

describe('openApiProblems', () => {
  it('finds nothing wrong in a consistent document', () => {
    expect(openApiProblems(minimal())).toEqual([]);
  });

  it('names a path variable without a parameter, and a parameter without a variable', () => {
    const document = minimal();
    document.paths['/things/{id}/parts/{partId}'] = {
      post: {
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'other', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'ok' } },
      },
    };
    expect(openApiProblems(document)).toEqual([
      'POST /things/{id}/parts/{partId}: path parameter "partId" is not declared',
      'POST /things/{id}/parts/{partId}: path parameter "other" is not in the path',
    ]);
  });

  it('requires path parameters to be required, and resolves parameter references', () => {
    const document = minimal();
    document.components = {
      ...document.components,
      parameters: { id: { name: 'id', in: 'path', schema: { type: 'string' } } },
    };
    document.paths['/x/{id}'] = {
      get: {
        parameters: [{ $ref: '#/components/parameters/id' }],
        responses: { '200': { description: 'ok' } },
      },
    };
    expect(openApiProblems(document)).toEqual(['GET /x/{id}: path parameter "id" must be required']);
  });

  it('names Koa syntax, dangling references, unknown schemes, duplicate ids and empty responses', () => {
    const document = minimal();
    document.paths['/keys/:keyId'] = {
      get: {
        operationId: 'getThing',
        security: [{ bearer: [] }],
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } },
          },
        },
      },
      delete: { responses: {} },
    };
    expect(openApiProblems(document)).toEqual([
      '/keys/:keyId: Koa ":param" syntax; use "{param}"',
      'GET /keys/:keyId: duplicate operationId "getThing"',
      'GET /keys/:keyId: security scheme "bearer" is not declared',
      'DELETE /keys/:keyId: no responses',
      '$ref "#/components/schemas/Nope" does not resolve',
    ]);
  });
});

describe('Trusset envelope schemas (SPEC §4.1)', () => {
  const meta = { requestId: 'req-12345678', timestamp: '2026-01-01T00:00:00.000Z', instanceId: 'inst_1' };

  it('describe every field the success renderer writes, and require the ones it always writes', () => {
    const body = renderTrussetSuccess({ a: 1 }, { ...meta, total: 3 });
    const schema = trussetSuccessSchema({ type: 'object' }, { total: true, instanceId: true });
    expect(schema.required).toEqual(Object.keys(body));
    const metadata = props(schema).metadata;
    expect(Object.keys(props(metadata)).sort()).toEqual(Object.keys(body.metadata).sort());
    expect(metadata?.required).toEqual(['requestId', 'timestamp', 'instanceId', 'total']);
    const bare = props(trussetSuccessSchema({ type: 'object' })).metadata;
    expect(bare?.required).toEqual(['requestId', 'timestamp']);
    expect(props(bare)).not.toHaveProperty('total');
  });

  it('describe every field the error renderer writes, a 429 included', () => {
    const rendered = renderTrusset(
      rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: 5 }),
      meta,
    );
    const schema = trussetErrorSchema(['RATE_LIMIT_EXCEEDED']);
    expect(schema.required).toEqual(Object.keys(rendered.body));
    for (const part of ['error', 'metadata'] as const) {
      const described = Object.keys(props(props(schema)[part]));
      for (const key of Object.keys(rendered.body[part])) expect(described).toContain(key);
    }
    expect(props(props(schema).error).code).toEqual({ type: 'string', enum: ['RATE_LIMIT_EXCEEDED'] });
    expect(props(props(trussetErrorSchema()).error).code).toEqual({ type: 'string' });
  });
});

describe('TCS error schema (SPEC §6.1)', () => {
  it('describes exactly the fields the TCS renderer writes, fixed to the status given', () => {
    const rendered = renderTcs(tcsApiKeyErrors.error('ACCOUNT_NOT_APPROVED'));
    const schema = tcsErrorSchema(403, { messages: ['Account is not approved'] });
    expect(schema.required).toEqual(Object.keys(rendered.body));
    expect(Object.keys(props(schema))).toEqual(Object.keys(rendered.body));
    expect(props(schema).statusCode).toEqual({ type: 'integer', const: rendered.body.statusCode });
    expect(props(schema).error).toEqual({ type: 'string', const: rendered.body.error });
    expect(props(schema).message).toEqual({ type: 'string', enum: [rendered.body.message] });
  });

  it('leaves status and message open when not given, and combines fixed and built messages', () => {
    const open = props(tcsErrorSchema());
    expect(open.statusCode).toMatchObject({ type: 'integer', minimum: 400, maximum: 599 });
    expect(open.message).toEqual({ type: 'string' });
    expect(open.error).not.toHaveProperty('const');
    expect(props(tcsErrorSchema(400, { messagePattern: '^\\w+: ' })).message).toEqual({
      type: 'string',
      pattern: '^\\w+: ',
    });
    expect(props(tcsErrorSchema(400, { messages: ['Bad'], messagePattern: '^\\w+: ' })).message).toEqual({
      type: 'string',
      anyOf: [{ enum: ['Bad'] }, { pattern: '^\\w+: ' }],
    });
  });
});

describe('errorResponses', () => {
  const catalog = defineCatalog({
    MISSING: { status: 401, message: 'Key required' },
    WRONG: { status: 401, message: 'Invalid key' },
    GONE: { status: 404, message: 'Not found' },
    SLOW: { status: 429, message: 'Too many' },
  });

  it('takes status and message from the catalog', () => {
    expect(catalogErrors(catalog, 'WRONG', 'GONE')).toEqual([
      { code: 'WRONG', status: 401, message: 'Invalid key' },
      { code: 'GONE', status: 404, message: 'Not found' },
    ]);
  });

  it('groups codes by status, lists them, and limits error.code to them', () => {
    const responses = errorResponses([
      ...catalogErrors(catalog, 'GONE', 'MISSING', 'WRONG'),
      { code: 'MISSING', status: 401, message: 'repeated' },
    ]);
    expect(Object.keys(responses)).toEqual(['401', '404']);
    expect(responses['401']?.description).toBe('`MISSING`: Key required; `WRONG`: Invalid key');
    const schema = responses['401']?.content?.['application/json']?.schema;
    expect(props(props(schema).error).code).toEqual({ type: 'string', enum: ['MISSING', 'WRONG'] });
    expect(responses['404']?.headers).toBeUndefined();
  });

  it('adds the headers and body schema asked for per status', () => {
    const responses = errorResponses(catalogErrors(catalog, 'SLOW', 'GONE'), {
      headers: (status) => (status === 429 ? { 'Retry-After': RETRY_AFTER_HEADER } : undefined),
      schema: (codes) => ({ type: 'object', title: codes.join(',') }),
    });
    expect(responses['429']?.headers).toEqual({ 'Retry-After': RETRY_AFTER_HEADER });
    expect(responses['404']?.headers).toBeUndefined();
    expect(responses['429']?.content?.['application/json']?.schema).toEqual({
      type: 'object',
      title: 'SLOW',
    });
  });

  it('narrows a shared envelope by reference, which the document check resolves', () => {
    const document = minimal();
    document.components = { ...document.components, schemas: { Error: trussetErrorSchema() } };
    const responses = errorResponses(catalogErrors(catalog, 'GONE'), {
      schema: (codes) => errorSchemaRef(codes),
    });
    const schema = responses['404']?.content?.['application/json']?.schema;
    expect(schema).toEqual({
      allOf: [
        { $ref: '#/components/schemas/Error' },
        {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string', enum: ['GONE'] } } } },
        },
      ],
    });
    const operation = document.paths['/things/{id}']?.get;
    if (operation) operation.responses = { ...operation.responses, ...responses };
    expect(openApiProblems(document)).toEqual([]);
    expect(openApiProblems({ ...document, components: {} }).join()).toContain(
      '$ref "#/components/schemas/Error" does not resolve',
    );
  });
});

describe('openApiOperation', () => {
  const headers = (status: number) => ({
    'X-Request-Id': headerRef('X-Request-Id'),
    ...(status === 429 ? { 'Retry-After': headerRef('Retry-After') } : {}),
  });

  it('builds a secured operation with its parameters, body, success and error responses', () => {
    const errors = errorResponses([{ code: 'NOT_FOUND', status: 404, message: 'Key not found' }], {
      headers,
    });
    const operation = openApiOperation({
      operationId: 'rotateKey',
      summary: 'Rotate a key',
      description: 'Old key expires later.',
      tag: 'keys',
      security: 'apiKey',
      parameters: [parameterRef('KeyId')],
      body: { schema: 'RotateRequest', required: true },
      ok: { status: 201, description: 'The new key.', schema: { type: 'object' } },
      headers,
      errors,
    });
    expect(operation).toEqual({
      operationId: 'rotateKey',
      summary: 'Rotate a key',
      description: 'Old key expires later.',
      tags: ['keys'],
      security: [{ apiKey: [] }],
      parameters: [{ $ref: '#/components/parameters/KeyId' }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/RotateRequest' } } },
      },
      responses: {
        '201': {
          description: 'The new key.',
          headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        '404': errors['404'],
      },
    });
  });

  it('marks a public operation, an optional body, and lets the success headers and media type win', () => {
    const operation = openApiOperation({
      operationId: 'export',
      summary: 'Export',
      tag: 'ops',
      security: null,
      body: { schema: 'Empty', required: false },
      ok: {
        status: 200,
        description: 'Text.',
        schema: { type: 'string' },
        type: 'text/plain',
        headers: { 'X-Request-Id': { schema: { type: 'string' } } },
      },
      headers,
    });
    expect(operation.security).toEqual([]);
    expect(operation).not.toHaveProperty('description');
    expect(operation).not.toHaveProperty('parameters');
    expect(operation.requestBody).toMatchObject({
      required: false,
      description: expect.stringContaining('{}'),
    });
    expect(Object.keys(operation.responses)).toEqual(['200']);
    expect(operation.responses['200']).toEqual({
      description: 'Text.',
      headers: { 'X-Request-Id': { schema: { type: 'string' } } },
      content: { 'text/plain': { schema: { type: 'string' } } },
    });
  });
});

describe('standardRoutePaths (SPEC §1 routes of @portcullis/service)', () => {
  const withComponents = (paths: OpenApiDocument['paths']): OpenApiDocument => ({
    openapi: '3.1.1',
    info: { title: 'test', version: '1.0.0' },
    paths,
    components: {
      headers: { 'X-Request-Id': { schema: { type: 'string' } } },
      schemas: { Error: trussetErrorSchema() },
    },
  });

  it('documents exactly the routes healthRoutes() and openApiRoutes() serve, as public operations', () => {
    const paths = standardRoutePaths({ errorSchema: (codes) => errorSchemaRef(codes) });
    const app = new Koa();
    app.use(healthRoutes({ now: () => 0, checks: {}, metrics: createMetrics() }).routes());
    app.use(openApiRoutes(withComponents(paths)).routes());
    expect(documentedOperations(withComponents(paths))).toEqual(registeredOperations(app));
    expect(openApiProblems(withComponents(paths))).toEqual([]);
    for (const item of Object.values(paths)) {
      expect(item.get?.security).toEqual([]);
      expect(item.get?.tags).toEqual(['operations']);
    }
  });

  it('describes the bodies and headers the served routes really send', async () => {
    const paths = standardRoutePaths();
    const appWith = (checks: Record<string, () => Promise<void>>) => {
      const app = new Koa<{ requestId: string }>();
      app.use(async (ctx, next) => {
        ctx.state.requestId = 'req-0001';
        try {
          await next();
        } catch (error) {
          // The app's error middleware renders the body; here only its status and code matter.
          const { status, code } = error as { status: number; code: string };
          ctx.status = status;
          ctx.body = { code };
        }
      });
      app.use(healthRoutes({ now: () => 0, checks, metrics: createMetrics() }).routes());
      app.use(openApiRoutes(withComponents(paths)).routes());
      return app;
    };
    const served = await listen(appWith({}).callback());
    const failing = await listen(appWith({ redis: () => Promise.reject(new Error('down')) }).callback());
    const schemaOf = (path: string, status: string, type = 'application/json') => {
      const response = paths[path]?.get?.responses[status];
      return response && 'content' in response ? response.content?.[type]?.schema : undefined;
    };
    try {
      const healthz = (await readJson(await fetch(`${served.url}/healthz`))) as Record<string, unknown>;
      const healthzSchema = schemaOf('/healthz', '200');
      expect(Object.keys(healthz).sort()).toEqual([...((healthzSchema?.required ?? []) as string[])].sort());
      expect(healthz.data).toEqual({ status: 'ok' });
      expect(props(props(healthzSchema).data).status).toEqual({ const: 'ok' });

      const ready = (await readJson(await fetch(`${served.url}/readyz`))) as { data: unknown };
      expect(ready.data).toEqual({ status: 'ready', checks: {} });
      expect(props(props(schemaOf('/readyz', '200')).data).status).toEqual({ const: 'ready' });

      const notReady = await fetch(`${failing.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await readJson(notReady)).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(schemaOf('/readyz', '503')).toEqual(trussetErrorSchema(['SERVICE_UNAVAILABLE']));

      const metrics = await fetch(`${served.url}/metrics`);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain\b/);
      expect(schemaOf('/metrics', '200', 'text/plain')).toEqual({ type: 'string' });

      const openapi = await fetch(`${served.url}/openapi.json`);
      const documented = paths['/openapi.json']?.get?.responses['200'];
      const cacheControl =
        documented && 'headers' in documented ? documented.headers?.['Cache-Control'] : undefined;
      expect(cacheControl).toMatchObject({
        required: true,
        schema: { const: openapi.headers.get('cache-control') },
      });
      expect(await readJson(openapi)).toMatchObject({ openapi: '3.1.1', paths: { '/healthz': {} } });
    } finally {
      await served.close();
      await failing.close();
    }
  });

  it('renders the readiness failure in the format the app asks for, with its notes', () => {
    const message = 'Service temporarily unavailable';
    const paths = standardRoutePaths({
      tag: 'health',
      unavailable: { description: `\`${message}\``, schema: tcsErrorSchema(503, { messages: [message] }) },
      descriptions: { metrics: 'Counts shed work too.' },
    });
    const readyz = paths['/readyz']?.get;
    expect(readyz?.tags).toEqual(['health']);
    expect(readyz?.responses['503']).toEqual({
      description: '`Service temporarily unavailable`',
      headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
      content: { 'application/json': { schema: tcsErrorSchema(503, { messages: [message] }) } },
    });
    // Health success stays the Trusset envelope whatever the error format (shared health code).
    const healthz = paths['/healthz']?.get?.responses['200'];
    expect(
      healthz && 'content' in healthz ? healthz.content?.['application/json']?.schema : undefined,
    ).toEqual(
      trussetSuccessSchema({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }),
    );
    expect(paths['/metrics']?.get?.description).toBe('Counts shed work too.');
    expect(paths['/healthz']?.get).not.toHaveProperty('description');
  });
});
