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
import {
  catalogErrors,
  documentedOperations,
  errorResponses,
  errorSchemaRef,
  type JsonSchema,
  type OpenApiDocument,
  openApiProblems,
  openApiRoutes,
  RETRY_AFTER_HEADER,
  registeredOperations,
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
