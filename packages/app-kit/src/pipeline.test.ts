import { Writable } from 'node:stream';
import { DatabaseUnavailableError } from '@portcullis/db';
import { defineCatalog, renderTrusset } from '@portcullis/errors';
import { appRouter } from '@portcullis/routes';
import { listen, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { useRequestPipeline } from './pipeline.js';

const catalog = defineCatalog({
  NOT_FOUND: { status: 404, message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable', expose: true },
  BUSY: { status: 503, message: 'Busy', expose: true },
});

type State = { requestId: string };
const served: Served[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

async function start(
  level = 'info',
  clientAddress?: { trustProxy: boolean; hops?: number },
  batchResponses?: boolean,
) {
  const lines: string[] = [];
  const logger = createLogger({
    app: 'test',
    level,
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const metrics = createMetrics();
  const observed: string[] = [];
  const app = new Koa<State>();
  useRequestPipeline(app, {
    logger,
    metrics,
    render: (err, ctx) => renderTrusset(err, { requestId: ctx.state.requestId, timestamp: 'T' }),
    unavailable: (cause) => catalog.error('SERVICE_UNAVAILABLE', { cause }),
    notFound: () => catalog.error('NOT_FOUND', { message: 'Route not found' }),
    methodNotAllowed: () => catalog.error('METHOD_NOT_ALLOWED'),
    quiet: (err) => err instanceof Error && err.message === 'overloaded',
    onError: (err) => observed.push(err instanceof Error ? err.message : 'coded'),
    logFields: () => ({ tenant: 't1' }),
    ...(clientAddress ? { clientAddress } : {}),
    ...(batchResponses === undefined ? {} : { batchResponses }),
  });
  const router = appRouter<State>();
  router.get('/ok', (ctx) => {
    ctx.body = { ok: true };
  });
  router.get('/db', () => {
    throw new DatabaseUnavailableError('DB_CLOSED', 'connection refused to db.internal:5432');
  });
  router.get('/bug', () => {
    throw new Error('secret=hunter2 in a bug');
  });
  router.get('/public', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = { public: true };
  });
  router.get('/public-then-fails', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    throw catalog.error('BUSY');
  });
  router.get('/ip', (ctx) => {
    ctx.body = { ip: ctx.ip };
  });
  router.get('/items/:itemId', (ctx) => {
    ctx.body = { id: ctx.params.itemId };
  });
  router.get('/busy', () => {
    throw Object.assign(catalog.error('BUSY'), { message: 'overloaded' });
  });
  app.use(router.routes()).use(router.allowedMethods());
  const server = await listen(app.callback());
  served.push(server);
  return { url: server.url, lines, metrics, observed };
}

const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('useRequestPipeline', () => {
  it('renders unmatched routes, other methods and unknown methods in the app format', async () => {
    const { url } = await start();
    const missing = await fetch(`${url}/nowhere`);
    expect([missing.status, await codeOf(missing)]).toEqual([404, 'NOT_FOUND']);
    const other = await fetch(`${url}/ok`, { method: 'DELETE' });
    expect([other.status, await codeOf(other)]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect(other.headers.get('allow')).toContain('GET');
    const unknown = await fetch(`${url}/ok`, { method: 'PROPFIND' });
    expect([unknown.status, await codeOf(unknown)]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect((await fetch(`${url}/ok`)).headers.get('x-request-id')).toBeTruthy();
  });

  it('answers a database outage with the app’s 503, and masks a bug as a logged 500 without its message', async () => {
    const { url, lines, metrics, observed } = await start();
    const db = await fetch(`${url}/db`);
    expect([db.status, await codeOf(db)]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    const bug = await fetch(`${url}/bug`);
    const text = await bug.text();
    expect(bug.status).toBe(500);
    expect(text).not.toContain('hunter2');
    expect(lines.filter((l) => l.includes('request failed'))).toHaveLength(2);
    const rendered = await metrics.render();
    expect(rendered).toContain('http_errors_total{code="SERVICE_UNAVAILABLE"} 1');
    expect(rendered).toContain(
      'http_request_duration_seconds_count{method="GET",route="/bug",status="500"} 1',
    );
    expect(rendered).toContain(
      'http_request_duration_seconds_count{method="GET",route="/db",status="503"} 1',
    );
    expect(observed).toHaveLength(2);
  });

  it('counts a quiet error but does not log it as a failure', async () => {
    const { url, lines, observed } = await start();
    expect((await fetch(`${url}/busy`)).status).toBe(503);
    expect(lines.filter((l) => l.includes('request failed'))).toEqual([]);
    expect(observed).toEqual(['overloaded']);
  });

  it('writes a debug access line with the path only and the app’s fields', async () => {
    const { url, lines } = await start('debug');
    await fetch(`${url}/ok?token=secret-value`);
    const line = lines.find((l) => l.includes('"msg":"request"')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ method: 'GET', path: '/ok', status: 200, tenant: 't1' });
    expect(line).not.toContain('secret-value');
  });

  it('sends Cache-Control: no-store unless the route set its own policy, errors included', async () => {
    const { url } = await start();
    for (const path of ['/ok', '/nowhere', '/db', '/public-then-fails']) {
      expect((await fetch(`${url}${path}`)).headers.get('cache-control'), path).toBe('no-store');
    }
    expect((await fetch(`${url}/ok`, { method: 'DELETE' })).headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${url}/public`)).headers.get('cache-control')).toBe('public, max-age=300');
  });

  it('takes the client address from the trusted X-Forwarded-For entry only when told to', async () => {
    const trusting = await start('info', { trustProxy: true, hops: 1 });
    const ipOf = async (url: string, xff: string) =>
      ((await (await fetch(`${url}/ip`, { headers: { 'x-forwarded-for': xff } })).json()) as { ip: string })
        .ip;
    expect(await ipOf(trusting.url, '6.6.6.6, 203.0.113.9')).toBe('203.0.113.9');
    expect(await ipOf(trusting.url, '203.0.113.9:1234')).toMatch(/127\.0\.0\.1$/);
    const plain = await start();
    expect(await ipOf(plain.url, '203.0.113.9')).toMatch(/127\.0\.0\.1$/);
  });
});

describe('useRequestPipeline metrics', () => {
  const seriesOf = (text: string) =>
    text.split('\n').filter((line) => line.startsWith('http_request_duration_seconds_count'));

  it('labels request latency by the matched route template, never the path', async () => {
    const { url, metrics } = await start();
    await fetch(`${url}/items/alpha`);
    await fetch(`${url}/items/beta`);
    await fetch(`${url}/ok`, { method: 'DELETE' });
    expect(seriesOf(await metrics.render()).sort()).toEqual([
      'http_request_duration_seconds_count{method="DELETE",route="unmatched",status="405"} 1',
      'http_request_duration_seconds_count{method="GET",route="/items/:itemId",status="200"} 2',
    ]);
    const text = await metrics.render();
    expect(text).toContain(
      'http_request_duration_seconds_bucket{method="GET",route="/items/:itemId",status="200",le="+Inf"} 2',
    );
    expect(text).not.toContain('alpha');
  });

  it('creates no label from an unmatched path, a query string or a credential', async () => {
    const { url, metrics } = await start();
    const randomPath = `/nowhere-${crypto.randomUUID()}`;
    const key = `trusset_abcd1234_${'f'.repeat(64)}`;
    const token = `secret-${crypto.randomUUID()}`;
    expect((await fetch(`${url}${randomPath}?q=${token}`)).status).toBe(404);
    const withKey = await fetch(`${url}/items/${token}?apiKey=${key}`, {
      headers: { 'x-api-key': key, authorization: `Bearer ${token}`, 'x-request-id': `rid-${token}` },
    });
    expect(withKey.status).toBe(200);
    expect(withKey.headers.get('x-request-id')).toBe(`rid-${token}`);
    const text = await metrics.render();
    for (const secret of [randomPath, key, token]) expect(text).not.toContain(secret);
    expect(seriesOf(text).sort()).toEqual([
      'http_request_duration_seconds_count{method="GET",route="/items/:itemId",status="200"} 1',
      'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
    ]);
    expect(text).toContain('http_errors_total{code="NOT_FOUND"} 1');
  });
});

describe('useRequestPipeline batching', () => {
  it('answers every one of many concurrent requests, batched or not, with its own body and status', async () => {
    for (const batched of [true, false]) {
      const { url } = await start('info', undefined, batched);
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => fetch(`${url}/${i % 2 === 0 ? 'ok' : 'nowhere'}`)),
      );
      expect(answers.map((r) => r.status)).toEqual(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 200 : 404)),
      );
      const ids = new Set(answers.map((r) => r.headers.get('x-request-id')));
      expect(ids.size).toBe(40);
    }
  });
});

describe('appRouter', () => {
  it('matches routes and their use-layers case-sensitively, so a guard cannot be skipped by case', async () => {
    const app = new Koa();
    const guarded: string[] = [];
    const outer = appRouter({ prefix: '/api' });
    const inner = appRouter({ prefix: '/keys' });
    inner.use((ctx, next) => {
      guarded.push(ctx.path);
      return next();
    });
    inner.get('/', (ctx) => {
      ctx.body = 'list';
    });
    outer.use(inner.routes());
    app.use(outer.routes());
    const server = await listen(app.callback());
    served.push(server);
    const statusOf = async (path: string) => (await fetch(`${server.url}${path}`)).status;
    expect(await statusOf('/api/keys')).toBe(200);
    expect(await statusOf('/api/keys/')).toBe(200);
    expect(await statusOf('/api/Keys')).toBe(404);
    expect(await statusOf('/API/keys')).toBe(404);
    expect(await statusOf('/api/%6Beys')).toBe(404);
    // Every spelling that reached the handler went through the guard first.
    expect(guarded).toEqual(['/api/keys', '/api/keys/']);
  });
});
