// SPEC §8: failed-attempt limits count an attempt before its secret is checked, so N concurrent
// guesses on several processes sharing Redis get at most the limit's number of checks.
import { createDatabase, type Database, migrate } from '@portcullis/db';
import {
  firstMatching,
  type SharedBackends,
  sharedBackendsAvailability,
  startSharedBackends,
} from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, type RunningApp, startApp } from './harness.js';

const available = sharedBackendsAvailability();
if (!available.ok) console.warn(`skipping the cluster limits suite: ${available.reason}`);

describe.runIf(available.ok)('failed-attempt limits on two processes sharing Redis', () => {
  let backends: SharedBackends<Database>;
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    if (!available.ok) return;
    backends = await startSharedBackends(available, {
      open: (url) => createDatabase({ url, poolMax: 10 }),
      prepare: (db) => migrate(db, { directory: MIGRATIONS }),
    });
    const [dbA, dbB] = backends.databases;
    const options = { redisUrl: backends.redis.url, limits: { authPer15Min: 15 }, redisPrefix: 'pc:guesses' };
    a = await startApp({ db: dbA, ...options });
    b = await startApp({ db: dbB, ...options });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await backends?.close();
  });

  it('gives 40 concurrent wrong admin tokens at most 15 checks, and refuses the right one while the window is spent', async () => {
    const wrong = Array.from({ length: 39 }, (_, i) =>
      fetch(`${(i % 2 === 0 ? a : b).url}/admin/instances`, {
        headers: { authorization: `Bearer wrong-token-${i}-0123456789abcdef` },
      }),
    );
    // "Last": sent once a refusal shows the budget is spent, while other attempts may be in flight.
    await firstMatching(wrong, (r) => r.status === 429);
    const right = await b.admin('/admin/instances');
    const statuses = (await Promise.all(wrong)).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(15);
    expect(statuses.filter((s) => s === 429)).toHaveLength(24);
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).not.toBeNull();
  });
});
