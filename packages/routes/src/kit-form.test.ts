// Form-bodied routes, and a route that speaks another dialect than its kit (its own 400 and body
// reader): what an OAuth token endpoint on an app of another error format needs.
import { instanceApiErrors, renderTrusset } from '@portcullis/errors';
import { errorHandler, formBody, jsonBody } from '@portcullis/koa-auth';
import { listen, readJson, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument } from './document.js';
import { createRouteKit } from './kit.js';
import { defineRoute } from './route.js';
import { appRouter } from './router.js';

class OwnDialect extends Error {
  constructor(readonly said: string) {
    super(said);
  }
}

const token = defineRoute({
  method: 'post',
  path: '/token',
  operationId: 'token',
  summary: 'A form-bodied route',
  security: [],
  request: { form: z.looseObject({ grant_type: z.literal('magic'), code: z.string().min(3) }) },
  responses: {
    200: { description: 'ok', content: { 'application/json': { schema: z.object({ code: z.string() }) } } },
  },
});

const kit = createRouteKit({
  invalid: (details) => instanceApiErrors.error('VALIDATION_ERROR', { details }),
  jsonBody: jsonBody({
    tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
    invalid: () => instanceApiErrors.error('VALIDATION_ERROR'),
  }),
});

let served: Served;
beforeAll(async () => {
  const router = appRouter();
  kit.mount(router, token, (_ctx, { body }) => ({ status: 200, body: { code: body.code } }), {
    invalid: (details) => new OwnDialect(details.map((d) => d.field).join(',')),
    bodyReader: formBody({
      tooLarge: () => new OwnDialect('too large'),
      invalid: (p) => new OwnDialect(p),
    }) as Koa.Middleware,
  });
  const app = new Koa();
  app.use(errorHandler((err) => renderTrusset(err, { requestId: 'r', timestamp: 't' })));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof OwnDialect)) throw err;
      ctx.status = 400;
      ctx.body = { said: err.said };
    }
  });
  app.use(router.routes());
  served = await listen(app.callback());
});
afterAll(() => served.close());

const post = (body: string) =>
  fetch(`${served.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });

describe('a form-bodied route', () => {
  it('hands the handler the validated form, unknown parameters kept aside', async () => {
    const res = await post('grant_type=magic&code=abcd&client_id=ignored');
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ code: 'abcd' });
  });

  it("answers bad fields with the route's own 400, not the kit's", async () => {
    expect(await readJson(await post('grant_type=other&code=a'))).toEqual({ said: 'grant_type,code' });
  });

  it("reads the body with the route's own reader", async () => {
    expect(await readJson(await post('code=a&code=b'))).toEqual({ said: 'repeated' });
  });

  it('documents the form as an application/x-www-form-urlencoded request body', () => {
    const document = openApiDocument([token], { info: { title: 't', version: '1' } }) as unknown as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    expect(Object.keys(document.paths['/token']?.post?.requestBody?.content ?? {})).toEqual([
      'application/x-www-form-urlencoded',
    ]);
  });

  it('refuses a declaration with both a JSON and a form body, and a form route on a kit with no form reader', () => {
    const router = appRouter();
    const both = defineRoute({
      ...token,
      operationId: 'both',
      request: { body: z.object({}), form: z.object({}) },
    });
    expect(() => kit.mount(router, both, () => ({ status: 200, body: { code: '' } }))).toThrow(
      /both a JSON and a form body/,
    );
    const bare = defineRoute({ ...token, operationId: 'bare' });
    expect(() => kit.mount(router, bare, () => ({ status: 200, body: { code: '' } }))).toThrow(
      /no formBody reader/,
    );
  });
});
