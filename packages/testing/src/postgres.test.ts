import { Client, Pool, type PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresSchema, type PostgresSchema, postgresAvailability } from './postgres.js';

const postgres = postgresAvailability();
if (!postgres.ok) console.warn(`[@portcullis/testing] skipping Postgres tests: ${postgres.reason}`);

describe('createPostgresSchema input checks', () => {
  it('rejects an invalid URL without echoing it', async () => {
    const secret = 'not a url with password hunter2';
    const attempt = createPostgresSchema(secret);
    await expect(attempt).rejects.toThrow('createPostgresSchema: databaseUrl is not a valid URL');
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });

  it('rejects a prefix that is not a plain lower-case identifier', async () => {
    await expect(createPostgresSchema('postgres://h/db', { prefix: 'x"; DROP' })).rejects.toThrow(/prefix/);
  });
});

async function schemaExists(url: string, schema: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe.runIf(postgres.ok)('createPostgresSchema on a real Postgres', () => {
  const baseUrl = postgres.ok ? postgres.url : '';
  let a: PostgresSchema;
  let b: PostgresSchema;

  beforeAll(async () => {
    a = await createPostgresSchema(baseUrl);
    b = await createPostgresSchema(baseUrl);
  });
  afterAll(async () => {
    await a?.drop();
    await b?.drop();
  });

  it('names schemas uniquely with the prefix', () => {
    expect(a.schema).toMatch(/^t_[0-9a-f]{12}$/);
    expect(a.schema).not.toBe(b.schema);
  });

  it('scopes every connection of a pool, including ones opened later, to the schema', async () => {
    const pool = new Pool({ connectionString: a.url, max: 3 });
    const held: PoolClient[] = [];
    try {
      // Hold three clients at once so the pool must open three separate connections.
      for (let i = 0; i < 3; i++) held.push(await pool.connect());
      const pids = new Set<number>();
      for (const client of held) {
        const result = await client.query<{ schema: string; pid: number }>(
          'SELECT current_schema() AS schema, pg_backend_pid() AS pid',
        );
        expect(result.rows[0]?.schema).toBe(a.schema);
        pids.add(result.rows[0]?.pid ?? 0);
      }
      expect(pids.size).toBe(3);
    } finally {
      for (const client of held) client.release();
      await pool.end();
    }
  });

  it('keeps fresh schemas isolated from each other', async () => {
    const poolA = new Pool({ connectionString: a.url, max: 1 });
    const poolB = new Pool({ connectionString: b.url, max: 1 });
    try {
      await poolA.query('CREATE TABLE widgets (id int PRIMARY KEY)');
      await poolA.query('INSERT INTO widgets VALUES (1)');
      await expect(poolA.query('SELECT count(*)::int AS n FROM widgets')).resolves.toMatchObject({
        rows: [{ n: 1 }],
      });
      await expect(poolB.query('SELECT * FROM widgets')).rejects.toMatchObject({ code: '42P01' });
      await poolB.query('CREATE TABLE widgets (id int PRIMARY KEY)');
      await expect(poolB.query('SELECT count(*)::int AS n FROM widgets')).resolves.toMatchObject({
        rows: [{ n: 0 }],
      });
    } finally {
      await poolA.end();
      await poolB.end();
    }
  });

  it('keeps libpq options already present in the URL', async () => {
    const url = new URL(baseUrl);
    url.searchParams.set('options', '-c statement_timeout=1234');
    const scoped = await createPostgresSchema(url.toString(), { prefix: 'opt' });
    const client = new Client({ connectionString: scoped.url });
    try {
      await client.connect();
      const result = await client.query<{ schema: string; timeout: string }>(
        "SELECT current_schema() AS schema, current_setting('statement_timeout') AS timeout",
      );
      expect(result.rows[0]).toEqual({ schema: scoped.schema, timeout: '1234ms' });
    } finally {
      await client.end();
      await scoped.drop();
    }
  });

  it('drops the schema with everything in it, idempotently', async () => {
    const scratch = await createPostgresSchema(baseUrl, { prefix: 'drop' });
    const pool = new Pool({ connectionString: scratch.url, max: 1 });
    await pool.query('CREATE TABLE doomed (id int)');
    await pool.end();
    expect(await schemaExists(baseUrl, scratch.schema)).toBe(true);
    await Promise.all([scratch.drop(), scratch.drop()]);
    await scratch.drop();
    expect(await schemaExists(baseUrl, scratch.schema)).toBe(false);
  });
});
