// The import CLI (SPEC §5.3 `pnpm --filter mica-register import <dir-or-files>`), run in-process
// against a PGlite directory.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabase } from '@portcullis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImportCli } from '../src/import.js';
import { SHIPPED_SNAPSHOT_DIR } from '../src/store/register.js';
import { copyShipped, tempDir, writeCsv } from './register-harness.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.remove();
});

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) },
  };
}

describe('import CLI', () => {
  it('prints usage and exits 2 without arguments', async () => {
    const { out, io } = capture();
    expect(await runImportCli([], io, {})).toBe(2);
    expect(out.stderr).toMatch(/^usage: pnpm --filter mica-register import/);
  });

  it('imports a directory into the database, prints the report, and exits 0', async () => {
    const dataDir = join(dir.path, 'db');
    const { out, io } = capture();
    expect(await runImportCli([SHIPPED_SNAPSHOT_DIR], io, { DATA_DIR: dataDir })).toBe(0);
    expect(out.stdout).toContain('imported   CASP  ');
    expect(out.stdout).toMatch(/NCASP20260209\.csv: 100 records from 101 rows \(1 duplicate rows\)/);
    expect(out.stdout).toContain('line 85: same as line 84');
    expect(out.stdout.trimEnd().endsWith('import complete')).toBe(true);
    const db = await createDatabase({ dataDir });
    try {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM register_records');
      expect(rows[0]?.n).toBe(1013);
    } finally {
      await db.close();
    }
  });

  it('resolves relative paths from where pnpm was started, reports skipped rows, exits 1 on a rejected file', async () => {
    const files = join(dir.path, 'downloads');
    await mkdir(files);
    await copyShipped(files, ['EMT']);
    await writeCsv(files, 'CASP20260301.csv', 'not,a,register\r\n');
    const { out, io } = capture();
    const code = await runImportCli(['downloads'], io, {
      DATA_DIR: join(dir.path, 'db2'),
      INIT_CWD: dir.path,
    });
    expect(code).toBe(1);
    expect(out.stdout).toMatch(
      /rejected\s+CASP\s+\S+CASP20260301\.csv: header does not match the CASP register/,
    );
    expect(out.stdout).toMatch(/imported\s+EMT\s+\S+EMT20260209\.csv: 32 records from 33 rows/);
    expect(out.stdout.trimEnd().endsWith('import finished with 1 rejected file(s)')).toBe(true);
  });
});
