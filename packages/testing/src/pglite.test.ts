import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { createPgliteDataDir } from './pglite.js';

describe('createPgliteDataDir', () => {
  it('gives distinct initialised directories that PGlite opens, isolated from each other', async () => {
    const first = await createPgliteDataDir();
    const second = await createPgliteDataDir();
    expect(first.dataDir).not.toBe(second.dataDir);
    expect(existsSync(join(first.dataDir, 'PG_VERSION'))).toBe(true);

    const a = await PGlite.create(first.dataDir);
    const b = await PGlite.create(second.dataDir);
    try {
      await a.query('CREATE TABLE only_in_first (id int)');
      await expect(b.query('SELECT * FROM only_in_first')).rejects.toThrow(/does not exist/);
    } finally {
      await a.close();
      await b.close();
    }
    await first.cleanup();
    await second.cleanup();
    expect(existsSync(first.dataDir)).toBe(false);
  }, 60_000);

  it('gives an empty directory when asked not to copy the template, and cleans up idempotently', async () => {
    const dir = await createPgliteDataDir({ fromTemplate: false });
    await expect(readdir(dir.dataDir)).resolves.toEqual([]);
    await dir.cleanup();
    await dir.cleanup();
    expect(existsSync(dir.dataDir)).toBe(false);
  });
});
