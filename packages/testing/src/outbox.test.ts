import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxDatabase, outboxProbe, waitUntil } from './outbox.js';

describe('outboxProbe', () => {
  // Opened before the test, under the hook timeout: starting the embedded database (a WebAssembly
  // module) takes seconds, more on a busy machine.
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  });
  afterAll(() => db.close());

  it('counts, takes in order and clears the rows of a real outbox table', async () => {
    await db.query('CREATE TABLE key_cache_outbox (id bigserial PRIMARY KEY, cache_id text NOT NULL)');
    await db.query("INSERT INTO key_cache_outbox (cache_id) VALUES ('a'), ('b'), ('a')");
    const outbox = outboxProbe(db);
    expect(await outbox.count()).toBe(3);
    expect(await outbox.take()).toEqual(['a', 'b', 'a']);
    expect(await outbox.count()).toBe(0);
    await db.query("INSERT INTO key_cache_outbox (cache_id) VALUES ('c')");
    await outbox.clear();
    expect(await outbox.take()).toEqual([]);
  });

  it('refuses a table name that is not a plain identifier', () => {
    expect(() => outboxProbe({ query: async () => ({ rows: [] }) }, 'x; DROP TABLE y')).toThrow(TypeError);
  });
});

describe('waitUntil', () => {
  it('resolves once the condition holds and rejects when it never does', async () => {
    let polls = 0;
    await waitUntil(async () => ++polls === 3, { intervalMs: 1 });
    expect(polls).toBe(3);
    await expect(waitUntil(async () => false, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      'condition not reached within 30 ms',
    );
  });
});

describe('outboxDatabase', () => {
  const outbox = outboxDatabase(async () => {
    const db = await PGlite.create();
    await db.query('CREATE TABLE key_cache_outbox (id bigserial PRIMARY KEY, cache_id text NOT NULL)');
    return db;
  });

  it('opens the database before the suite and lets a test take what it recorded', async () => {
    await outbox.db.query("INSERT INTO key_cache_outbox (cache_id) VALUES ('left-over')");
    await outbox.db.query("INSERT INTO key_cache_outbox (cache_id) VALUES ('x')");
    expect(await outbox.take()).toEqual(['left-over', 'x']);
    await outbox.db.query("INSERT INTO key_cache_outbox (cache_id) VALUES ('not taken')");
  });

  it('empties the outbox before each test', async () => {
    expect(await outbox.take()).toEqual([]);
  });
});
