// The SQL outbox against real databases: embedded PGlite always, and the Postgres at DATABASE_URL
// (a fresh schema for this file) for what only separate connections can show — two relays at once.
import { createDatabase, type Database } from '@portcullis/db';
import { createPostgresSchema, type PostgresSchema, postgresAvailability } from '@portcullis/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqlOutbox } from './outbox.js';

const OUTBOX_TABLE = `CREATE TABLE IF NOT EXISTS key_cache_outbox (
  id          bigserial PRIMARY KEY,
  cache_id    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
)`;

async function record(db: Database, ids: readonly string[]): Promise<void> {
  await db.query('INSERT INTO key_cache_outbox (cache_id) SELECT unnest($1::text[])', [ids]);
}

async function remaining(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ cache_id: string }>('SELECT cache_id FROM key_cache_outbox ORDER BY id');
  return rows.map((row) => row.cache_id);
}

const postgres = postgresAvailability();
if (!postgres.ok) console.warn(`skipping the outbox Postgres suite: ${postgres.reason}`);

describe('SQL outbox on PGlite', () => {
  let db: Database;

  beforeAll(async () => {
    db = await createDatabase({ dataDir: 'memory://' });
    await db.query(OUTBOX_TABLE);
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.query('DELETE FROM key_cache_outbox');
  });

  it('publishes the distinct ids of the recorded rows and then removes the rows', async () => {
    await record(db, ['d1', 'd2', 'd1']);
    const published: string[][] = [];
    const taken = await createSqlOutbox(db).relay(10, async (ids) => {
      published.push([...ids]);
    });
    expect(taken).toBe(3);
    expect(published).toEqual([['d1', 'd2']]);
    expect(await remaining(db)).toEqual([]);
  });

  it('keeps the rows when publishing fails, and passes the failure on', async () => {
    await record(db, ['d1']);
    const failure = new Error('redis unreachable');
    await expect(
      createSqlOutbox(db).relay(10, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await remaining(db)).toEqual(['d1']);
  });

  it('takes at most limit rows per call, oldest first', async () => {
    await record(db, ['d1', 'd2', 'd3']);
    const published: string[] = [];
    const outbox = createSqlOutbox(db);
    expect(await outbox.relay(2, async (ids) => void published.push(...ids))).toBe(2);
    expect(published).toEqual(['d1', 'd2']);
    expect(await remaining(db)).toEqual(['d3']);
    expect(await outbox.relay(2, async (ids) => void published.push(...ids))).toBe(1);
    expect(await outbox.relay(2, async (ids) => void published.push(...ids))).toBe(0);
    expect(published).toEqual(['d1', 'd2', 'd3']);
  });

  it('takes only the rows of the given ids when asked to', async () => {
    await record(db, ['d1', 'd2', 'd1', 'd3']);
    const published: string[][] = [];
    const taken = await createSqlOutbox(db).relay(
      10,
      async (ids) => {
        published.push([...ids]);
      },
      ['d1', 'd3'],
    );
    expect(taken).toBe(3);
    expect(published).toEqual([['d1', 'd3']]);
    expect(await remaining(db)).toEqual(['d2']);
  });

  it('calls publish only when there is something to publish', async () => {
    let calls = 0;
    const taken = await createSqlOutbox(db).relay(10, async () => {
      calls += 1;
    });
    expect(taken).toBe(0);
    expect(calls).toBe(0);
  });

  it('tells whether rows up to a position are still waiting, ignoring newer ones', async () => {
    const outbox = createSqlOutbox(db);
    expect(await outbox.newest()).toBeNull();
    await record(db, ['d1']);
    const mark = await outbox.newest();
    expect(mark).toMatch(/^\d+$/);
    expect(await outbox.pendingThrough(mark as string)).toBe(true);
    await outbox.relay(10, async () => undefined);
    await record(db, ['d2']); // recorded after the mark
    expect(await outbox.pendingThrough(mark as string)).toBe(false);
  });

  it('refuses a table name that is not a plain identifier, and a limit below 1', async () => {
    expect(() => createSqlOutbox(db, { table: 'outbox; DROP TABLE x' })).toThrow(TypeError);
    expect(() => createSqlOutbox(db, { table: 'Outbox' })).toThrow(TypeError);
    expect(() => createSqlOutbox(db, { table: 'app.key_cache_outbox' })).not.toThrow();
    await expect(createSqlOutbox(db).relay(0, async () => undefined)).rejects.toThrow(TypeError);
  });
});

describe.runIf(postgres.ok)('SQL outbox on Postgres with several processes', () => {
  let schema: PostgresSchema;
  const handles: Database[] = [];

  beforeAll(async () => {
    if (!postgres.ok) return;
    schema = await createPostgresSchema(postgres.url, { prefix: 'kc_outbox' });
    for (let i = 0; i < 3; i += 1) handles.push(await createDatabase({ url: schema.url, poolMax: 4 }));
    await handles[0]?.query(OUTBOX_TABLE);
  });
  afterAll(async () => {
    await Promise.all(handles.map((db) => db.close()));
    await schema?.drop();
  });
  beforeEach(async () => {
    await handles[0]?.query('DELETE FROM key_cache_outbox');
  });

  const handle = (index: number): Database => {
    const db = handles[index];
    if (!db) throw new Error(`no database handle ${index}`);
    return db;
  };

  it('never gives one row to two relays running at the same time', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `d${i}`);
    await record(handle(0), ids);
    const published: string[] = [];
    const relayUntilEmpty = async (db: Database) => {
      const outbox = createSqlOutbox(db);
      for (;;) {
        const taken = await outbox.relay(7, async (batch) => {
          // Yield while the rows are claimed, so the other relays really run meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 2));
          published.push(...batch);
        });
        if (taken === 0) return;
      }
    };
    await Promise.all([0, 1, 2, 0, 1, 2].map((i) => relayUntilEmpty(handle(i))));
    expect(published).toHaveLength(ids.length);
    expect(new Set(published)).toEqual(new Set(ids));
    expect(await remaining(handle(0))).toEqual([]);
  });

  it('counts a row that another process is publishing right now as still waiting', async () => {
    await record(handle(0), ['d1']);
    const other = createSqlOutbox(handle(1));
    const mark = await other.newest();
    let release: () => void = () => undefined;
    let claimed: () => void = () => undefined;
    const isClaimed = new Promise<void>((resolve) => {
      claimed = resolve;
    });
    const inFlight = createSqlOutbox(handle(0)).relay(10, async () => {
      claimed();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await isClaimed;
    expect(await other.pendingThrough(mark as string)).toBe(true);
    expect(await other.relay(10, async () => undefined)).toBe(0); // locked: skipped, not waited for
    release();
    expect(await inFlight).toBe(1);
    expect(await other.pendingThrough(mark as string)).toBe(false);
  });
});
