// The cache with a durable outbox (SPEC §8: an invalidation is never lost), against a real
// redis-server spawned for this file (paused and resumed here) and a real database: embedded
// PGlite, and the Postgres at DATABASE_URL (a fresh schema, one pool per simulated process).
// Rows reach the outbox by a trigger, as in the apps, so the tests change data with plain SQL.
import { createDatabase, type Database } from '@portcullis/db';
import {
  createPostgresSchema,
  type PostgresSchema,
  postgresAvailability,
  type RedisServerHandle,
  redisAvailability,
  startRedis,
} from '@portcullis/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKeyCache, type KeyCache, type KeyCacheEvent, type KeyCacheOptions } from './key-cache.js';
import { createSqlOutbox, type InvalidationOutbox } from './outbox.js';

interface Row {
  status: string;
}

const SCHEMA = [
  'CREATE TABLE keys (id text PRIMARY KEY, status text NOT NULL)',
  `CREATE TABLE key_cache_outbox (
     id bigserial PRIMARY KEY, cache_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE FUNCTION keys_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO key_cache_outbox (cache_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
     RETURN NULL;
   END $$`,
  'CREATE TRIGGER keys_to_outbox AFTER INSERT OR UPDATE OR DELETE ON keys FOR EACH ROW EXECUTE FUNCTION keys_to_outbox()',
];

const redisServer = redisAvailability();
if (!redisServer.ok) console.warn(`skipping the key-cache outbox suite: ${redisServer.reason}`);
const postgres = postgresAvailability();
if (!postgres.ok) console.warn(`skipping the key-cache outbox suite on Postgres: ${postgres.reason}`);

const backends = [
  { name: 'PGlite', run: redisServer.ok },
  { name: 'Postgres', run: redisServer.ok && postgres.ok },
] as const;

