import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createPgliteDataDir } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { describeDatabaseContract } from '../test/contract.js';
import { createDatabase } from './database.js';
import { DatabaseUnavailableError } from './errors.js';

describeDatabaseContract({
  kind: 'pglite',
  async fresh() {
    const dir = await createPgliteDataDir();
    const db = await createDatabase({ dataDir: dir.dataDir });
    return {
      db,
      // One process per data directory: PGlite has no second session to race with.
      openPeer: async () => undefined,
      async cleanup() {
        await db.close();
        await dir.cleanup();
      },
    };
  },
});

describe('PGlite backend', () => {
  it('counts every finished statement and whole transaction, failed ones too, one at a time', async () => {
    const db = await createDatabase({ dataDir: 'memory://' });
    try {
      const count = () => db.finishedWork?.() ?? Number.NaN;
      const start = count();
      await db.query('CREATE TABLE counted (id int)');
      expect(count()).toBe(start + 1);
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO counted VALUES (1)');
        await tx.query('INSERT INTO counted VALUES (2)');
        // Inside the transaction nothing has finished yet: the whole transaction is one piece.
        expect(count()).toBe(start + 1);
      });
      expect(count()).toBe(start + 2);
      await expect(db.query('SELECT * FROM no_such_table')).rejects.toThrow();
      expect(count()).toBe(start + 3);
      // Concurrent work still finishes one piece at a time: each await sees its own increment or more.
      await Promise.all(Array.from({ length: 10 }, () => db.query('SELECT 1')));
      expect(count()).toBe(start + 13);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('runs in memory with memory://', async () => {
    const db = await createDatabase({ dataDir: 'memory://' });
    try {
      expect(db.kind).toBe('pglite');
      await db.query('CREATE TABLE scratch (id int)');
      await expect(db.query('INSERT INTO scratch VALUES (1)')).resolves.toMatchObject({ rowCount: 1 });
    } finally {
      await db.close();
    }
  }, 60_000);

  it('creates a nested data directory and keeps committed data across a reopen', async () => {
    const base = await createPgliteDataDir({ fromTemplate: false });
    const dataDir = join(base.dataDir, 'nested', 'app');
    try {
      const first = await createDatabase({ dataDir });
      await first.query('CREATE TABLE kept (id int)');
      await first.transaction((tx) => tx.query('INSERT INTO kept VALUES (42)'));
      await first.close();
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

      const second = await createDatabase({ dataDir });
      try {
        await expect(second.query('SELECT id FROM kept')).resolves.toStrictEqual({
          rows: [{ id: 42 }],
          rowCount: 1,
        });
      } finally {
        await second.close();
      }
    } finally {
      await base.cleanup();
    }
  }, 60_000);

  it('fails with DB_BUSY instead of hanging when db.query is called inside its own transaction', async () => {
    const dir = await createPgliteDataDir();
    const db = await createDatabase({ dataDir: dir.dataDir, connectTimeoutMs: 200 });
    try {
      const error = await db
        .transaction(async () => {
          await db.query('SELECT 1');
        })
        .then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error).toMatchObject({ code: 'DB_BUSY' });
      await expect(db.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await db.close();
      await dir.cleanup();
    }
  });

  it('does not attach bound parameter values to its errors', async () => {
    const dir = await createPgliteDataDir();
    const db = await createDatabase({ dataDir: dir.dataDir });
    try {
      await db.query('CREATE TABLE secrets (token text PRIMARY KEY)');
      await db.query('INSERT INTO secrets VALUES ($1)', ['tok_live_abc123']);
      for (const attempt of [
        db.query('INSERT INTO secrets VALUES ($1)', ['tok_live_abc123']),
        db.transaction((tx) => tx.query('INSERT INTO secrets VALUES ($1)', ['tok_live_abc123'])),
      ]) {
        const error = await attempt.then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        expect(error).toMatchObject({ code: '23505' });
        expect(error).not.toHaveProperty('params');
      }
    } finally {
      await db.close();
      await dir.cleanup();
    }
  });
});
