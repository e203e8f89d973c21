// The route kit and the generated document: one declaration validates requests, types the handler
// and becomes the route's OpenAPI operation.
import { instanceApiErrors, renderTrusset } from '@portcullis/errors';
import { errorHandler, jsonBody, jsonBodyProblemMessage } from '@portcullis/koa-auth';
import { listen, readJson, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serveOpenApi } from './document.js';
import { createRouteKit } from './kit.js';
import { defineRoute, WRITTEN } from './route.js';
import { appRouter } from './router.js';

const notFound = () => instanceApiErrors.error('NOT_FOUND', { message: 'Widget not found' });
const widget = z.object({ id: z.string(), size: z.number().int() }).meta({ id: 'Widget' });
const resize = defineRoute({
  method: 'post',
  path: '/widgets/:widgetId/resize',
  operationId: 'resizeWidget',
  summary: 'Resize a widget',
  tags: ['Widgets'],
  security: [{ apiKey: [] }],
  request: {
    params: z.object({ widgetId: z.string().regex(/^w_[0-9]+$/) }),
    query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
    body: z.strictObject({ size: z.number().int().min(1).max(10) }),
  },
  invalidParams: notFound,
  responses: {
    200: { description: 'The widget', content: { 'application/json': { schema: widget } } },
    400: { description: 'Bad field', content: { 'application/json': { schema: z.object({}) } } },
  },
});
const legacy = defineRoute({
  method: 'get',
  path: '/widgets/legacy',
  operationId: 'legacyWidgets',
  summary: 'Widgets as text',
  security: [],
  responses: { 200: { description: 'Text', content: { 'text/plain': { schema: z.string() } } } },
});

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

function app() {
  const kit = createRouteKit({
    invalid: (details) => instanceApiErrors.error('VALIDATION_ERROR', { details }),
    jsonBody: jsonBody({
      tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
      invalid: (problem) =>
        instanceApiErrors.error('VALIDATION_ERROR', {
          details: [{ field: 'body', message: jsonBodyProblemMessage(problem) }],
        }),
    }),
  });
  const router = appRouter({ prefix: '/widgets' });
  const seen: unknown[] = [];
  kit.mount(router, resize, (_ctx, input) => {
    seen.push(input);
    return { status: 200, body: { id: input.params.widgetId, size: input.body.size } };
  });
  kit.mount(router, legacy, (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'w_1';
    return WRITTEN;
  });
  const root = appRouter();
  const openApi = serveOpenApi(kit, root, {
    info: { title: 'Widgets', version: '1.0.0' },
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
  });
  const koa = new Koa();
  koa.silent = true;
  koa.use(errorHandler((err) => renderTrusset(err, { requestId: 'r', timestamp: 't' })));
  koa.use(router.routes()).use(root.routes());
  return { koa, kit, seen, openApi };
}

