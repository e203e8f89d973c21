// SPEC §4.4 (last rule), for this app's routes too: a respelt path (case, trailing slash,
// percent-encoding) is a 404 or goes through exactly the guards and limiters of its canonical
// spelling.
import type { Database } from '@portcullis/db';
import {
  checkPathSpellings,
  documentedOperationsOf,
  httpSpellingSend,
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
    const operations = documentedOperationsOf(document, {
      slug: 'no-such-tenant',
      tenant: 'no-such-tenant',
      offer_id: '00000000-0000-4000-8000-000000000000',
      credential_id: '00000000-0000-4000-8000-000000000000',
      list: '1',
    });
    expect(operations.length).toBeGreaterThanOrEqual(14);
    await checkPathSpellings({
      operations,
      numRuns: 300,
      send: httpSpellingSend({
        baseUrl: app.url,
        credentials: (operation): Record<string, string> => {
          if (operation.security === 'adminToken') return { authorization: `Bearer ${ADMIN_TOKEN}` };
          if (operation.security === 'loginToken') return { authorization: `Bearer ${tenant.token}` };
          if (operation.security === 'apiKey') return { 'x-api-key': tenant.apiKey };
          return {};
        },
        isRouteNotFound,
        log,
      }),
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
