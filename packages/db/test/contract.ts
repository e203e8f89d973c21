// The behaviour every Database backend must show, written once and run against PGlite
// (src/pglite.test.ts) and Postgres (src/postgres.test.ts), so "the same SQL runs in both"
// (DESIGN §7) is checked rather than assumed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checksumOf,
  type Database,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isSerializationFailure,
  isUniqueViolation,
  type Migration,
  MigrationError,
  migrate,
  type Queryable,
  sqlState,
} from '../src/index.js';

/** A database with nothing in it, owned by one test. */
export interface FreshDatabase {
  readonly db: Database;
  /** A second Database over the same data (another pool), or undefined for a single-process backend. */
  openPeer(): Promise<Database | undefined>;
  /** Closes what it opened and removes the data. */
  cleanup(): Promise<void>;
}

export interface ContractTarget {
  readonly kind: Database['kind'];
  fresh(): Promise<FreshDatabase>;
}

/** Settles on the next macrotask turn, so other queued work gets a chance to run first. */
function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

async function countRows(db: Queryable, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? -1;
}

async function tableExists(db: Queryable, table: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
  return rows[0]?.found === true;
}

export function describeDatabaseContract(target: ContractTarget): void {
  describe(`Database contract on ${target.kind}`, () => {
    let shared: FreshDatabase | undefined;
    let db: Database;
    let tableCounter = 0;
    const table = (base: string) => `${base}_${++tableCounter}`;

    beforeAll(async () => {
      shared = await target.fresh();
      db = shared.db;
    });
    afterAll(async () => {
      await shared?.cleanup();
    });

    it('reports its kind', () => {
      expect(db.kind).toBe(target.kind);
    });

    it('runs a parameterised query and returns rows and rowCount', async () => {
      const result = await db.query<{ sum: number; greeting: string }>(
        'SELECT $1::int + $2::int AS sum, $3::text AS greeting',
        [2, 3, 'hello'],
      );
      expect(result).toStrictEqual({ rows: [{ sum: 5, greeting: 'hello' }], rowCount: 1 });
    });

    it('binds hostile text as a value, never as SQL', async () => {
      const hostile = "x'); DROP TABLE pg_class; --";
      await expect(db.query('SELECT $1::text AS v', [hostile])).resolves.toStrictEqual({
        rows: [{ v: hostile }],
        rowCount: 1,
      });
    });

    it('counts affected and returned rows, and 0 for statements without rows', async () => {
      const t = table('counts');
      await expect(db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`)).resolves.toStrictEqual({
        rows: [],
        rowCount: 0,
      });
      await expect(db.query(`INSERT INTO ${t} VALUES (1, 'a'), (2, 'b'), (3, 'c')`)).resolves.toStrictEqual({
        rows: [],
        rowCount: 3,
      });
      await expect(db.query(`UPDATE ${t} SET v = 'z' WHERE id > $1`, [1])).resolves.toStrictEqual({
        rows: [],
        rowCount: 2,
      });
      await expect(db.query(`DELETE FROM ${t} WHERE id = $1 RETURNING id`, [3])).resolves.toStrictEqual({
        rows: [{ id: 3 }],
        rowCount: 1,
      });
      await expect(db.query(`SELECT * FROM ${t} WHERE id = $1`, [99])).resolves.toStrictEqual({
        rows: [],
        rowCount: 0,
      });
    });

    it('rejects two statements in one query without running either', async () => {
      const t = table('stacked');
      await db.query(`CREATE TABLE ${t} (id int)`);
      const error = await rejectionOf(db.query(`INSERT INTO ${t} VALUES (1); INSERT INTO ${t} VALUES (2)`));
      expect(sqlState(error)).toBe('42601');
      expect(await countRows(db, t)).toBe(0);
    });

    it('commits a transaction and returns the callback value', async () => {
      const t = table('commit');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
      const value = await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t} VALUES ($1)`, [1]);
        await tx.query(`INSERT INTO ${t} VALUES ($1)`, [2]);
        return 'done';
      });
      expect(value).toBe('done');
      expect(await countRows(db, t)).toBe(2);
    });

    it('rolls back every write when the callback throws, and rethrows the same error', async () => {
      const t = table('rollback');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
      const boom = new Error('boom');
      const error = await rejectionOf(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${t} VALUES (1)`);
          await tx.query(`INSERT INTO ${t} VALUES (2)`);
          throw boom;
        }),
      );
      expect(error).toBe(boom);
      expect(await countRows(db, t)).toBe(0);
    });

    it('rolls back when a statement fails, with the database error', async () => {
      const t = table('failing_statement');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
      const error = await rejectionOf(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${t} VALUES (1)`);
          await tx.query('SELECT 1 / 0');
        }),
      );
      expect(sqlState(error)).toBe('22012');
      expect(await countRows(db, t)).toBe(0);
    });

    it('keeps helper and parallel work inside one transaction, seeing its own writes', async () => {
      const t = table('ledger');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, amount int NOT NULL)`);
      // Repository-style helpers take a Queryable, so they run on db or inside a transaction.
      const addEntry = (q: Queryable, id: number, amount: number) =>
        q.query(`INSERT INTO ${t} (id, amount) VALUES ($1, $2)`, [id, amount]);
      const total = async (q: Queryable) =>
        (await q.query<{ total: number }>(`SELECT coalesce(sum(amount), 0)::int AS total FROM ${t}`)).rows[0]
          ?.total;

      const undo = new Error('undo');
      const error = await rejectionOf(
        db.transaction(async (tx) => {
          await addEntry(tx, 1, 10);
          await Promise.all([addEntry(tx, 2, 20), addEntry(tx, 3, 30)]);
          expect(await total(tx)).toBe(60);
          throw undo;
        }),
      );
      expect(error).toBe(undo);
      expect(await total(db)).toBe(0);

      await db.transaction(async (tx) => {
        await addEntry(tx, 1, 10);
        await Promise.all([addEntry(tx, 2, 20), addEntry(tx, 3, 30)]);
      });
      expect(await total(db)).toBe(60);
    });

    it('refuses a transaction handle used after its transaction ended', async () => {
      let leaked: Queryable | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked?.query('SELECT 1')).rejects.toThrow(/after its transaction ended/);
    });

    it('does not commit a transaction whose failed statement was caught inside it', async () => {
      const t = table('aborted');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
      const error = await rejectionOf(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${t} VALUES (1)`);
          await tx.query(`INSERT INTO ${t} VALUES (1)`).catch(() => undefined);
          return 'looks fine';
        }),
      );
      expect(sqlState(error)).toBe('25P02');
      expect(await countRows(db, t)).toBe(0);
    });

    it("never runs a plain query inside another caller's open transaction", async () => {
      const t = table('isolation');
      await db.query(`CREATE TABLE ${t} (label text PRIMARY KEY)`);
      let markStarted: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        markStarted = resolve;
      });
      let letFail: () => void = () => {};
      const failNow = new Promise<void>((resolve) => {
        letFail = resolve;
      });

      const doomed = db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t} VALUES ('inside')`);
        markStarted();
        await failNow;
        throw new Error('roll it all back');
      });
      await started;
      // Issued while the transaction is open; it must neither join it nor be rolled back with it.
      const plain = db.query(`INSERT INTO ${t} VALUES ('outside')`);
      for (let i = 0; i < 5; i++) await yieldToOthers();
      letFail();

      await expect(doomed).rejects.toThrow('roll it all back');
      await expect(plain).resolves.toMatchObject({ rowCount: 1 });
      const { rows } = await db.query<{ label: string }>(`SELECT label FROM ${t} ORDER BY label`);
      expect(rows).toStrictEqual([{ label: 'outside' }]);
    });

    it('gives a correct counter under 50 concurrent SELECT … FOR UPDATE increments', async () => {
      const t = table('counter');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, n int NOT NULL)`);
      await db.query(`INSERT INTO ${t} VALUES (1, 0)`);
      await Promise.all(
        Array.from({ length: 50 }, () =>
          db.transaction(async (tx) => {
            const { rows } = await tx.query<{ n: number }>(`SELECT n FROM ${t} WHERE id = 1 FOR UPDATE`);
            // Widen the read-then-write window: without the row lock, increments would be lost.
            await yieldToOthers();
            await tx.query(`UPDATE ${t} SET n = $1 WHERE id = 1`, [(rows[0]?.n ?? 0) + 1]);
          }),
        ),
      );
      const { rows } = await db.query<{ n: number }>(`SELECT n FROM ${t} WHERE id = 1`);
      expect(rows).toStrictEqual([{ n: 50 }]);
    });

    it('lets exactly one of 20 concurrent conditional UPDATE … RETURNING claims win', async () => {
      const t = table('claims');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, claimed_by text)`);
      await db.query(`INSERT INTO ${t} VALUES (1, NULL)`);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.query<{ claimed_by: string }>(
            `UPDATE ${t} SET claimed_by = $1 WHERE id = 1 AND claimed_by IS NULL RETURNING claimed_by`,
            [`worker-${i}`],
          ),
        ),
      );
      const winners = results.filter((result) => result.rowCount === 1);
      expect(winners).toHaveLength(1);
      const winner = winners[0]?.rows[0]?.claimed_by;
      const { rows } = await db.query<{ claimed_by: string }>(`SELECT claimed_by FROM ${t} WHERE id = 1`);
      expect(rows).toStrictEqual([{ claimed_by: winner }]);
    });

    it('recognises a unique violation by SQLSTATE and constraint name, inside and outside transactions', async () => {
      const t = table('uniq');
      await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, email text CONSTRAINT ${t}_email_key UNIQUE)`);
      await db.query(`INSERT INTO ${t} VALUES (1, 'a@example.com')`);

      const error = await rejectionOf(db.query(`INSERT INTO ${t} VALUES (2, $1)`, ['a@example.com']));
      expect(sqlState(error)).toBe('23505');
      expect(isUniqueViolation(error)).toBe(true);
      expect(isUniqueViolation(error, `${t}_email_key`)).toBe(true);
      expect(isUniqueViolation(error, `${t}_pkey`)).toBe(false);
      expect(isDatabaseUnavailable(error)).toBe(false);
      expect(isSerializationFailure(error)).toBe(false);

      const inTx = await rejectionOf(
        db.transaction((tx) => tx.query(`INSERT INTO ${t} VALUES (1, 'b@example.com')`)),
      );
      expect(isUniqueViolation(inTx, `${t}_pkey`)).toBe(true);
    });

    it('returns the same JS values for every mapped column type', async () => {
      const { rows } = await db.query(`SELECT
          9007199254740993::int8 AS big,
          '12345678901234567890.123456789'::numeric AS num,
          ARRAY[1, 9007199254740993]::int8[] AS bigs,
          ARRAY['1.10', '2.5']::numeric[] AS nums,
          42::int4 AS int, 7::int2 AS small, 1.5::float8 AS float, true AS flag, 'x'::text AS txt,
          '2026-01-02 03:04:05.678+00'::timestamptz AS tstz,
          '2026-01-02 03:04:05.678'::timestamp AS ts,
          '2026-01-02'::date AS day,
          ARRAY['2026-01-02'::date, NULL] AS days,
          ARRAY['2026-01-02 03:04:05.678+00'::timestamptz] AS tstzs,
          ARRAY['2026-01-02 03:04:05'::timestamp] AS tss,
          '1 day 02:00:00'::interval AS span,
          '\\x00ff10'::bytea AS bytes,
          '{"a": 1, "b": [true, null], "c": "é"}'::jsonb AS doc,
          '[1, 2]'::json AS list,
          '00000000-0000-4000-8000-000000000000'::uuid AS id,
          NULL::text AS nothing,
          ARRAY['a', NULL]::text[] AS texts,
          ARRAY[1, 2]::int[] AS ints`);
      expect(rows).toStrictEqual([
        {
          big: '9007199254740993',
          num: '12345678901234567890.123456789',
          bigs: ['1', '9007199254740993'],
          nums: ['1.10', '2.5'],
          int: 42,
          small: 7,
          float: 1.5,
          flag: true,
          txt: 'x',
          tstz: new Date('2026-01-02T03:04:05.678Z'),
          ts: new Date('2026-01-02T03:04:05.678Z'),
          day: '2026-01-02',
          days: ['2026-01-02', null],
          tstzs: [new Date('2026-01-02T03:04:05.678Z')],
          tss: [new Date('2026-01-02T03:04:05.000Z')],
          span: '1 day 02:00:00',
          bytes: Buffer.from([0x00, 0xff, 0x10]),
          doc: { a: 1, b: [true, null], c: 'é' },
          list: [1, 2],
          id: '00000000-0000-4000-8000-000000000000',
          nothing: null,
          texts: ['a', null],
          ints: [1, 2],
        },
      ]);
    });

    it('round-trips parameters of every mapped type', async () => {
      const at = new Date('2026-03-04T05:06:07.089Z');
      const { rows } = await db.query(
        `SELECT $1::timestamptz AS at, $2::timestamp AS wall, $3::int8 AS big, $4::bytea AS bytes,
                $5::jsonb AS doc, $6::boolean AS flag, $7::text AS nothing, $8::date AS day,
                $9::int[] AS ints, $10::numeric AS num`,
        [
          at,
          at,
          9007199254740993n,
          Buffer.from([1, 2, 3]),
          JSON.stringify({ k: 'v' }),
          false,
          null,
          '2026-03-04',
          [1, 2, 3],
          '0.1',
        ],
      );
      expect(rows).toStrictEqual([
        {
          at,
          wall: at,
          big: '9007199254740993',
          bytes: Buffer.from([1, 2, 3]),
          doc: { k: 'v' },
          flag: false,
          nothing: null,
          day: '2026-03-04',
          ints: [1, 2, 3],
          num: '0.1',
        },
      ]);
    });

    it('runs every session in UTC', async () => {
      await expect(
        db.query(
          "SELECT current_setting('TimeZone') AS tz, '2026-01-02 00:30:00+00'::timestamptz::date AS day",
        ),
      ).resolves.toStrictEqual({ rows: [{ tz: 'UTC', day: '2026-01-02' }], rowCount: 1 });
    });

    describe('migrate', () => {
      const items: Migration = {
        id: 1,
        name: 'create_items',
        sql: 'CREATE TABLE items (id int PRIMARY KEY);\nCREATE INDEX items_id_idx ON items (id);\n',
      };
      const names: Migration = {
        id: 2,
        name: 'add_name',
        sql: "ALTER TABLE items ADD COLUMN name text NOT NULL DEFAULT ''",
      };
      const tags: Migration = { id: 3, name: 'create_tags', sql: 'CREATE TABLE tags (id int PRIMARY KEY)' };
      const record = (migration: Migration) => ({
        id: migration.id,
        name: migration.name,
        checksum: checksumOf(migration.sql),
      });

      let fresh: FreshDatabase | undefined;
      const open = async () => {
        fresh = await target.fresh();
        return fresh.db;
      };
      afterEach(async () => {
        await fresh?.cleanup();
        fresh = undefined;
      });

      it('applies numbered migrations in order, once, and records them', async () => {
        const mdb = await open();
        await expect(migrate(mdb, { migrations: [names, items] })).resolves.toStrictEqual([
          record(items),
          record(names),
        ]);
        await expect(migrate(mdb, { migrations: [items, names] })).resolves.toStrictEqual([]);
        await expect(migrate(mdb, { migrations: [items, names, tags] })).resolves.toStrictEqual([
          record(tags),
        ]);

        const { rows } = await mdb.query<{ id: number; name: string; checksum: string; applied_at: Date }>(
          'SELECT id, name, checksum, applied_at FROM schema_migrations ORDER BY id',
        );
        expect(rows.map(({ id, name, checksum }) => ({ id, name, checksum }))).toStrictEqual([
          record(items),
          record(names),
          record(tags),
        ]);
        for (const row of rows) expect(row.applied_at).toBeInstanceOf(Date);
        await expect(mdb.query("INSERT INTO items (id, name) VALUES (1, 'one')")).resolves.toMatchObject({
          rowCount: 1,
        });
      });

      it('refuses an applied migration whose SQL changed, and applies nothing', async () => {
        const mdb = await open();
        await migrate(mdb, { migrations: [items] });
        const edited = { ...items, sql: `${items.sql}CREATE TABLE sneaky (id int);\n` };
        const error = await rejectionOf(migrate(mdb, { migrations: [edited, names] }));
        expect(error).toBeInstanceOf(MigrationError);
        expect(error).toMatchObject({ code: 'checksum_mismatch' });
        expect((error as Error).message).toMatch(/0001_create_items was changed after it was applied/);
        expect(await tableExists(mdb, 'sneaky')).toBe(false);
        expect(await countRows(mdb, 'schema_migrations')).toBe(1);
        const { rows } = await mdb.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'name'",
        );
        expect(rows).toStrictEqual([{ n: 0 }]);
      });

      it('refuses a database that has migrations the code does not know', async () => {
        const mdb = await open();
        await migrate(mdb, { migrations: [items, names] });
        await expect(migrate(mdb, { migrations: [items] })).rejects.toMatchObject({
          code: 'unknown_applied',
        });
      });

      it('rolls back a failing migration together with its record, keeping earlier ones', async () => {
        const mdb = await open();
        const broken: Migration = {
          id: 2,
          name: 'broken',
          sql: 'CREATE TABLE half_done (id int);\nSELECT 1 / 0;',
        };
        const error = await rejectionOf(migrate(mdb, { migrations: [items, broken] }));
        expect(sqlState(error)).toBe('22012');
        expect(await tableExists(mdb, 'items')).toBe(true);
        expect(await tableExists(mdb, 'half_done')).toBe(false);
        const { rows } = await mdb.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
        expect(rows).toStrictEqual([{ id: 1 }]);

        const fixed: Migration = { id: 2, name: 'broken', sql: 'CREATE TABLE half_done (id int)' };
        await expect(migrate(mdb, { migrations: [items, fixed] })).resolves.toStrictEqual([record(fixed)]);
      });

      it('applies each migration exactly once when two migrate calls race', async () => {
        const mdb = await open();
        const peer = (await fresh?.openPeer()) ?? mdb;
        // Plain CREATE TABLE fails if run twice, so a double application cannot go unnoticed.
        const many: Migration[] = Array.from({ length: 6 }, (_, i) => ({
          id: i + 1,
          name: `create_t${i + 1}`,
          sql: `CREATE TABLE race_${i + 1} (id int PRIMARY KEY)`,
        }));
        const [first, second] = await Promise.all([
          migrate(mdb, { migrations: many }),
          migrate(peer, { migrations: many }),
        ]);
        const ids = [...first, ...second].map((applied) => applied.id).sort((a, b) => a - b);
        expect(ids).toStrictEqual([1, 2, 3, 4, 5, 6]);
        expect(await countRows(mdb, 'schema_migrations')).toBe(6);
      });

      it('reads NNNN_name.sql files from a directory, ignoring other files', async () => {
        const mdb = await open();
        const dir = await mkdtemp(join(tmpdir(), 'portcullis-migrations-'));
        try {
          await writeFile(join(dir, '0001_create_items.sql'), items.sql);
          await writeFile(join(dir, '0002_add_name.sql'), names.sql);
          await writeFile(join(dir, 'README.md'), '# not a migration');
          await expect(migrate(mdb, { directory: dir })).resolves.toStrictEqual([
            record(items),
            record(names),
          ]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    });

    describe('close', () => {
      it('rejects queries and transactions after close(), as unavailable, and closes idempotently', async () => {
        const closing = await target.fresh();
        try {
          await closing.db.query('SELECT 1');
          await closing.db.close();
          const error = await rejectionOf(closing.db.query('SELECT 1'));
          expect(error).toBeInstanceOf(DatabaseUnavailableError);
          expect(isDatabaseUnavailable(error)).toBe(true);
          await expect(closing.db.transaction(async () => 'never')).rejects.toBeInstanceOf(
            DatabaseUnavailableError,
          );
          await expect(closing.db.close()).resolves.toBeUndefined();
        } finally {
          await closing.cleanup();
        }
      });

      it('lets work already started finish before closing', async () => {
        const closing = await target.fresh();
        try {
          const t = table('inflight');
          await closing.db.query(`CREATE TABLE ${t} (id int)`);
          const inflight = closing.db.transaction(async (tx) => {
            await yieldToOthers();
            await tx.query(`INSERT INTO ${t} VALUES (1)`);
            return 'finished';
          });
          const closed = closing.db.close();
          await expect(inflight).resolves.toBe('finished');
          await closed;
        } finally {
          await closing.cleanup();
        }
      });
    });
  });
}