async function start() {
  const built = app();
  served = await listen(built.koa.callback());
  return { ...built, url: served.url };
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('createRouteKit', () => {
  it('hands the handler the parsed params, query and body, and sends what it returns', async () => {
    const { url, seen } = await start();
    const res = await post(`${url}/widgets/w_7/resize?dryRun=true`, { size: 3 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'w_7', size: 3 });
    expect(seen).toEqual([
      { params: { widgetId: 'w_7' }, query: { dryRun: 'true' }, headers: {}, body: { size: 3 } },
    ]);
  });

  it("answers the app's 400 naming every bad query and body field in one list", async () => {
    const { url, seen } = await start();
    const res = await post(`${url}/widgets/w_7/resize?dryRun=maybe`, { size: 0, colour: 'red' });
    expect(res.status).toBe(400);
    const body = await readJson<{ error: { code: string; details: Array<{ field: string }> } }>(res);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.details.map((d) => d.field).sort()).toEqual(['body', 'dryRun', 'size']);
    expect(seen).toEqual([]);
  });

  it("answers the declaration's invalidParams for a malformed path parameter", async () => {
    const { url, seen } = await start();
    const res = await post(`${url}/widgets/nope/resize`, { size: 3 });
    expect(res.status).toBe(404);
    expect((await readJson<{ error: { message: string } }>(res)).error.message).toBe('Widget not found');
    expect(seen).toEqual([]);
  });

  it('reads the body with the given jsonBody, so its errors are the app’s', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/widgets/w_1/resize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"size":',
    });
    expect(res.status).toBe(400);
    const body = await readJson<{ error: { details: unknown } }>(res);
    expect(body.error.details).toEqual([{ field: 'body', message: 'Request body is not valid JSON' }]);
  });

  it('runs afterBody middleware with the body read and before validation', async () => {
    const kit = createRouteKit({
      invalid: (details) => instanceApiErrors.error('VALIDATION_ERROR', { details }),
      jsonBody: jsonBody({
        tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
        invalid: () => instanceApiErrors.error('VALIDATION_ERROR'),
      }),
    });
    const router = appRouter({ prefix: '/widgets' });
    const order: string[] = [];
    kit.mount(
      router,
      resize,
      (_ctx, input) => ({ status: 200, body: { id: input.params.widgetId, size: 1 } }),
      {
        before: [
          (ctx, next) => {
            order.push(`before:${String((ctx.state as { body?: unknown }).body)}`);
            return next();
          },
        ],
        afterBody: [
          (ctx, next) => {
            order.push(`afterBody:${JSON.stringify((ctx.state as { body?: unknown }).body)}`);
            return next();
          },
        ],
      },
    );
    const koa = new Koa();
    koa.silent = true;
    koa.use(errorHandler((err) => renderTrusset(err, { requestId: 'r', timestamp: 't' })));
    koa.use(router.routes());
    served = await listen(koa.callback());
    const res = await post(`${served.url}/widgets/w_1/resize`, { size: 99 });
    expect(res.status).toBe(400);
    expect(order).toEqual(['before:undefined', 'afterBody:{"size":99}']);
  });

  it('with queryCache, parses each raw query string once and shares the parse', async () => {
    let parses = 0;
    const counted = z.object({ n: z.string() }).transform((query) => {
      parses += 1;
      return { n: Number(query.n) };
    });
    const list = defineRoute({
      method: 'get',
      path: '/widgets',
      operationId: 'listWidgets',
      summary: 'Widgets',
      security: [],
      request: { query: counted },
      responses: {
        200: { description: 'n', content: { 'application/json': { schema: z.object({ n: z.number() }) } } },
      },
    });
    const kit = createRouteKit({
      invalid: (details) => instanceApiErrors.error('VALIDATION_ERROR', { details }),
      jsonBody: jsonBody({
        tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
        invalid: () => instanceApiErrors.error('VALIDATION_ERROR'),
      }),
    });
    const router = appRouter();
    const seen: unknown[] = [];
    kit.mount(
      router,
      list,
      (_ctx, { query }) => {
        seen.push(query);
        return { status: 200, body: query };
      },
      { queryCache: { maxEntries: 2 } },
    );
    const koa = new Koa();
    koa.silent = true;
    koa.use(errorHandler((err) => renderTrusset(err, { requestId: 'r', timestamp: 't' })));
    koa.use(router.routes());
    served = await listen(koa.callback());
    for (const q of ['n=1', 'n=1', 'n=2', 'n=1', 'n=3', 'n=1']) {
      expect(await (await fetch(`${served.url}/widgets?${q}`)).json()).toEqual({ n: Number(q.slice(2)) });
    }
    // n=1 parsed, reused twice; n=2 parsed; n=3 fills the cache past 2 entries: cleared, parsed;
    // n=1 parsed again after the clear.
    expect(parses).toBe(4);
    expect(seen[0]).toBe(seen[1]);
  });

  it('leaves a WRITTEN answer as the handler set it', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/widgets/legacy`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('w_1');
  });

  it('refuses an operationId declared twice and a path outside the router prefix', () => {
    const { kit } = app();
    expect(() => kit.mount(appRouter({ prefix: '/widgets' }), legacy, () => WRITTEN)).toThrow(
      /declared twice/,
    );
    expect(() =>
      kit.mount(appRouter({ prefix: '/gadgets' }), { ...legacy, operationId: 'other' }, () => WRITTEN),
    ).toThrow(/prefix \/gadgets/);
  });
});

describe('serveOpenApi', () => {
  it('serves the generated document of every mounted route, itself included', async () => {
    const { url, openApi } = await start();
    const res = await fetch(`${url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const document = await readJson<Record<string, unknown>>(res);
    expect(document).toEqual(openApi.document());
    expect(document).toMatchObject({
      openapi: '3.1.0',
      info: { title: 'Widgets' },
      components: {
        schemas: { Widget: { type: 'object', required: ['id', 'size'] } },
        securitySchemes: { apiKey: { type: 'apiKey', name: 'X-API-Key' } },
      },
    });
    const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(paths).sort()).toEqual([
      '/openapi.json',
      '/widgets/legacy',
      '/widgets/{widgetId}/resize',
    ]);
    const op = paths['/widgets/{widgetId}/resize']?.post;
    expect(op).toMatchObject({
      operationId: 'resizeWidget',
      security: [{ apiKey: [] }],
      parameters: [
        { in: 'path', name: 'widgetId', required: true, schema: { type: 'string', pattern: '^w_[0-9]+$' } },
        { in: 'query', name: 'dryRun' },
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', additionalProperties: false } } },
      },
      responses: {
        '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Widget' } } } },
      },
    });
    expect(paths['/openapi.json']?.get).toMatchObject({ security: [], operationId: 'getOpenApiDocument' });
  });
});
