import { Writable } from 'node:stream';
import { renderTrusset } from '@portcullis/errors';
import { errorHandler, requestId } from '@portcullis/koa-auth';
import { listen, readJson } from '@portcullis/testing';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { healthRoutes } from './health.js';
import { createLogger, errorForLog } from './logger.js';
import { createMetrics } from './metrics.js';
import { createUsageBatcher, type KeyUsage } from './usage.js';
import { validate } from './validation.js';

describe('usage batcher', () => {
  it('keeps the newest time and the count per key, and writes one batch per flush', async () => {
    const batches: Array<Map<string, KeyUsage>> = [];
    const usage = createUsageBatcher({ write: async (b) => void batches.push(new Map(b)) });
    usage.touch('k1', 100);
    usage.touch('k1', 50);
    usage.touch('k2', 70);
    expect(usage.pending('k1')).toEqual({ lastUsedMs: 100, count: 2 });
    await usage.flush();
    expect(batches).toEqual([
      new Map([
        ['k1', { lastUsedMs: 100, count: 2 }],
        ['k2', { lastUsedMs: 70, count: 1 }],
      ]),
    ]);
    expect(usage.pending('k1')).toBeUndefined();
    await usage.flush();
    expect(batches).toHaveLength(1);
  });

  it('merges a failed batch back so nothing is lost', async () => {
    let fail = true;
    const written: Array<Map<string, KeyUsage>> = [];
    const errors: unknown[] = [];
    const usage = createUsageBatcher({
      write: async (b) => {
        if (fail) throw new Error('database down');
        written.push(new Map(b));
      },
      onError: (e) => errors.push(e),
    });
    usage.touch('k', 10);
    await usage.flush();
    usage.touch('k', 20);
    fail = false;
    await usage.flush();
    expect(errors).toHaveLength(1);
    expect(written).toEqual([new Map([['k', { lastUsedMs: 20, count: 2 }]])]);
  });

  it('bounds memory by dropping the oldest keys', () => {
    const usage = createUsageBatcher({ write: async () => undefined, maxPending: 2 });
    usage.touch('a', 1);
    usage.touch('b', 2);
    usage.touch('c', 3);
    expect(usage.pending('a')).toBeUndefined();
    expect(usage.pending('c')).toEqual({ lastUsedMs: 3, count: 1 });
  });

  it('flushes what is left on stop', async () => {
    const written: string[] = [];
    const usage = createUsageBatcher({ write: async (b) => void written.push(...b.keys()) });
    usage.start();
    usage.touch('k', 1);
    await usage.stop();
    expect(written).toEqual(['k']);
  });
});

describe('metrics', () => {
  it('renders counters and gauges in the Prometheus text format', () => {
    const metrics = createMetrics();
    const requests = metrics.counter('http_requests_total', 'HTTP requests', ['method', 'status']);
    requests.inc('GET', '200');
    requests.inc('GET', '200');
    requests.inc('POST', '4"0\\1');
    metrics.gauge('cache_size', 'Entries', () => 7);
    expect(metrics.render()).toBe(
      [
        '# HELP http_requests_total HTTP requests',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="GET",status="200"} 2',
        'http_requests_total{method="POST",status="4_0_1"} 1',
        '# HELP cache_size Entries',
        '# TYPE cache_size gauge',
        'cache_size 7',
        '',
      ].join('\n'),
    );
  });
});

describe('validate', () => {
  const schema = z.strictObject({ name: z.string().min(1), age: z.number().int() });

  it('returns the parsed value', () => {
    expect(validate(schema, { name: 'a', age: 1 })).toEqual({ name: 'a', age: 1 });
  });

  it('throws VALIDATION_ERROR naming every bad field, and body for unknown fields', () => {
    try {
      validate(schema, { name: '', age: 1.5, extra: true });
      expect.unreachable();
    } catch (err) {
      const rendered = renderTrusset(err, { requestId: 'r', timestamp: 't' });
      expect(rendered.status).toBe(400);
      const fields = (rendered.body.error.details as Array<{ field: string }>).map((d) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['name', 'age', 'body']));
    }
  });

  it('uses the given error factory', () => {
    expect(() => validate(schema, null, () => new RangeError('custom'))).toThrow(RangeError);
  });
});

describe('logger', () => {
  it('censors credentials in headers and secret fields', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ app: 'test', level: 'info', destination: sink });
    logger.info(
      {
        req: { headers: { 'x-api-key': 'trusset_secret', authorization: 'Bearer tok', dpop: 'proof' } },
        body: { apiKey: 'k1', password: 'p', managementToken: 'm' },
      },
      'x',
    );
    const line = lines.join('');
    for (const secret of ['trusset_secret', 'Bearer tok', 'proof', '"k1"', '"p"', '"m"'])
      expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
  });

  it('logs errors by name and message only', () => {
    const err = Object.assign(new Error('boom', { cause: new Error('inner') }), {
      connectionString: 'postgres://u:pw@h',
    });
    expect(errorForLog(err)).toEqual({ name: 'Error', message: 'boom: Error: inner' });
    expect(errorForLog('x')).toEqual({ name: 'NonError', message: 'string' });
  });
});

describe('health routes', () => {
  it('answers /healthz always, /readyz 503 naming the failing check, and /metrics', async () => {
    let databaseUp = true;
    const metrics = createMetrics();
    metrics.gauge('up', 'Up', () => 1);
    const app = new Koa<{ requestId: string }>();
    app.use(requestId());
    app.use(
      errorHandler<{ requestId: string }>((err, ctx) =>
        renderTrusset(err, { requestId: ctx.state.requestId, timestamp: 't' }),
      ),
    );
    const checks = {
      database: async () => {
        if (!databaseUp) throw new Error('down');
      },
    };
    app.use(healthRoutes<{ requestId: string }>({ now: () => 0, checks, metrics }).routes());
    const served = await listen(app.callback());
    try {
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
      const ready = await readJson<{ data: { checks: Record<string, string> } }>(
        await fetch(`${served.url}/readyz`),
      );
      expect(ready.data.checks).toEqual({ database: 'up' });
      databaseUp = false;
      const res = await fetch(`${served.url}/readyz`);
      const body = await readJson<{ error: { code: string; details: unknown } }>(res);
      expect(res.status).toBe(503);
      expect(body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { database: 'down' } });
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${served.url}/metrics`)).text()).toContain('up 1');
    } finally {
      await served.close();
    }
  });
});
