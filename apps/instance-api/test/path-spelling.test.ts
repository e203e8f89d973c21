// SPEC §4.4 (last rule): every rule holds for every spelling of a path the router serves. A limiter
// or guard is never skipped because a path was written in another case, with a trailing slash or
// with percent-encoded letters: such a path is a 404, or goes through the same guards and limiters.
import {
  checkPathSpellings,
  documentedOperationsOf,
  httpSpellingSend,
  type LimiterCall,
  recordingLimiters,
} from '@portcullis/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createInstance, errorEnvelope, startApp, useApp } from './harness.js';

const log: LimiterCall[] = [];
const app = useApp({
  instrument: (deps) => {
    deps.limiters = recordingLimiters(deps.limiters, log);
  },
});
let apiKey: string;

beforeAll(async () => {
  apiKey = (await createInstance(app)).apiKey;
  // Warm the key into L1: a key L1 does not hold yet checks the per-address budget before its
  // lookup (a peek the next, cached request skips), so the first request of the property would
  // otherwise record one more limiter call than its respelt twin, whatever the spelling.
  expect((await app.withKey(apiKey, '/api/v2/instance')).status).toBe(200);
  log.length = 0;
});

/** The app's "no route" 404, as opposed to a handler's own 404 (an unknown key or instance). */
async function isRouteNotFound(res: Response): Promise<boolean> {
  if (res.status !== 404) return false;
  return (await errorEnvelope(res)).error.message === 'Route not found';
}

describe('path spellings (SPEC §4.4)', () => {
  it('never lets a respelt documented route skip a guard or a limiter', async () => {
    const document = (await (await fetch(`${app.url}/openapi.json`)).json()) as Parameters<
      typeof documentedOperationsOf
    >[0];
    // Unknown but well-formed ids, and bodies that fail validation: every request is answered
    // after the guards and limiters and changes nothing, so canonical and respelt runs compare.
    const operations = documentedOperationsOf(document, {
      id: `inst_${'f'.repeat(24)}`,
      keyId: `key_${'f'.repeat(24)}`,
      service: 'custody',
      file: 'main-FFFFFFFF.js',
      customerId: `cus_${'f'.repeat(24)}`,
      customerRef: `cus_${'f'.repeat(24)}`,
      tokenAddress: `0x${'f'.repeat(40)}`,
      account: `0x${'e'.repeat(40)}`,
      orderId: `ord_${'f'.repeat(24)}`,
      marketId: `mkt_${'f'.repeat(24)}`,
    });
    // Health, metrics, the document; six operator routes; eight key routes; five service checks;
    // the console's page and assets; the core services: five customer, twelve custody, seven
    // tokenization, eight trading and nine lending routes.
    expect(operations.length).toBe(25 + 41);
    await checkPathSpellings({
      operations,
      numRuns: 300,
      send: httpSpellingSend({
        baseUrl: app.url,
        credentials: (operation): Record<string, string> =>
          operation.security === 'apiKey'
            ? { 'x-api-key': apiKey }
            : operation.security === 'adminToken'
              ? { authorization: `Bearer ${ADMIN_TOKEN}` }
              : {},
        isRouteNotFound,
        log,
      }),
    });
  });

  it('answers /api/v2/Instance/api-keys with 404, never with the route minus its key-management limit', async () => {
    const limited = await startApp({ db: app.db, limits: { keyMgmtPerMin: 2 } });
    try {
      const key = (await createInstance(limited)).apiKey;
      expect((await limited.withKey(key, '/api/v2/instance/api-keys')).status).toBe(200);
      expect((await limited.withKey(key, '/api/v2/instance/api-keys')).status).toBe(200);
      expect((await limited.withKey(key, '/api/v2/instance/api-keys')).status).toBe(429);
      for (const path of [
        '/api/v2/Instance/api-keys',
        '/api/v2/INSTANCE/API-KEYS',
        '/api/v2/instance/%61pi-keys',
      ]) {
        const res = await limited.withKey(key, path);
        expect(res.status, path).toBe(404);
        expect(await isRouteNotFound(res), path).toBe(true);
      }
      // A trailing slash is the same route, and the same limit.
      expect((await limited.withKey(key, '/api/v2/instance/api-keys/')).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
