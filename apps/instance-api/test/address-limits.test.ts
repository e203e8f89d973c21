// SPEC §4.6 and §8: the per-address limits — which address a request is counted under
// (TRUST_PROXY, TRUST_PROXY_HOPS) and shedding an address over its budget before its key costs a
// lookup.
import { randomBytes } from 'node:crypto';
import type { Database } from '@portcullis/db';
import { delayedLimiters } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, envelope, pgliteDatabase, type RunningApp, startApp } from './harness.js';

let db: Database;
beforeAll(async () => {
  db = await pgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

async function withApp<T>(
  options: Omit<Parameters<typeof startApp>[0], 'db'>,
  run: (app: RunningApp) => Promise<T>,
) {
  const app = await startApp({ db, ...options });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

const randomIp = () => [...randomBytes(4)].join('.');
const unknownKey = () => `trusset_abcd1234_${randomBytes(32).toString('hex')}`;

describe('client address behind a proxy (TRUST_PROXY, SPEC §8)', () => {
  it('counts every request under the address the trusted proxy saw, whatever the client puts to its left', async () => {
    await withApp({ trustProxy: true, limits: { ipPerMin: 5 } }, async (app) => {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i += 1) {
        const res = await fetch(`${app.url}/api/v2/instance`, {
          headers: { 'x-forwarded-for': `${randomIp()}, ${randomIp()}, 198.51.100.7` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      // Another address the proxy saw has its own budget.
      const other = await fetch(`${app.url}/api/v2/instance`, {
        headers: { 'x-forwarded-for': '198.51.100.8' },
      });
      expect(other.status).toBe(401);
    });
  });

  it('uses the socket address when the trusted entry is not an IP address', async () => {
    await withApp({ trustProxy: true, limits: { ipPerMin: 3 } }, async (app) => {
      const statuses: number[] = [];
      for (const forged of ['a', 'b', 'c', 'd', '198.51.100.9:443']) {
        statuses.push(
          (await fetch(`${app.url}/api/v2/instance`, { headers: { 'x-forwarded-for': forged } })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    });
  });

  it('with TRUST_PROXY_HOPS=2 uses the second entry from the right', async () => {
    await withApp({ trustProxy: true, trustProxyHops: 2, limits: { ipPerMin: 2 } }, async (app) => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const res = await fetch(`${app.url}/api/v2/instance`, {
          headers: { 'x-forwarded-for': `${randomIp()}, 203.0.113.5, 10.0.0.2` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 429, 429]);
    });
  });

  it('ignores X-Forwarded-For entirely unless TRUST_PROXY is on', async () => {
    await withApp({ limits: { ipPerMin: 2 } }, async (app) => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push(
          (await fetch(`${app.url}/api/v2/instance`, { headers: { 'x-forwarded-for': randomIp() } })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 429]);
    });
  });
});

describe('shedding an address over its budget (SPEC §4.6)', () => {
  it('answers 429 before any lookup once an address is over its budget, so unknown keys cost no database read', async () => {
    await withApp({ limits: { ipPerMin: 10 } }, async (app) => {
      for (let i = 0; i < 10; i += 1) {
        expect((await app.withKey(unknownKey(), '/api/v2/instance')).status).toBe(401);
      }
      const loadsAtBudget = app.deps.keyCache.stats().loads;
      expect(loadsAtBudget).toBe(10);
      for (let i = 0; i < 50; i += 1) {
        const res = await app.withKey(unknownKey(), '/api/v2/instance');
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).not.toBeNull();
      }
      expect(app.deps.keyCache.stats().loads).toBe(loadsAtBudget);
    });
  });

  it('still serves a key this process has cached from an address that is over its budget', async () => {
    await withApp({ limits: { ipPerMin: 3 } }, async (app) => {
      const inst = await createInstance(app);
      expect((await app.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
      for (let i = 0; i < 5; i += 1) await fetch(`${app.url}/api/v2/instance`);
      expect((await fetch(`${app.url}/api/v2/instance`)).status).toBe(429);
      const res = await app.withKey(inst.apiKey, '/api/v2/instance');
      expect(res.status).toBe(200);
      expect((await envelope<unknown>(res)).metadata.instanceId).toBe(inst.id);
    });
  });
});

describe('failed admin token attempts (SPEC §8)', () => {
  it('never compares the right token sent among 40 concurrent attempts once 15 wrong ones hold the budget', async () => {
    // A limiter whose answers arrive 50 ms late, like a distant Redis: counting after the check
    // would let every one of these requests through its check (and the right one in).
    await withApp(
      {
        limits: { authPer15Min: 15 },
        instrument: (deps) => {
          deps.limiters = delayedLimiters(deps.limiters, 50);
        },
      },
      async (app) => {
        const attempts = Array.from({ length: 40 }, (_, i) =>
          i === 39
            ? app.admin('/admin/instances')
            : fetch(`${app.url}/admin/instances`, {
                headers: { authorization: `Bearer wrong-${i}-0123456789abcdef` },
              }),
        );
        const statuses = (await Promise.all(attempts)).map((r) => r.status);
        expect(statuses.slice(0, 39).filter((s) => s === 401)).toHaveLength(15);
        expect(statuses[39]).toBe(429);
      },
    );
  });
});
