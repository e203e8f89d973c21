// SPEC §4.4 (last rule), for this app's routes too: a respelt path (case, trailing slash,
// percent-encoding) is a 404 or goes through exactly the guards and limiters of its canonical
// spelling. Before every router was case-sensitive, `GET /api/mica/Developer/keys` reached the
// handler without the management-token guard.
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
  bearer,
  body,
  type ErrorBody,
  pgliteDatabase,
  type Registered,
  type RunningApp,
  register,
  startApp,
} from './harness.js';

const log: LimiterCall[] = [];
let db: Database;
let app: RunningApp;
let developer: Registered;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({
    db,
    limits: { perMinute: 100_000, perDay: 1_000_000 },
    instrument: (deps) => {
      deps.limiters = recordingLimiters(deps.limiters, log);
    },
  });
  developer = await register(app);
});
afterAll(async () => {
  await app.close();
  await db.close();
});

async function isRouteNotFound(res: Response): Promise<boolean> {
  if (res.status !== 404) return false;
  return (await body<ErrorBody>(res)).error.message === 'Route not found';
}

describe('path spellings (SPEC §4.4)', () => {
  it('never lets a respelt documented route skip a guard or a limiter', async () => {
    const document = (await (await fetch(`${app.url}/openapi.json`)).json()) as Parameters<
      typeof documentedOperationsOf
    >[0];
    const operations = documentedOperationsOf(document, {
      id: `mica_${'f'.repeat(20)}`,
      keyId: `mkey_${'f'.repeat(24)}`,
      file: 'main-ffffffff.js',
    });
    expect(operations.length).toBeGreaterThanOrEqual(14);
    // Rotating the management token changes the credential: each such request gets a developer
    // of its own, and the trace shows keys by role (`key`, `keyId`), never by a developer's id.
    await checkPathSpellings({
      operations,
      numRuns: 300,
      send: httpSpellingSend({
        baseUrl: app.url,
        credentials: async (operation): Promise<Record<string, string>> => {
          const current = operation.template.endsWith('/management-token/rotate')
            ? await register(app)
            : developer;
          if (operation.security === 'micaApiKey') return { 'x-api-key': current.apiKey };
          if (operation.security === 'managementToken') return bearer(current.managementToken);
          return {};
        },
        isRouteNotFound,
        log,
        keyLabel: (key) => (key.startsWith('mkey_') ? 'keyId' : key),
      }),
    });
  });

  it('answers GET /api/mica/Developer/keys with 404, never with the handler minus its guard', async () => {
    for (const path of ['/api/mica/Developer/keys', '/API/mica/developer/keys', '/api/mica/developer/Keys']) {
      for (const headers of [{}, bearer(developer.managementToken)]) {
        const res = await app.request(path, { headers });
        expect(res.status, path).toBe(404);
        expect(await isRouteNotFound(res), path).toBe(true);
      }
    }
    expect(
      (await app.request('/api/mica/developer/keys/', { headers: bearer(developer.managementToken) })).status,
    ).toBe(200);
  });
});
