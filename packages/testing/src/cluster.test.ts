// describeTwoProcesses: both apps started on their own handles of one schema and one Redis, and
// everything closed after the suite, apps first.
import { afterAll, expect, it } from 'vitest';
import { describeSharedBackends, describeTwoProcesses } from './cluster.js';
import { postgresAvailability } from './postgres.js';

interface FakeDb {
  url: string;
  prepared: boolean;
  close(): Promise<void>;
}
const events: string[] = [];

describeTwoProcesses(
  'a two-process cluster',
  {
    open: async (url): Promise<FakeDb> => ({
      url,
      prepared: false,
      close: async () => void events.push('db closed'),
    }),
    prepare: async (db) => {
      db.prepared = true;
    },
    start: async (db: FakeDb, redisUrl: string) => {
      events.push(
        `started on ${db.prepared ? 'a prepared' : 'an unprepared'} db with ${redisUrl.split(':')[0]}`,
      );
      return { db, redisUrl, close: async () => void events.push('app closed') };
    },
  },
  (cluster) => {
    it('starts each process on its own handle of one schema, with one shared Redis', () => {
      expect(cluster.a.db).toBe(cluster.dbA);
      expect(cluster.b.db).toBe(cluster.dbB);
      expect(cluster.dbA).not.toBe(cluster.dbB);
      expect(cluster.dbA.url).toBe(cluster.dbB.url);
      expect(cluster.dbA.url).toContain(cluster.backends.schema.schema);
      expect(cluster.a.redisUrl).toBe(cluster.backends.redis.url);
      expect(events).toEqual(['started on a prepared db with redis', 'started on a prepared db with redis']);
    });
  },
);

afterAll(() => {
  // The cluster's own afterAll ran first (inner hooks before outer ones): apps, then databases.
  if (postgresAvailability().ok) {
    expect(events.slice(2)).toEqual(['app closed', 'app closed', 'db closed', 'db closed']);
  }
});

const closedAfterTest: string[] = [];
describeSharedBackends(
  'shared back ends alone',
  { open: async (url) => ({ url, close: async () => undefined }) },
  (shared) => {
    it('hands out one schema on two handles and closes what a test registered after it', () => {
      expect(shared.dbA.url).toBe(shared.dbB.url);
      shared.closeAfterTest({ close: async () => void closedAfterTest.push('closed') });
      expect(closedAfterTest).toEqual([]);
    });
    it('has closed the previous test’s app', () => {
      expect(closedAfterTest).toEqual(['closed']);
    });
  },
);