describe.each(backends)('key cache with an outbox on $name and a real Redis', ({ name, run }) => {
  let server: RedisServerHandle;
  let schema: PostgresSchema | undefined;
  let shared: Database;
  const opened: Database[] = [];
  const clients: Redis[] = [];
  const caches: KeyCache<Row>[] = [];
  let namespaceSeq = 0;

  beforeAll(async () => {
    if (!run || !redisServer.ok) return;
    server = await startRedis({ bin: redisServer.bin });
    if (name === 'Postgres' && postgres.ok) {
      schema = await createPostgresSchema(postgres.url, { prefix: 'kc_relay' });
      shared = await createDatabase({ url: schema.url, poolMax: 4 });
    } else {
      shared = await createDatabase({ dataDir: 'memory://' });
    }
    opened.push(shared);
    for (const statement of SCHEMA) await shared.query(statement);
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    for (const client of clients.splice(0)) client.disconnect();
    await shared.query('DELETE FROM keys');
    await shared.query('DELETE FROM key_cache_outbox');
  });
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await schema?.drop();
    await server?.stop();
  });

  /** A database handle as one process would have: its own pool on Postgres; PGlite is one. */
  const processDb = async (): Promise<Database> => {
    if (!schema) return shared;
    const db = await createDatabase({ url: schema.url, poolMax: 4 });
    opened.push(db);
    return db;
  };

  const connect = async (): Promise<Redis> => {
    const client = new Redis(server.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  };

  interface Process {
    cache: KeyCache<Row>;
    loads: string[];
    events: KeyCacheEvent[];
    /** Cuts this process's Redis connections for good, as a partition or its death would. */
    cutRedis(): void;
  }

  /** One app process: its own cache, Redis connections and database handle. */
  const startProcess = async (
    namespace: string,
    options: Partial<KeyCacheOptions<Row>> & { db?: Database } = {},
  ): Promise<Process> => {
    const { db: given, ...cacheOptions } = options;
    const db = given ?? (await processDb());
    const loads: string[] = [];
    const events: KeyCacheEvent[] = [];
    const redis = await connect();
    const subscriber = await connect();
    const cache = createKeyCache<Row>({
      load: async (id) => {
        loads.push(id);
        const { rows } = await db.query<Row>('SELECT status FROM keys WHERE id = $1', [id]);
        return rows[0] ?? null;
      },
      redis,
      subscriber,
      namespace,
      outbox: createSqlOutbox(db),
      redisBreaker: { timeoutMs: 100, failureThreshold: 2, cooldownMs: 200 },
      outboxRelay: { intervalMs: 100 },
      onEvent: (event) => events.push(event),
      ...cacheOptions,
    });
    await cache.start();
    caches.push(cache);
    return {
      cache,
      loads,
      events,
      cutRedis() {
        redis.disconnect();
        subscriber.disconnect();
      },
    };
  };

  const freshNamespace = () => {
    namespaceSeq += 1;
    return `test:kco${namespaceSeq}`;
  };

  const setStatus = (id: string, status: string) =>
    shared.query('INSERT INTO keys (id, status) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET status = $2', [
      id,
      status,
    ]);

  const outboxSize = async () =>
    (await shared.query<{ n: number }>('SELECT count(*)::int AS n FROM key_cache_outbox')).rows[0]?.n;

  const l2Entry = async (namespace: string, id: string) => {
    const probe = await connect();
    return probe.get(`${namespace}:e:${id}`);
  };

  it.runIf(run)(
    'publishes a change committed while Redis was down, by a writer that died, once Redis answers, and removes its row',
    async () => {
      const namespace = freshNamespace();
      await setStatus('d1', 'ACTIVE');
      const writer = await startProcess(namespace);
      const reader = await startProcess(namespace, { l1: false });
      expect(await reader.cache.get('d1')).toEqual({ status: 'ACTIVE' }); // L2 now holds ACTIVE
      expect(await l2Entry(namespace, 'd1')).not.toBeNull();

      server.pause();
      try {
        // The writer is cut off too: a paused server would still execute, on resume, commands a
        // client had already written to its socket, which a partitioned or dead writer never sent.
        writer.cutRedis();
        await setStatus('d1', 'REVOKED');
        await writer.cache.invalidate('d1');
        await writer.cache.close(); // it dies: nothing it kept in memory survives
      } finally {
        server.resume();
      }

      const seen = await waitFor(async () => (await reader.cache.get('d1'))?.status === 'REVOKED');
      expect(seen).toBe(true);
      expect(await waitFor(async () => (await outboxSize()) === 0)).toBe(true);
      expect(reader.cache.stats().invalidationsRelayed).toBeGreaterThan(0);
      // Never stale again: the L2 entry was deleted, not just bypassed.
      for (let i = 0; i < 5; i += 1) expect(await reader.cache.get('d1')).toEqual({ status: 'REVOKED' });
    },
  );

  it.runIf(run)(
    'publishes a change once: the writer takes its own outbox rows with its publish',
    async () => {
      const namespace = freshNamespace();
      const spy = await connect();
      const received: string[] = [];
      spy.on('message', (_channel: string, message: string) => received.push(...message.split(',')));
      await spy.subscribe(`${namespace}:invalidate`);
      // No periodic pass in this test: only the writer's own publish can take the row.
      const writer = await startProcess(namespace, { outboxRelay: { intervalMs: 60_000 } });
      await startProcess(namespace, { outboxRelay: { intervalMs: 60_000 } });

      await setStatus('d1', 'REVOKED'); // the trigger records d1
      await writer.cache.invalidate('d1');
      expect(await outboxSize()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 200)); // a second publish would be here by now
      expect(received).toEqual(['d1']);
    },
  );

  it.runIf(run)('lets exactly one of two processes publish each recorded row', async () => {
    const namespace = freshNamespace();
    const spy = await connect();
    const received: string[] = [];
    spy.on('message', (_channel: string, message: string) => received.push(...message.split(',')));
    await spy.subscribe(`${namespace}:invalidate`);
    const a = await startProcess(namespace, { outboxRelay: { intervalMs: 20, batchSize: 7 } });
    const b = await startProcess(namespace, { outboxRelay: { intervalMs: 20, batchSize: 7 } });

    const ids = Array.from({ length: 120 }, (_, i) => `d${i}`);
    await shared.query(`INSERT INTO keys (id, status) SELECT unnest($1::text[]), 'ACTIVE'`, [ids]);
    expect(await waitFor(async () => (await outboxSize()) === 0)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the last messages arrive
    expect(received).toHaveLength(ids.length);
    expect(new Set(received)).toEqual(new Set(ids));
    const relayed = a.cache.stats().invalidationsRelayed + b.cache.stats().invalidationsRelayed;
    expect(relayed).toBe(ids.length);
  });

  it.runIf(run)(
    'reads no L2 entry after a Redis failure until the outbox has been relayed with Redis answering',
    async () => {
      const namespace = freshNamespace();
      await setStatus('d1', 'ACTIVE');
      await setStatus('d2', 'ACTIVE');
      // The relay of this process can be made to fail, as when its database connection is lost.
      let relayBlocked = false;
      const db = await processDb();
      const real = createSqlOutbox(db);
      const blockable: InvalidationOutbox = {
        relay: (limit, publish) =>
          relayBlocked ? Promise.reject(new Error('database unreachable')) : real.relay(limit, publish),
        newest: () => real.newest(),
        pendingThrough: (position) => real.pendingThrough(position),
      };
      const reader = await startProcess(namespace, { l1: false, outbox: blockable, db });
      await reader.cache.get('d1');
      await reader.cache.get('d2'); // L2 holds both ACTIVE
      expect(reader.cache.stats().l2Trusted).toBe(true);

      server.pause();
      try {
        expect(await reader.cache.get('d1')).toEqual({ status: 'ACTIVE' }); // from the database
        expect(reader.cache.stats().l2Trusted).toBe(false);
        relayBlocked = true;
        await setStatus('d1', 'REVOKED'); // no one can publish it
      } finally {
        server.resume();
      }

      // Redis answers again and still holds the stale entry; the row that would delete it cannot
      // be relayed, so every lookup goes to the database.
      expect(await waitFor(async () => reader.cache.stats().breaker === 'closed')).toBe(true);
      expect(await l2Entry(namespace, 'd1')).toContain('ACTIVE');
      const l2HitsBefore = reader.cache.stats().l2Hits;
      for (let i = 0; i < 10; i += 1) {
        expect(await reader.cache.get('d1')).toEqual({ status: 'REVOKED' });
        expect(await reader.cache.get('d2')).toEqual({ status: 'ACTIVE' });
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      expect(reader.cache.stats().l2Hits).toBe(l2HitsBefore);
      expect(reader.cache.stats().l2Trusted).toBe(false);
      expect(reader.events.some((event) => event.type === 'outbox-error')).toBe(true);

      relayBlocked = false;
      expect(await waitFor(async () => reader.cache.stats().l2Trusted)).toBe(true);
      expect(await outboxSize()).toBe(0);
      expect(await l2Entry(namespace, 'd1')).toBeNull(); // deleted by the relay
      expect(await reader.cache.get('d2')).toEqual({ status: 'ACTIVE' });
      expect(reader.cache.stats().l2Hits).toBeGreaterThan(l2HitsBefore);
      expect(await reader.cache.get('d1')).toEqual({ status: 'REVOKED' });
    },
  );

  it.runIf(run)(
    'reopens L2 at once after a Redis failure that passed, without waiting for the relay interval',
    async () => {
      const namespace = freshNamespace();
      await setStatus('d1', 'ACTIVE');
      const reader = await startProcess(namespace, { l1: false, outboxRelay: { intervalMs: 60_000 } });
      expect(reader.cache.stats().l2Trusted).toBe(true);
      // A version key of the wrong type makes the write-back after the next load fail
      // (WRONGTYPE): one failed Redis call while Redis itself keeps answering.
      const probe = await connect();
      await probe.del(`${namespace}:v:d1`);
      await probe.lpush(`${namespace}:v:d1`, 'not-a-version');
      expect(await reader.cache.get('d1')).toEqual({ status: 'ACTIVE' });
      expect(reader.cache.stats().redisErrors).toBe(1);
      expect(await waitFor(async () => reader.cache.stats().l2Trusted, 2000)).toBe(true);
    },
  );

  it.runIf(run)(
    'publishes rows left by a dead process before a new process serves its first lookup',
    async () => {
      const namespace = freshNamespace();
      await setStatus('d1', 'ACTIVE');
      const before = await startProcess(namespace, { l1: false });
      await before.cache.get('d1'); // L2 holds ACTIVE
      await before.cache.close();
      before.cutRedis();
      // A writer revokes and dies before publishing anything; nobody relays for now.
      await setStatus('d1', 'REVOKED');
      expect(await l2Entry(namespace, 'd1')).toContain('ACTIVE');

      const next = await startProcess(namespace, { l1: false, outboxRelay: { intervalMs: 60_000 } });
      expect(await outboxSize()).toBe(0);
      expect(next.cache.stats().l2Trusted).toBe(true);
      expect(await next.cache.get('d1')).toEqual({ status: 'REVOKED' });
    },
  );

  it.runIf(run)('without Redis, evicts L1 for a change recorded in the outbox by someone else', async () => {
    const namespace = freshNamespace();
    await setStatus('d1', 'ACTIVE');
    const db = await processDb();
    const cache = createKeyCache<Row>({
      load: async (id) =>
        (await db.query<Row>('SELECT status FROM keys WHERE id = $1', [id])).rows[0] ?? null,
      namespace,
      outbox: createSqlOutbox(db),
      outboxRelay: { intervalMs: 50 },
      l1: { ttlMs: 60_000 },
    });
    caches.push(cache);
    await cache.start();
    expect(await cache.get('d1')).toEqual({ status: 'ACTIVE' });
    expect(cache.peek('d1')).toEqual({ status: 'ACTIVE' }); // warm for a minute
    await setStatus('d1', 'REVOKED'); // e.g. an operator's SQL, or another code path
    expect(await waitFor(async () => (await cache.get('d1'))?.status === 'REVOKED')).toBe(true);
    // The relay evicts before it deletes the row (at-least-once), in the same transaction: the
    // eviction can be seen a moment before the row's deletion commits.
    expect(await waitFor(async () => (await outboxSize()) === 0)).toBe(true);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
