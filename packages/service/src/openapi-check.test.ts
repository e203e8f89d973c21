import Router from '@koa/router';
import { listen } from '@portcullis/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument, OpenApiResponse } from './openapi.js';
import { fetchOpenApiDocument, openApiCheck } from './openapi-check.js';

const API_KEY = 'test-key';
const envelope = (code: string, message: string) => ({
  success: false,
  data: null,
  error: { code, message },
  metadata: {},
});
const errorResponse = (codes: string[]): OpenApiResponse => ({
  description: codes.join(', '),
  content: {
    'application/json': {
      schema: { properties: { error: { properties: { code: { type: 'string', enum: codes } } } } },
    },
  },
});
const ok: OpenApiResponse = {
  description: 'ok',
  content: { 'application/json': { schema: { type: 'object' } } },
};

/** Documents `GET /things/{id}` (API key) and `GET /missing`, which the app below does not register. */
const DOCUMENT: OpenApiDocument = {
  openapi: '3.1.1',
  info: { title: 'check', version: '1.0.0' },
  paths: {
    '/openapi.json': { get: { responses: { '200': ok }, security: [] } },
    '/things/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': ok,
          '401': errorResponse(['AUTH_REQUIRED']),
          '404': errorResponse(['NOT_FOUND']),
        },
        security: [{ apiKey: [] }],
      },
    },
    '/missing': { get: { responses: { '200': ok, '404': errorResponse(['NOT_FOUND']) }, security: [] } },
  },
  components: { securitySchemes: { apiKey: { type: 'apiKey', name: 'X-API-Key', in: 'header' } } },
};

/** Registers `/things/:id` and `/extra` (undocumented); unknown routes answer "Route not found". */
function createApp(options: { authenticate: boolean }): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.set('X-Request-Id', 'req-1');
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    ctx.body = envelope('NOT_FOUND', 'Route not found');
    ctx.status = 404;
  });
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(DOCUMENT);
  });
  router.get('/things/:id', (ctx) => {
    if (options.authenticate && ctx.get('x-api-key') !== API_KEY) {
      ctx.status = 401;
      ctx.body = envelope('AUTH_REQUIRED', 'API key required');
      return;
    }
    ctx.status = 404;
    ctx.body = envelope('NOT_FOUND', `No thing ${ctx.params.id}`);
  });
  router.get('/extra', (ctx) => {
    ctx.body = { success: true };
  });
  app.use(router.routes());
  return app;
}

describe('openApiCheck', () => {
  let served: Awaited<ReturnType<typeof listen>>;
  let open: Awaited<ReturnType<typeof listen>>;
  const checkOf = (baseUrl: string, document: OpenApiDocument) =>
    openApiCheck({
      document,
      baseUrl,
      pathParams: { id: 'thing_0' },
      credentials: { apiKey: () => ({ 'x-api-key': API_KEY }) },
      errorFormat: 'trusset',
      answerHeaders: ['x-request-id'],
    });

  beforeAll(async () => {
    served = await listen(createApp({ authenticate: true }).callback());
    open = await listen(createApp({ authenticate: false }).callback());
  });
  afterAll(async () => {
    await served?.close();
    await open?.close();
  });

  it('reports a documented route the app does not register, and a registered one the document lacks', () => {
    const check = checkOf(served.url, DOCUMENT);
    const app = createApp({ authenticate: true });
    expect(check.routeProblems(app)).toEqual([
      'GET /extra is registered but not documented',
      'GET /missing is documented but not registered',
    ]);
    expect(
      check.routeProblems(app, [
        { method: 'get', path: '/things/{id}' },
        { method: 'get', path: '/openapi.json' },
      ]),
    ).toContain('GET /extra is registered but not expected');
    expect(check.routeProblems(new Koa())).toContain('the app registers no routes');
  });

  it('reports an operation that answers "Route not found", and accepts the documented one', async () => {
    const check = checkOf(served.url, DOCUMENT);
    expect(await check.answerProblems()).toEqual(['GET /missing → 404: answered "Route not found"']);
    const { '/missing': _, ...documentedAndRegistered } = DOCUMENT.paths;
    expect(
      await checkOf(served.url, { ...DOCUMENT, paths: documentedAndRegistered }).answerProblems(),
    ).toEqual([]);
  });

  it('reports an undocumented status, error code or missing header, and lets the caller check more', async () => {
    const stricter: OpenApiDocument = {
      ...DOCUMENT,
      paths: {
        '/things/{id}': {
          get: {
            responses: {
              '404': {
                ...errorResponse(['GONE']),
                headers: { 'X-Trace': { required: true, schema: { type: 'string' } } },
              },
            },
            security: [{ apiKey: [] }],
          },
        },
      },
    };
    const seen: string[] = [];
    const problems = await checkOf(served.url, stricter).answerProblems({
      onAnswer: ({ label }) => seen.push(label),
    });
    expect(problems).toEqual([
      'GET /things/{id} → 404: no X-Trace header',
      'GET /things/{id} → 404: error code NOT_FOUND is not among GONE',
    ]);
    expect(seen).toEqual(['GET /things/{id} → 404']);
  });

  it('reports a secured operation that answers without credentials', async () => {
    const { '/missing': _, ...paths } = DOCUMENT.paths;
    const document = { ...DOCUMENT, paths };
    expect(await checkOf(served.url, document).unauthenticatedProblems()).toEqual([]);
    expect(await checkOf(open.url, document).unauthenticatedProblems()).toEqual([
      'GET /things/{id} → 404: not 401 without credentials',
    ]);
  });

  it('fetches the served document and checks it is served alike whatever the credentials', async () => {
    const document = await fetchOpenApiDocument(served.url);
    expect(document).toEqual(DOCUMENT);
    const check = checkOf(served.url, document);
    expect(await check.servedProblems([{}, { 'x-api-key': 'wrong' }])).toEqual([]);
    expect(await check.servedProblems([{}], ['x-request-id'])).toEqual([
      'GET /openapi.json with no headers: carries x-request-id',
    ]);
    await expect(fetchOpenApiDocument(`${served.url}/nowhere`)).rejects.toThrow('answered 404, not 200');
  });

  it('checks a TCS error body field by field (SPEC §6.1)', () => {
    const check = openApiCheck({
      document: DOCUMENT,
      baseUrl: served.url,
      pathParams: {},
      credentials: {},
      errorFormat: 'tcs',
    });
    const documented: OpenApiResponse = {
      description: 'Unauthorized',
      content: {
        'application/json': {
          schema: {
            required: ['statusCode', 'message', 'error'],
            properties: {
              statusCode: { const: 401 },
              message: { type: 'string', enum: ['API Key is required'] },
              error: { const: 'Unauthorized' },
            },
          },
        },
      },
    };
    const body = { statusCode: 401, message: 'API Key is required', error: 'Unauthorized' };
    expect(check.errorProblems(documented, 401, body)).toEqual([]);
    expect(check.errorProblems(documented, 401, { ...body, message: 'Invalid', stack: 'x' })).toEqual([
      'fields [error, message, stack, statusCode], documented [error, message, statusCode]',
      'message "Invalid" is not documented',
    ]);
  });

  it('throws on a lookup that finds nothing, naming it', () => {
    const check = checkOf(served.url, DOCUMENT);
    expect(() => check.operation({ method: 'post', path: '/things/{id}' })).toThrow(
      'POST /things/{id} is not documented',
    );
    expect(() => check.resolve({ $ref: '#/components/schemas/Nope' })).toThrow(
      '$ref "#/components/schemas/Nope" does not resolve',
    );
  });
});
