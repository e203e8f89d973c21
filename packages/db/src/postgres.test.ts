import { createServer, type Socket } from 'node:net';
import { createPostgresSchema, getFreePort, postgresAvailability } from '@portcullis/testing';
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { describeDatabaseContract } from '../test/contract.js';
import { createDatabase } from './database.js';
import { isDatabaseUnavailable, sqlState } from './errors.js';

const postgres = postgresAvailability();
if (!postgres.ok) console.warn(`[@portcullis/db] skipping Postgres suites: ${postgres.reason}`);
const baseUrl = postgres.ok ? postgres.url : '';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('Postgres outages (no server needed)', () => {
  it('fails fast with an unavailable error when nothing listens on the port', async () => {
    const port = await getFreePort();
    const db = await createDatabase({
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectTimeoutMs: 1_000,
    });
    try {
      const error = await rejectionOf(db.query('SELECT 1'));
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ECONNREFUSED' });
      await expect(db.transaction(async (tx) => tx.query('SELECT 1'))).rejects.toSatisfy(
        isDatabaseUnavailable,
      );
    } finally {
      await db.close();
    }
  });

  it('gives up on a server that accepts but never answers after connectTimeoutMs', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const db = await createDatabase({
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectTimeoutMs: 300,
    });
    try {
      const error = await rejectionOf(db.query('SELECT 1'));
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect((error as Error).message).toMatch(/timeout/i);
    } finally {
      await db.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('never puts the connection URL (and so its password) in the error', async () => {
    const port = await getFreePort();
    const db = await createDatabase({
      url: `postgres://app:s3cr3t-pw@127.0.0.1:${port}/postgres`,
      connectTimeoutMs: 1_000,
    });
    try {
      const error = await rejectionOf(db.query('SELECT 1'));
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('s3cr3t-pw');
      expect(String((error as Error).stack)).not.toContain('s3cr3t-pw');
    } finally {
      await db.close();
    }
  });
});

describe.runIf(postgres.ok)('on a real Postgres', () => {
  describeDatabaseContract({
    kind: 'postgres',
    async fresh() {
      const schema = await createPostgresSchema(baseUrl);
      const opened = [await createDatabase({ url: schema.url })];
      const [db] = opened;
      if (db === undefined) throw new Error('unreachable');
      return {
        db,
        async openPeer() {
          const peer = await createDatabase({ url: schema.url });
          opened.push(peer);
          return peer;
        },
        async cleanup() {
          await Promise.all(opened.map((each) => each.close()));
          await schema.drop();
        },
      };
    },
  });

  describe('faults', () => {
    async function withSchema<T>(work: (url: string) => Promise<T>): Promise<T> {
      const schema = await createPostgresSchema(baseUrl, { prefix: 'fault' });
      try {
        return await work(schema.url);
      } finally {
        await schema.drop();
      }
    }

    async function terminate(pid: number): Promise<void> {
      const admin = new Client({ connectionString: baseUrl });
      await admin.connect();
      try {
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      } finally {
        await admin.end();
      }
    }

    it('cancels a statement that runs past statementTimeoutMs, and keeps serving', async () => {
      await withSchema(async (url) => {
        const db = await createDatabase({ url, statementTimeoutMs: 200 });
        try {
          const error = await rejectionOf(db.query('SELECT pg_sleep(5)'));
          expect(sqlState(error)).toBe('57014');
          expect(isDatabaseUnavailable(error)).toBe(true);
          await expect(db.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
        } finally {
          await db.close();
        }
      });
    });

    it('reports an idle connection killed by the server to onError, without crashing, and reconnects', async () => {
      await withSchema(async (url) => {
        const reported: Error[] = [];
        const db = await createDatabase({ url, poolMax: 1, onError: (error) => reported.push(error) });
        try {
          const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await terminate(rows[0]?.pid ?? 0);
          await expect.poll(() => reported.length).toBeGreaterThan(0);
          expect(isDatabaseUnavailable(reported[0]) || sqlState(reported[0]) === '57P01').toBe(true);
          const after = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          expect(after.rows[0]?.pid).not.toBe(rows[0]?.pid);
        } finally {
          await db.close();
        }
      });
    });

    it('rejects a transaction whose connection dies midway, writes nothing, and keeps serving', async () => {
      await withSchema(async (url) => {
        const db = await createDatabase({ url, poolMax: 2 });
        try {
          await db.query('CREATE TABLE survivors (id int PRIMARY KEY)');
          const error = await rejectionOf(
            db.transaction(async (tx) => {
              await tx.query('INSERT INTO survivors VALUES (1)');
              const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
              await terminate(rows[0]?.pid ?? 0);
              await tx.query('INSERT INTO survivors VALUES (2)');
            }),
          );
          expect(isDatabaseUnavailable(error)).toBe(true);
          await expect(db.query('SELECT count(*)::int AS n FROM survivors')).resolves.toMatchObject({
            rows: [{ n: 0 }],
          });
        } finally {
          await db.close();
        }
      });
    });
  });
});
