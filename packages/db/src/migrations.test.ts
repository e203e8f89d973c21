import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checksumOf, loadMigrations, type Migration, MigrationError, migrate } from './migrations.js';
import type { Database } from './types.js';

/** A Database that must never be reached: validation has to fail before any SQL runs. */
const untouchable: Database = {
  kind: 'pglite',
  query: () => Promise.reject(new Error('query must not be called')),
  transaction: () => Promise.reject(new Error('transaction must not be called')),
  close: () => Promise.resolve(),
};

const m = (id: number, name = `step_${id}`, sql = `CREATE TABLE t${id} (id int)`): Migration => ({
  id,
  name,
  sql,
});

async function refusal(migrations: readonly Migration[]): Promise<MigrationError> {
  const error = await migrate(untouchable, { migrations }).then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(MigrationError);
  return error as MigrationError;
}

describe('migrate validation (before touching the database)', () => {
  it('refuses duplicate numbers, naming both migrations', async () => {
    const error = await refusal([m(1, 'a'), m(2, 'b'), m(2, 'c')]);
    expect(error.code).toBe('duplicate_id');
    expect(error.message).toContain('0002_b');
    expect(error.message).toContain('0002_c');
  });

  it('refuses a gap in the numbers', async () => {
    const error = await refusal([m(1), m(2), m(4)]);
    expect(error.code).toBe('missing_id');
    expect(error.message).toMatch(/migration 3 is missing/);
  });

  it('refuses a set that does not start at 1', async () => {
    await expect(refusal([m(2), m(3)])).resolves.toMatchObject({ code: 'missing_id' });
  });

  it('refuses ids that are not positive integers', async () => {
    for (const id of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      await expect(refusal([m(id)])).resolves.toMatchObject({ code: 'invalid_migration' });
    }
  });

  it('refuses names outside letters, digits, _ and -', async () => {
    for (const name of ['', 'has space', '../escape', 'semi;colon', '_leading']) {
      await expect(refusal([m(1, name)])).resolves.toMatchObject({ code: 'invalid_migration' });
    }
  });

  it('refuses a migration without SQL', async () => {
    await expect(refusal([m(1, 'empty', '  \n ')])).resolves.toMatchObject({ code: 'invalid_migration' });
  });

  it('refuses a timeout that is not a positive integer', async () => {
    await expect(migrate(untouchable, { migrations: [m(1)] }, { timeoutMs: 0 })).rejects.toThrow(TypeError);
  });

  it('refuses a Database that did not come from createDatabase', async () => {
    const foreign: Database = {
      ...untouchable,
      transaction: (fn) => fn({ query: () => Promise.reject(new Error('not reached')) }),
    };
    await expect(migrate(foreign, { migrations: [m(1)] })).rejects.toMatchObject({
      code: 'unsupported_database',
    });
  });

  it('accepts any contiguous set in any order, or refuses it with a MigrationError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -2, max: 8 }), { maxLength: 8 }), async (ids) => {
        const migrations = ids.map((id) => m(id));
        const sorted = [...ids].sort((a, b) => a - b);
        const valid = sorted.every((id, index) => id === index + 1);
        const outcome = await migrate(untouchable, { migrations }).then(
          () => 'ran',
          (error: unknown) => (error instanceof MigrationError ? 'refused' : 'reached database'),
        );
        expect(outcome).toBe(valid ? 'reached database' : 'refused');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checksumOf', () => {
  it('is the hex SHA-256 of the SQL', () => {
    expect(checksumOf('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('ignores CRLF versus LF line endings but nothing else', () => {
    expect(checksumOf('a;\r\nb;\r\n')).toBe(checksumOf('a;\nb;\n'));
    expect(checksumOf('a; b;')).not.toBe(checksumOf('a;  b;'));
  });
});

describe('loadMigrations', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-load-migrations-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads NNNN_name.sql files in numeric order and ignores other files and folders', async () => {
    await writeFile(join(dir, '0002_second.sql'), 'SELECT 2;');
    await writeFile(join(dir, '0001_first.sql'), 'SELECT 1;');
    await writeFile(join(dir, '0010_tenth-step.sql'), 'SELECT 10;');
    for (let id = 3; id <= 9; id++) await writeFile(join(dir, `000${id}_step.sql`), `SELECT ${id};`);
    await writeFile(join(dir, 'README.md'), 'notes');
    await mkdir(join(dir, '0011_folder.sql'));
    const migrations = await loadMigrations(dir);
    expect(migrations.map((migration) => migration.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(migrations[0]).toEqual({ id: 1, name: 'first', sql: 'SELECT 1;' });
    expect(migrations[9]).toEqual({ id: 10, name: 'tenth-step', sql: 'SELECT 10;' });
  });

  it('refuses a .sql file whose name does not follow NNNN_name.sql', async () => {
    for (const name of ['001_short.sql', '0001-dash.sql', '0001_.sql', 'init.sql', '0001_bad name.sql']) {
      const file = join(dir, name);
      await writeFile(file, 'SELECT 1;');
      await expect(loadMigrations(dir)).rejects.toMatchObject({ code: 'invalid_file_name' });
      await rm(file);
    }
  });

  it('refuses two files with the same number', async () => {
    await writeFile(join(dir, '0001_a.sql'), 'SELECT 1;');
    await writeFile(join(dir, '00001_b.sql'), 'SELECT 1;');
    await expect(loadMigrations(dir)).rejects.toMatchObject({ code: 'duplicate_id' });
  });
});
