import { Redis } from 'ioredis';
import { Client, Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { findRedisServer } from './redis.js';
import { sharedBackendsAvailability, startSharedBackends } from './shared-backends.js';

const available = sharedBackendsAvailability();
if (!available.ok) console.warn(`[@portcullis/testing] skipping shared back-end tests: ${available.reason}`);

describe('sharedBackendsAvailability', () => {
  it('gives one reason naming both missing back ends outside CI', () => {
    const result = sharedBackendsAvailability({ PATH: '' });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/DATABASE_URL is not set; no redis-server on PATH/);
  });

  it('throws under CI when only one back end is missing', () => {
    expect(() =>
      sharedBackendsAvailability({ CI: 'true', DATABASE_URL: 'postgres://h/db', PATH: '' }),
    ).toThrow(/CI=true requires the Redis suites to run/);
  });

  const found = findRedisServer();
  it.runIf(found.ok)('returns the URL and binary when both are there', () => {
    const bin = found.ok ? found.bin : '';
    expect(sharedBackendsAvailability({ DATABASE_URL: ' postgres://h/db ', REDIS_SERVER_BIN: bin })).toEqual({
      ok: true,
      postgresUrl: 'postgres://h/db',
      redisBin: bin,
    });
  });
});

interface PoolHandle {
  pool: Pool;
  closed: boolean;
  close(): Promise<void>;
}

async function openPool(url: string): Promise<PoolHandle> {
  const pool = new Pool({ connectionString: url, max: 2 });
  const handle: PoolHandle = {
    pool,
    closed: false,
    async close() {
      handle.closed = true;
      await pool.end();
    },
  };
  return handle;
}

async function schemaExists(url: string, schema: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

describe('startSharedBackends input checks', () => {
  it('rejects a handle count that is not a positive integer before starting anything', async () => {
    const open = () => Promise.reject(new Error('must not be called'));
    await expect(
      startSharedBackends({ postgresUrl: 'not a url', redisBin: '/nonexistent' }, { open, databases: 0 }),
    ).rejects.toThrow(/databases must be a positive integer/);
  });
});

describe.runIf(available.ok)('startSharedBackends on a real Postgres and redis-server', () => {
  const ready = available.ok ? available : { postgresUrl: '', redisBin: '' };

  it('opens separate handles on one fresh schema, prepares them concurrently, and tears all down', async () => {
    let preparing = 0;
    let peak = 0;
    const preparedIn: string[] = [];
    const backends = await startSharedBackends(ready, {
      open: openPool,
      schemaPrefix: 'sb',
      async prepare(db) {
        preparing += 1;
        peak = Math.max(peak, preparing);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const { rows } = await db.pool.query<{ schema: string }>('SELECT current_schema() AS schema');
        preparedIn.push(rows[0]?.schema ?? '');
        preparing -= 1;
      },
    });
    const [a, b] = backends.databases;
    expect(backends.databases).toHaveLength(2);
    expect(a.pool).not.toBe(b.pool);
    expect(peak).toBe(2);
    expect(backends.schema.schema).toMatch(/^sb_[0-9a-f]{12}$/);
    expect(preparedIn).toEqual([backends.schema.schema, backends.schema.schema]);
    await a.pool.query('CREATE TABLE seen (n int)');
    await a.pool.query('INSERT INTO seen VALUES (1)');
    expect((await b.pool.query('SELECT n FROM seen')).rows).toEqual([{ n: 1 }]);
    expect(await redisAnswers(backends.redis.url)).toBe(true);

    await Promise.all([backends.close(), backends.close()]);
    expect(a.closed && b.closed).toBe(true);
    expect(await redisAnswers(backends.redis.url)).toBe(false);
    expect(await schemaExists(ready.postgresUrl, backends.schema.schema)).toBe(false);
  });

  it('opens as many handles as asked', async () => {
    const backends = await startSharedBackends(ready, { open: openPool, databases: 3 });
    try {
      expect(new Set(backends.databases.map((db) => db.pool)).size).toBe(3);
    } finally {
      await backends.close();
    }
  });

  it('tears down what it started when preparing fails, and rethrows', async () => {
    const opened: PoolHandle[] = [];
    const schemaUrls: string[] = [];
    const attempt = startSharedBackends(ready, {
      async open(url) {
        schemaUrls.push(url);
        const handle = await openPool(url);
        opened.push(handle);
        return handle;
      },
      prepare: async () => {
        throw new Error('migration failed');
      },
    });
    await expect(attempt).rejects.toThrow('migration failed');
    expect(opened.map((db) => db.closed)).toEqual([true, true]);
    const schema = new URL(schemaUrls[0] ?? '').searchParams.get('options')?.split('=').at(-1) ?? '';
    expect(schema).toMatch(/^t_[0-9a-f]{12}$/);
    expect(await schemaExists(ready.postgresUrl, schema)).toBe(false);
  });
});
