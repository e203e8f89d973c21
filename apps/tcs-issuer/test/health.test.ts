// `/healthz`, `/readyz` and `/metrics` speak the TCS dialect like every other route: a success
// body is the data itself, a failing readiness check is the TCS error body naming the check.
import type { Database } from '@portcullis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, pgliteDatabase, type RunningApp, startApp } from './harness.js';

let db: Database;
let app: RunningApp;
let redisUp = true;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({
    db,
    // A stand-in for Redis, so one check can be taken down without stopping anything.
    instrument: (deps) => {
      deps.checks = {
        ...deps.checks,
        redis: async () => {
          if (!redisUp) throw new Error('redis down');
        },
      };
    },
  });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('health routes', () => {
  it('answers /healthz with { status: "ok" }, no envelope', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ status: 'ok' });
  });

  it('answers /readyz with every check up', async () => {
    const res = await app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ status: 'ready', checks: { database: 'up', redis: 'up' } });
  });

  it('answers /readyz with a 503 TCS error naming the failing check', async () => {
    redisUp = false;
    try {
      const res = await app.request('/readyz');
      expect(res.status).toBe(503);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await body(res)).toEqual({
        statusCode: 503,
        message: 'Service temporarily unavailable: redis',
        error: 'Service Unavailable',
      });
    } finally {
      redisUp = true;
    }
  });

  it('serves the metrics as Prometheus text, the shed logins counted', async () => {
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toContain('password_work_shed_total');
  });
});
