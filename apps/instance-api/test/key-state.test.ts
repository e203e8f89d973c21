// SPEC §4.4 key states: the status a key has at request time, in TypeScript (auth path, key list)
// and in SQL (instance statistics), which must never disagree.
import type { Database } from '@portcullis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveStatus, type KeyStatus, mayManageKeys } from '../src/domain.js';
import { effectiveStatusSql } from '../src/store/api-keys.js';
import { pgliteDatabase } from './harness.js';

let db: Database;
beforeAll(async () => {
  db = await pgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

const STATUSES: KeyStatus[] = ['ACTIVE', 'PAUSED', 'PENDING_ROTATION', 'EXPIRED', 'REVOKED'];
const NOW = Date.UTC(2026, 5, 1);

describe('effectiveStatus', () => {
  const rotatedWhilePaused = {
    status: 'PENDING_ROTATION',
    pausedUntilMs: NOW + 600_000,
    expiresAtMs: NOW + 3_600_000,
  } as const;

  it('keeps a key rotated while paused PAUSED until pausedUntil', () => {
    expect(effectiveStatus(rotatedWhilePaused, NOW)).toBe('PAUSED');
    expect(effectiveStatus(rotatedWhilePaused, NOW + 599_999)).toBe('PAUSED');
  });

  it('makes it PENDING_ROTATION from pausedUntil to its overlap end, then EXPIRED', () => {
    expect(effectiveStatus(rotatedWhilePaused, NOW + 600_000)).toBe('PENDING_ROTATION');
    expect(effectiveStatus(rotatedWhilePaused, NOW + 3_599_999)).toBe('PENDING_ROTATION');
    expect(effectiveStatus(rotatedWhilePaused, NOW + 3_600_000)).toBe('EXPIRED');
  });

  it('makes it EXPIRED at the overlap end even when the pause lasts longer', () => {
    const longPause = { ...rotatedWhilePaused, pausedUntilMs: NOW + 7_200_000 };
    expect(effectiveStatus(longPause, NOW + 3_599_999)).toBe('PAUSED');
    expect(effectiveStatus(longPause, NOW + 3_600_000)).toBe('EXPIRED');
  });
});

describe('mayManageKeys', () => {
  it('lets only an ACTIVE key change keys', () => {
    expect(STATUSES.filter(mayManageKeys)).toEqual(['ACTIVE']);
  });
});

describe('effectiveStatusSql', () => {
  it('gives the status effectiveStatus gives, for every stored state around the times that matter', async () => {
    // Each time before, at and after `now` (and absent): every boundary of every CASE branch.
    const times = [null, NOW - 1000, NOW - 1, NOW, NOW + 1, NOW + 1000];
    for (const status of STATUSES) {
      for (const pausedUntilMs of times) {
        for (const expiresAtMs of times) {
          const { rows } = await db.query<{ status: KeyStatus }>(
            `SELECT ${effectiveStatusSql('k', '$4')} AS status
               FROM (SELECT $1::text AS status, $2::timestamptz AS paused_until, $3::timestamptz AS expires_at) k`,
            [
              status,
              pausedUntilMs === null ? null : new Date(pausedUntilMs),
              expiresAtMs === null ? null : new Date(expiresAtMs),
              new Date(NOW),
            ],
          );
          const expected = effectiveStatus({ status, pausedUntilMs, expiresAtMs }, NOW);
          expect(rows[0]?.status, `${status} ${pausedUntilMs} ${expiresAtMs}`).toBe(expected);
        }
      }
    }
  });
});
