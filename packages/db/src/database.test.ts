import { describe, expect, it } from 'vitest';
import { createDatabase } from './database.js';

describe('createDatabase options', () => {
  it('refuses to guess when neither url nor dataDir is given', async () => {
    await expect(createDatabase({})).rejects.toThrow(/give url \(PostgreSQL\) or dataDir/);
    await expect(createDatabase({ dataDir: '' })).rejects.toThrow(TypeError);
  });

  it('refuses an empty url', async () => {
    await expect(createDatabase({ url: '  ' })).rejects.toThrow(/url must be a non-empty/);
  });

  it('refuses out-of-range numbers', async () => {
    const url = 'postgres://postgres@127.0.0.1:1/postgres';
    await expect(createDatabase({ url, poolMax: 0 })).rejects.toThrow(/poolMax/);
    await expect(createDatabase({ url, connectTimeoutMs: 0 })).rejects.toThrow(/connectTimeoutMs/);
    await expect(createDatabase({ url, statementTimeoutMs: -1 })).rejects.toThrow(/statementTimeoutMs/);
    await expect(createDatabase({ url, statementTimeoutMs: 1.5 })).rejects.toThrow(/statementTimeoutMs/);
    await expect(createDatabase({ url, idleInTransactionTimeoutMs: Number.NaN })).rejects.toThrow(
      /idleInTransactionTimeoutMs/,
    );
  });

  it('refuses a dataDir URL other than memory://', async () => {
    await expect(createDatabase({ dataDir: 'idb://portcullis' })).rejects.toThrow(
      /directory path or 'memory:\/\/'/,
    );
  });

  it('uses Postgres when a url is given, without connecting yet', async () => {
    const db = await createDatabase({ url: 'postgres://postgres@127.0.0.1:1/postgres', dataDir: 'ignored' });
    expect(db.kind).toBe('postgres');
    await db.close();
  });
});
