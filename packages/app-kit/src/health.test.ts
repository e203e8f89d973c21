// Health routes answer in the app's own dialect: one app's checks never speak another app's format.
import { defineCatalog, renderTcs, renderTrusset, tcsErrorSchema } from '@portcullis/errors';
import { errorHandler, jsonBody, requestId } from '@portcullis/koa-auth';
import { createRouteKit, openApiDocument } from '@portcullis/routes';
import { listen, readJson, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HealthDialect, healthRoutes } from './health.js';
import { createMetrics } from './metrics.js';

type State = { requestId: string };
const catalog = defineCatalog({
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service Unavailable', expose: true },
  BAD_REQUEST: { status: 400, message: 'Bad Request' },
});
const kitFor = () =>
  createRouteKit<State>({
    invalid: () => catalog.error('BAD_REQUEST'),
    jsonBody: jsonBody({
      tooLarge: () => catalog.error('BAD_REQUEST'),
      invalid: () => catalog.error('BAD_REQUEST'),
    }),
  });

// A dialect with no envelope: bodies are the data itself, errors `{ statusCode, message, error }`.
const bare: HealthDialect<State> = {
  success: (_ctx, data) => data,
  successSchema: (data) => data,
  unavailable: (checks) =>
    catalog.error('SERVICE_UNAVAILABLE', {
      message: `Unavailable: ${Object.keys(checks)
        .filter((name) => checks[name] === 'down')
        .join(', ')}`,
    }),
  unavailableResponse: {
    description: 'A dependency is down.',
    content: { 'application/json': { schema: tcsErrorSchema(503) } },
  },
};

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(dialect: HealthDialect<State>, render: (err: unknown, ctx: Koa.Context) => never) {
  let databaseUp = true;
  const metrics = createMetrics();
  metrics.gauge('up', 'Up', () => 1);
  const kit = kitFor();
  const app = new Koa<State>();
  app.silent = true;
  app.use(requestId());
  app.use(errorHandler<State>((err, ctx) => render(err, ctx as unknown as Koa.Context)));
  const checks = {
    database: async () => {
      if (!databaseUp) throw new Error('down');
    },
  };
  app.use(healthRoutes({ kit, dialect, checks, metrics }).routes());
  served = await listen(app.callback());
  return {
    url: served.url,
    kit,
    setDatabase: (up: boolean) => {
      databaseUp = up;
    },
  };
}

describe('healthRoutes', () => {
  it("answers /healthz, /readyz and its 503, and /metrics in the app's own format", async () => {
    const { url, setDatabase } = await start(bare, ((err: unknown) => renderTcs(err)) as never);
    expect(await readJson(await fetch(`${url}/healthz`))).toEqual({ status: 'ok' });
    expect(await readJson(await fetch(`${url}/readyz`))).toEqual({
      status: 'ready',
      checks: { database: 'up' },
    });
    setDatabase(false);
    const down = await fetch(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(await readJson(down)).toEqual({
      statusCode: 503,
      message: 'Unavailable: database',
      error: 'Service Unavailable',
    });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('up 1');
  });

  it('wraps bodies in the envelope of a dialect that has one', async () => {
    const envelope: HealthDialect<State> = {
      ...bare,
      success: (ctx, data) => ({ success: true, data, requestId: ctx.state.requestId }),
      successSchema: (data) => z.object({ success: z.literal(true), data, requestId: z.string() }),
    };
    const render = ((err: unknown, ctx: Koa.Context) =>
      renderTrusset(err, { requestId: ctx.state.requestId, timestamp: 't' })) as never;
    const { url } = await start(envelope, render);
    const body = await readJson<{ success: boolean; data: unknown }>(await fetch(`${url}/healthz`));
    expect(body).toMatchObject({ success: true, data: { status: 'ok' } });
  });

  it('declares its routes in the kit, so the document lists them with their responses', async () => {
    const { kit } = await start(bare, ((err: unknown) => renderTcs(err)) as never);
    const document = openApiDocument(kit.routes, { info: { title: 't', version: '1' } });
    expect(Object.keys(document.paths ?? {}).sort()).toEqual(['/healthz', '/metrics', '/readyz']);
    expect(Object.keys(document.paths?.['/readyz']?.get?.responses ?? {})).toEqual(['200', '503']);
    expect(document.paths?.['/metrics']?.get?.responses?.['200']).toMatchObject({
      content: { 'text/plain': { schema: { type: 'string' } } },
    });
  });
});
