// Register data behind a MiCA key: authentication and the per-key limits (60 per minute, 5 000
// per day, the day resetting at 00:00 UTC), over HTTP.
import type { Database } from '@portcullis/db';
import { generateInstanceKey, generateMicaKey } from '@portcullis/key-format';
import { createFakeClock } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, type ErrorBody, pgliteDatabase, type RunningApp, register, startApp } from './harness.js';

const clock = createFakeClock(Date.UTC(2026, 5, 1, 23, 59, 0));
let db: Database;
let app: RunningApp;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db, now: clock.now });
});
afterAll(async () => {
  await app.close();
  await db.close();
});

const DATA = '/api/mica/v1/health';
const withKey = (key: string, path = DATA) => app.request(path, { headers: { 'x-api-key': key } });
async function expectError(res: Response, status: number, code: string): Promise<ErrorBody> {
  const parsed = await body<ErrorBody>(res);
  expect(res.status).toBe(status);
  expect(parsed).toMatchObject({ success: false, data: null, error: { code } });
  return parsed;
}

describe('register API authentication (SPEC §5.1)', () => {
  it('answers 401 UNAUTHORIZED for no key and for a key without the trusset_mica_ prefix', async () => {
    await expectError(await app.request(DATA), 401, 'UNAUTHORIZED');
    await expectError(await withKey(generateInstanceKey('abcd1234')), 401, 'UNAUTHORIZED');
    await expectError(await withKey('sk_live_123'), 401, 'UNAUTHORIZED');
  });

  it('answers 401 INVALID_KEY for a malformed or unknown key with the prefix', async () => {
    await expectError(await withKey('trusset_mica_xyz'), 401, 'INVALID_KEY');
    await expectError(await withKey(generateMicaKey()), 401, 'INVALID_KEY');
  });

  it('answers 500 AUTH_ERROR when the database is unreachable for an uncached key', async () => {
    const lonelyDb = await pgliteDatabase();
    const lonely = await startApp({ db: lonelyDb });
    await lonelyDb.close();
    const res = await lonely.request(DATA, { headers: { 'x-api-key': generateMicaKey() } });
    await expectError(res, 500, 'AUTH_ERROR');
    await lonely.close();
  });
});

describe('per-key limits (SPEC §5.1)', () => {
  it('answers the 61st request in a minute with 429, Retry-After and the four headers', async () => {
    const limited = await startApp({ db, now: clock.now, limits: { perMinute: 60, perDay: 5000 } });
    try {
      clock.set(Date.UTC(2026, 5, 2, 10, 0, 0));
      const dev = await register(limited);
      const call = () => limited.request(DATA, { headers: { 'x-api-key': dev.apiKey } });
      let last: Response | undefined;
      for (let i = 0; i < 60; i += 1) {
        last = await call();
        expect(last.status).toBe(200);
      }
      expect(last?.headers.get('x-ratelimit-limit-minute')).toBe('60');
      expect(last?.headers.get('x-ratelimit-remaining-minute')).toBe('0');
      expect(last?.headers.get('x-ratelimit-limit-day')).toBe('5000');
      expect(last?.headers.get('x-ratelimit-remaining-day')).toBe('4940');
      const refused = await call();
      const parsed = await expectError(refused, 429, 'RATE_LIMIT_EXCEEDED');
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(parsed.metadata.retryAfter).toBe(60);
      expect(refused.headers.get('x-ratelimit-remaining-minute')).toBe('0');
      expect(refused.headers.get('x-ratelimit-remaining-day')).toBe('4940');
      clock.advance(60_000);
      expect((await call()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('resets the day counter at 00:00 UTC', async () => {
    const limited = await startApp({ db, now: clock.now, limits: { perMinute: 1000, perDay: 3 } });
    try {
      clock.set(Date.UTC(2026, 5, 3, 23, 59, 30));
      const dev = await register(limited);
      const call = () => limited.request(DATA, { headers: { 'x-api-key': dev.apiKey } });
      for (let i = 0; i < 3; i += 1) expect((await call()).status).toBe(200);
      const refused = await call();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('30');
      clock.set(Date.UTC(2026, 5, 4, 0, 0, 0));
      const next = await call();
      expect(next.status).toBe(200);
      expect(next.headers.get('x-ratelimit-remaining-day')).toBe('2');
    } finally {
      await limited.close();
    }
  });
});
