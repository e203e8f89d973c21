// The Postgres store on embedded PGlite (always) and on the Postgres at DATABASE_URL (required
// under CI), each in a fresh schema/database with the exported table SQL applied as a migration.
import { createDatabase, type Database, migrate } from '@portcullis/db';
import {
  createFakeClock,
  createPostgresSchema,
  type PostgresSchema,
  postgresAvailability,
} from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestKey, makeProof } from '../test/proofs.js';
import {
  createPostgresReplayStore,
  DPOP_REPLAY_TABLE_SQL,
  dpopReplayTableSql,
} from './postgres-replay-store.js';
import { DpopInfrastructureError, verifyDpopProof } from './verify.js';

const URL = 'https://issuer.example/v1/token';
const postgres = postgresAvailability();
if (!postgres.ok) console.warn(`skipping DPoP Postgres replay suite: ${postgres.reason}`);

const backends: Array<[string, () => Promise<{ db: Database; cleanup: () => Promise<void> }>]> = [
  [
    'PGlite',
    async () => {
      const db = await createDatabase({ dataDir: 'memory://' });
      return { db, cleanup: () => db.close() };
    },
  ],
];
if (postgres.ok) {
  const url = postgres.url;
  backends.push([
    'Postgres',
    async () => {
      const schema: PostgresSchema = await createPostgresSchema(url, { prefix: 'dpop' });
      const db = await createDatabase({ url: schema.url });
      return {
        db,
        cleanup: async () => {
          await db.close();
          await schema.drop();
        },
      };
    },
  ]);
}

describe.each(backends)('createPostgresReplayStore on %s', (_name, open) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ db, cleanup } = await open());
    await migrate(db, {
      migrations: [
        { id: 1, name: 'dpop_replay', sql: DPOP_REPLAY_TABLE_SQL },
        { id: 2, name: 'dpop_replay_custom', sql: dpopReplayTableSql('dpop_replay_custom') },
      ],
    });
  });
  afterAll(async () => {
    await cleanup?.();
  });

  let seq = 0;
  const fresh = () => `jkt-${++seq}`;

  it('answers true once and false for a replay', async () => {
    const store = createPostgresReplayStore({ db });
    const jkt = fresh();
    expect(await store.remember(jkt, 'jti', 60_000)).toBe(true);
    expect(await store.remember(jkt, 'jti', 60_000)).toBe(false);
    expect(await store.remember(jkt, 'other', 60_000)).toBe(true);
  });

  it('takes over the row of an expired jti', async () => {
    const clock = createFakeClock();
    const store = createPostgresReplayStore({ db, now: clock.now });
    const jkt = fresh();
    expect(await store.remember(jkt, 'jti', 1_000)).toBe(true);
    clock.advance(999);
    expect(await store.remember(jkt, 'jti', 1_000)).toBe(false);
    clock.advance(1);
    expect(await store.remember(jkt, 'jti', 1_000)).toBe(true);
    expect(await store.remember(jkt, 'jti', 1_000)).toBe(false);
  });

  it('stores any jti, NUL and non-ASCII included, as a fixed-size digest', async () => {
    const store = createPostgresReplayStore({ db });
    const jkt = fresh();
    expect(await store.remember(jkt, 'a\u0000b\u{1F600}', 60_000)).toBe(true);
    const { rows } = await db.query<{ jti_hash: string }>('SELECT jti_hash FROM dpop_replay WHERE jkt = $1', [
      jkt,
    ]);
    expect(rows).toEqual([{ jti_hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }]);
  });

  it('lets exactly one of many concurrent remembers of one jti win', async () => {
    const store = createPostgresReplayStore({ db });
    const jkt = fresh();
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.remember(jkt, 'race', 60_000)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('catches a replay across two verifier processes sharing the database', async () => {
    const clock = createFakeClock();
    const key = generateTestKey('ES256');
    const proof = makeProof(key, { htm: 'POST', htu: URL, iat: clock.now() / 1000 });
    const options = { proof, method: 'POST', url: URL, now: clock.now };
    const first = await verifyDpopProof({
      ...options,
      replay: createPostgresReplayStore({ db, now: clock.now }),
    });
    const second = await verifyDpopProof({
      ...options,
      replay: createPostgresReplayStore({ db, now: clock.now }),
    });
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({ ok: false, rule: 'replay' });
  });

  it('deletes expired rows only, in bounded batches', async () => {
    const clock = createFakeClock();
    const store = createPostgresReplayStore({
      db,
      table: 'dpop_replay_custom',
      now: clock.now,
      cleanupBatchSize: 2,
    });
    const jkt = fresh();
    for (const jti of ['a', 'b', 'c']) await store.remember(jkt, jti, 1_000);
    await store.remember(jkt, 'live', 60_000);
    clock.advance(1_000);
    expect(await store.deleteExpired()).toBe(2);
    expect(await store.deleteExpired()).toBe(1);
    expect(await store.deleteExpired()).toBe(0);
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM dpop_replay_custom WHERE jkt = $1',
      [jkt],
    );
    expect(rows[0]?.n).toBe('1');
  });

  it('cleans up expired rows in the background after cleanupIntervalMs', async () => {
    const clock = createFakeClock();
    const errors: unknown[] = [];
    const store = createPostgresReplayStore({
      db,
      table: 'dpop_replay_custom',
      now: clock.now,
      cleanupIntervalMs: 60_000,
      onCleanupError: (error) => errors.push(error),
    });
    const jkt = fresh();
    await store.remember(jkt, 'old', 1_000);
    clock.advance(60_000);
    await store.remember(jkt, 'new', 1_000);
    const count = async () =>
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM dpop_replay_custom WHERE jkt = $1', [jkt]))
        .rows[0]?.n;
    await expect.poll(count, { timeout: 5_000, interval: 20 }).toBe('1');
    expect(errors).toEqual([]);
  });

  it('fails the verifier closed when the table is missing (a database error)', async () => {
    const clock = createFakeClock();
    const key = generateTestKey('EdDSA');
    const proof = makeProof(key, { htm: 'POST', htu: URL, iat: clock.now() / 1000 });
    const replay = createPostgresReplayStore({ db, table: 'no_such_table', now: clock.now });
    await expect(
      verifyDpopProof({ proof, method: 'POST', url: URL, now: clock.now, replay }),
    ).rejects.toBeInstanceOf(DpopInfrastructureError);
  });
});

describe('dpopReplayTableSql', () => {
  it('accepts plain and schema-qualified lower-case names only', () => {
    expect(dpopReplayTableSql('app.dpop_jti')).toContain('CREATE TABLE IF NOT EXISTS app.dpop_jti (');
    expect(() => dpopReplayTableSql('dpop; DROP TABLE x')).toThrow(TypeError);
    expect(() => dpopReplayTableSql('"Quoted"')).toThrow(TypeError);
    expect(() =>
      createPostgresReplayStore({ db: { query: async () => ({ rowCount: 0 }) }, table: 'Bad' }),
    ).toThrow(TypeError);
  });
});
