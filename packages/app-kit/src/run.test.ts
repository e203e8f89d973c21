import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './run.js';

describe('openDatabase', () => {
  it('opens PGlite in <dataDir>/pglite and applies the migrations once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-service-'));
    const migrations = join(dir, 'migrations');
    try {
      await mkdir(migrations);
      await writeFile(join(migrations, '0001_things.sql'), 'CREATE TABLE things (id int PRIMARY KEY);');
      const config = { databaseUrl: undefined, dataDir: join(dir, 'data') };
      const db = await openDatabase(config, migrations);
      expect(db.kind).toBe('pglite');
      await db.query('INSERT INTO things VALUES (1)');
      await db.close();
      const again = await openDatabase(config, migrations);
      expect((await again.query<{ n: number }>('SELECT count(*)::int AS n FROM things')).rows[0]?.n).toBe(1);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Two on-disk PGlite starts: seconds each, more on a loaded CI machine.
  }, 90_000);
});
