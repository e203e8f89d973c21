// SPEC §4.4 (last rule), for this app's routes too: a respelt path (case, trailing slash,
// percent-encoding) is a 404 or goes through exactly the guards and limiters of its canonical
// spelling.
import type { Database } from '@portcullis/db';
import {
  checkPathSpellings,
  documentedOperationsOf,
  type LimiterCall,
  recordingLimiters,
} from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  approvedTenant,
  body,
  pgliteDatabase,
  type RunningApp,
  startApp,
  type TcsError,
} from './harness.js';

const log: LimiterCall[] = [];
let db: Database;
let app: RunningApp;
let tenant: Awaited<ReturnType<typeof approvedTenant>>;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({
    db,
    instrument: (deps) => {
      deps.limiters = recordingLimiters(deps.limiters, log);
    },
  });
  tenant = await approvedTenant(app);
});
afterAll(async () => {
  await app.close();
  await db.close();
});

async function isRouteNotFound(res: Response): Promise<boolean> {
  if (res.status !== 404) return false;
  return (await body<TcsError>(res)).message === 'Route not found';
}

describe('path spellings (SPEC §4.4)', () => {
  it('never lets a respelt documented route skip a guard or a limiter', async () => {
    const document = (await (await fetch(`${app.url}/openapi.json`)).json()) as Parameters<
      typeof documentedOperationsOf
    >[0];
    const operations = documentedOperationsOf(document, { slug: 'no-such-tenant', tenant: 'no-such-tenant' });
    expect(operations.length).toBeGreaterThanOrEqual(14);
    await checkPathSpellings({
      operations,
      numRuns: 300,
      send: async (operation, path, withCredentials) => {
        const headers: Record<string, string> = {};
        if (withCredentials && operation.security === 'adminToken')
          headers.authorization = `Bearer ${ADMIN_TOKEN}`;
        if (withCredentials && operation.security === 'loginToken')
          headers.authorization = `Bearer ${tenant.token}`;
        if (withCredentials && operation.security === 'apiKey') headers['x-api-key'] = tenant.apiKey;
        const hasBody = ['POST', 'PUT', 'PATCH'].includes(operation.method);
        if (hasBody) headers['content-type'] = 'application/json';
        log.length = 0;
        const res = await fetch(`${app.url}${path}`, {
          method: operation.method,
          headers,
          ...(hasBody ? { body: JSON.stringify({ unexpectedField: true }) } : {}),
        });
        const routeNotFound = await isRouteNotFound(res);
        return {
          status: res.status,
          routeNotFound,
          trace: log.map((c) => `${c.limiter}.${c.method}(${c.key})`),
        };
      },
    });
  });

  it('answers a respelt operator path with 404 and never runs its handler without the token check', async () => {
    for (const path of ['/Admin/tenants', '/admin/Tenants', '/ADMIN/TENANTS']) {
      for (const headers of [{}, { authorization: `Bearer ${ADMIN_TOKEN}` }]) {
        const res = await app.request(path, { headers });
        expect(res.status, path).toBe(404);
        expect(await isRouteNotFound(res), path).toBe(true);
      }
    }
    expect((await app.admin('/admin/tenants/')).status).toBe(200);
    expect((await app.request('/admin/tenants/')).status).toBe(401);
  });
});
