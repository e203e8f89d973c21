// SPEC §5.3 import: each file replaces its kind in one transaction, ids are stable, a rejected
// or failing import leaves the previous data whole. On PGlite, and on Postgres when available.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabase, type Database, migrate, type Queryable } from '@portcullis/db';
import { createPostgresSchema, type PostgresSchema, postgresAvailability } from '@portcullis/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatImportReport } from '../src/import.js';
import { parseRegisterFile, type RegisterRecord } from '../src/register/importer.js';
import type { RegisterKind } from '../src/register/model.js';
import { ensureImported, importFiles, replaceKind, SHIPPED_SNAPSHOT_DIR } from '../src/store/register.js';
import {
  copyShipped,
  csvFile,
  MIGRATIONS,
  pgliteDatabase,
  SHIPPED_FILES,
  SYNTHETIC_ART,
  tempDir,
  writeCsv,
} from './register-harness.js';

const postgres = postgresAvailability();
if (!postgres.ok) console.warn(`skipping the Postgres register-import suite: ${postgres.reason}`);

const T0 = Date.UTC(2026, 1, 10, 9, 0, 0);
const ALL_KINDS: RegisterKind[] = ['CASP', 'EMT', 'ART', 'OTHER', 'NCASP'];

async function counts(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ kind: string; n: number }>(
    'SELECT kind, count(*)::integer AS n FROM register_records GROUP BY kind',
  );
  return Object.fromEntries(rows.map((row) => [row.kind, row.n]));
}

async function snapshot(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{
    id: string;
    kind: string;
    entity_name: string | null;
    source_line: number;
  }>('SELECT id, kind, entity_name, source_line FROM register_records ORDER BY id');
  return rows.map((row) => `${row.id} ${row.kind} ${row.source_line} ${row.entity_name}`);
}

async function syncRows(db: Queryable) {
  const { rows } = await db.query<{
    kind: string;
    file_name: string;
    record_count: number;
    skipped_count: number;
    imported_at: Date;
  }>('SELECT kind, file_name, record_count, skipped_count, imported_at FROM register_sync ORDER BY kind');
  return rows;
}

const backends: [string, boolean][] = [
  ['PGlite', true],
  ['Postgres', postgres.ok],
];

describe.each(backends)('register import on %s', (name, enabled) => {
  let db: Database;
  let schema: PostgresSchema | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let clock = T0;
  const now = () => clock;

  beforeAll(async () => {
    if (!enabled) return;
    if (name === 'PGlite') db = await pgliteDatabase();
    else if (postgres.ok) {
      schema = await createPostgresSchema(postgres.url, { prefix: 'mica_import' });
      db = await createDatabase({ url: schema.url });
      await migrate(db, { directory: MIGRATIONS });
    }
  });
  afterAll(async () => {
    await db?.close();
    await schema?.drop();
  });
  beforeEach(async () => {
    if (!enabled) return;
    clock = T0;
    dir = await tempDir();
    await db.query('DELETE FROM register_records');
    await db.query('DELETE FROM register_sync');
  });
  afterEach(async () => {
    await dir?.remove();
  });

  it.runIf(enabled)(
    'imports the shipped snapshot: CASP 150, EMT 32, ART 0, OTHER 731, NCASP 100',
    async () => {
      const report = await ensureImported(db, SHIPPED_SNAPSHOT_DIR, { now });
      expect(report?.errors).toEqual([]);
      expect(report?.files.map((f) => [f.kind, f.status, f.records, f.rows])).toEqual([
        ['CASP', 'imported', 150, 150],
        ['EMT', 'imported', 32, 33],
        ['ART', 'imported', 0, 0],
        ['OTHER', 'imported', 731, 732],
        ['NCASP', 'imported', 100, 101],
      ]);
      expect(await counts(db)).toEqual({ CASP: 150, EMT: 32, OTHER: 731, NCASP: 100 });
      expect((await syncRows(db)).map((r) => [r.kind, r.file_name, r.record_count, r.skipped_count])).toEqual(
        [
          ['ART', 'ART20260209.csv', 0, 0],
          ['CASP', 'CASP20260209.csv', 150, 0],
          ['EMT', 'EMT20260209.csv', 32, 0],
          ['NCASP', 'NCASP20260209.csv', 100, 0],
          ['OTHER', 'OTHER20260209.csv', 731, 0],
        ],
      );
      expect((await syncRows(db)).every((r) => r.imported_at.getTime() === T0)).toBe(true);
    },
  );

  it.runIf(enabled)('stores every published field of a record as parsed', async () => {
    await ensureImported(db, SHIPPED_SNAPSHOT_DIR, { now });
    const parsed = parseRegisterFile(
      'CASP20260209.csv',
      await readFile(join(SHIPPED_SNAPSHOT_DIR, SHIPPED_FILES.CASP)),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    const bybit = parsed.records.find((r) => r.entityIdentifier === '5299005V5GBSN2A4C303') as RegisterRecord;
    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM register_records WHERE id = $1', [
      bybit.id,
    ]);
    expect(rows[0]).toMatchObject({
      kind: 'CASP',
      license_type: 'CASP',
      entity_type: 'provider',
      entity_name: 'Bybit EU GmbH',
      country: 'Austria',
      country_code: 'AT',
      authorization_date: '2025-05-28',
      authorization_end_date: null,
      services: bybit.services,
      passported_countries: bybit.passportedCountries,
      search_text: 'bybit eu gmbh\n5299005v5gbsn2a4c303\naustrian financial market authority (fma)\nbybit',
      sort_name: 'bybit eu gmbh',
      source_file: 'CASP20260209.csv',
      source_line: 2,
      source_fields: bybit.sourceFields,
    });
  });

  it.runIf(enabled)('imports only into an empty register on start', async () => {
    expect(await ensureImported(db, SHIPPED_SNAPSHOT_DIR, { now })).not.toBeNull();
    clock += 1000;
    expect(await ensureImported(db, SHIPPED_SNAPSHOT_DIR, { now })).toBeNull();
    expect((await syncRows(db)).every((r) => r.imported_at.getTime() === T0)).toBe(true);
  });

  it.runIf(enabled)('changes nothing but the sync time when the same files are imported again', async () => {
    await importFiles(db, [SHIPPED_SNAPSHOT_DIR], { now });
    const before = await snapshot(db);
    clock += 60_000;
    let cleared = 0;
    const report = await importFiles(db, [SHIPPED_SNAPSHOT_DIR], { now, onImported: () => (cleared += 1) });
    expect(report.errors).toEqual([]);
    expect(await snapshot(db)).toEqual(before);
    expect(before).toHaveLength(1013);
    expect(cleared).toBe(1);
    expect((await syncRows(db)).every((r) => r.imported_at.getTime() === T0 + 60_000)).toBe(true);
  });

  it.runIf(enabled)('replaces a kind with a newer file: unchanged rows keep their ids', async () => {
    await copyShipped(dir.path, ['CASP']);
    await importFiles(db, [dir.path], { now });
    const before = new Set(await snapshot(db));
    const original = await readFile(join(dir.path, SHIPPED_FILES.CASP), 'utf8');
    // The newer download drops Bitpanda's row and adds one.
    const lines = original.split('\r\n');
    const bitpanda = lines.findIndex((line) => line.includes('Bitpanda GmbH'));
    lines.splice(bitpanda, 1);
    lines.splice(2, 0, lines[1]?.replace('Bybit EU GmbH', 'Newcomer GmbH') ?? '');
    await writeCsv(dir.path, 'CASP20260301.csv', lines.join('\r\n'));
    const report = await importFiles(db, [dir.path], { now });
    expect(report.files.map((f) => [f.file.split('/').pop(), f.status])).toEqual([
      ['CASP20260301.csv', 'imported'],
      ['CASP20260209.csv', 'superseded'],
    ]);
    const after = await snapshot(db);
    expect(after).toHaveLength(150);
    expect(after.some((r) => r.includes('Newcomer GmbH'))).toBe(true);
    expect(after.some((r) => r.includes('Bitpanda GmbH'))).toBe(false);
    // Every other row keeps its id, though the rows below the new one moved down a line.
    const idOf = (row: string) => row.split(' ')[0];
    const beforeIds = new Set([...before].map(idOf));
    expect(after.filter((row) => beforeIds.has(idOf(row)))).toHaveLength(149);
    expect((await syncRows(db))[0]).toMatchObject({ file_name: 'CASP20260301.csv', record_count: 150 });
  });

  it.runIf(enabled)('rejects a file with the wrong header and leaves its kind whole', async () => {
    await importFiles(db, [SHIPPED_SNAPSHOT_DIR], { now });
    const before = await snapshot(db);
    const syncBefore = await syncRows(db);
    const emtAsCasp = await readFile(join(SHIPPED_SNAPSHOT_DIR, SHIPPED_FILES.EMT));
    const bad = await writeCsv(dir.path, 'CASP20260301.csv', emtAsCasp);
    clock += 1000;
    const report = await importFiles(db, [bad], { now });
    expect(report.errors).toEqual([
      { file: bad, reason: expect.stringMatching(/^header does not match the CASP register/) },
    ]);
    expect(report.files[0]).toMatchObject({ kind: 'CASP', status: 'rejected', records: 0 });
    expect(await snapshot(db)).toEqual(before);
    expect(await syncRows(db)).toEqual(syncBefore);
  });

  it.runIf(enabled)(
    'rejects a file whose every row is bad, and one that is binary, keeping the previous data',
    async () => {
      await importFiles(db, [SHIPPED_SNAPSHOT_DIR], { now });
      const before = await snapshot(db);
      const header = (await readFile(join(SHIPPED_SNAPSHOT_DIR, SHIPPED_FILES.NCASP), 'utf8')).split(
        '\r\n',
      )[0];
      const truncated = await writeCsv(dir.path, 'NCASP20260301.csv', `${header}\r\nCONSOB,IT,"unterminated`);
      const binary = await writeCsv(
        dir.path,
        'OTHER20260301.csv',
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]),
      );
      const report = await importFiles(db, [truncated, binary], { now });
      expect(report.errors.map((e) => e.reason)).toEqual([
        expect.stringMatching(/^header does not match the OTHER register/),
        'no valid rows: every data row was rejected',
      ]);
      expect(report.files.find((f) => f.kind === 'NCASP')?.skipped).toEqual([
        { line: 2, reason: 'unclosed quoted field' },
      ]);
      expect(await snapshot(db)).toEqual(before);
    },
  );

  it.runIf(enabled)(
    'imports the good rows of a corrupted file and reports the bad ones by line',
    async () => {
      const file = csvFile('ART', [
        { ae_lei_name: 'Good One', ae_homeMemberState: 'DE', ac_authorisationNotificationDate: '01/01/2025' },
        { ae_lei_name: 'Bad Date', ac_authorisationNotificationDate: '32/01/2025' },
        { ae_lei_name: 'Good Two', ae_homeMemberState: 'FR' },
      ]).replace('Good Two', 'Good Two\r\nbroken,"line');
      const path = await writeCsv(dir.path, 'ART20260301.csv', file);
      const report = await importFiles(db, [path], { now });
      expect(report.errors).toEqual([]);
      // Line 4 was cut after 'Good Two'; line 5 opens a quote that never closes.
      expect(report.files[0]?.skipped).toEqual([
        { line: 3, reason: 'ac_authorisationNotificationDate: "32/01/2025" is not a DD/MM/YYYY date' },
        { line: 4, reason: 'expected 16 fields, found 3' },
        { line: 5, reason: 'unclosed quoted field' },
      ]);
      expect(await counts(db)).toEqual({ ART: 1 });
      expect((await syncRows(db))[0]).toMatchObject({ kind: 'ART', record_count: 1 });
      expect(formatImportReport(report)).toMatch(/line 3: ac_authorisationNotificationDate/);
    },
  );

  it.runIf(enabled)('reports unknown, missing and ignored files; only explicit ones are errors', async () => {
    await writeCsv(dir.path, 'notes.csv', 'a,b\n');
    await writeCsv(dir.path, 'ART20260301.csv', SYNTHETIC_ART);
    const explicit = await writeCsv(dir.path, 'register.txt', 'x');
    const missing = join(dir.path, 'nope', 'CASP20260209.csv');
    const report = await importFiles(db, [dir.path, explicit, missing], { now });
    expect(report.files.map((f) => [f.file.split('/').pop(), f.status])).toEqual([
      ['CASP20260209.csv', 'rejected'],
      ['notes.csv', 'ignored'],
      ['register.txt', 'rejected'],
      ['ART20260301.csv', 'imported'],
    ]);
    expect(report.errors.map((e) => e.file)).toEqual([missing, explicit]);
    expect(report.errors[0]?.reason).toBe('cannot read: ENOENT');
  });

  it.runIf(enabled)(
    'rolls a failing replacement back: the previous records and sync stay whole',
    async () => {
      await importFiles(db, [SHIPPED_SNAPSHOT_DIR], { now });
      const before = await snapshot(db);
      const syncBefore = await syncRows(db);
      const parsed = parseRegisterFile(
        'CASP20260209.csv',
        await readFile(join(SHIPPED_SNAPSHOT_DIR, SHIPPED_FILES.CASP)),
      );
      if (!parsed.ok) throw new Error(parsed.reason);
      // Record 120 breaks a CHECK constraint: the deletes and the first batch were already run.
      const broken = parsed.records.map((r, i) => (i === 120 ? { ...r, id: 'not-an-id' } : r));
      const meta = {
        fileName: 'CASP20260301.csv',
        fileSha256: 'a'.repeat(64),
        skipped: 0,
        importedAt: new Date(T0 + 5),
      };
      await expect(replaceKind(db, 'CASP', broken, meta)).rejects.toThrow();
      expect(await snapshot(db)).toEqual(before);
      expect(await syncRows(db)).toEqual(syncBefore);

      // The same when the connection fails mid-way (a statement after the first insert throws).
      let statements = 0;
      const failing: Database = {
        ...db,
        kind: db.kind,
        query: db.query.bind(db),
        close: db.close.bind(db),
        transaction: (fn) =>
          db.transaction((tx) =>
            fn({
              query: (sql, params) => {
                statements += 1;
                if (statements === 4) throw new Error('connection lost');
                return tx.query(sql, params);
              },
            }),
          ),
      };
      await expect(replaceKind(failing, 'CASP', parsed.records, meta)).rejects.toThrow('connection lost');
      expect(await snapshot(db)).toEqual(before);
      expect(await syncRows(db)).toEqual(syncBefore);
    },
  );

  it.runIf(enabled)(
    'refuses records of another kind (a caller bug) before touching the database',
    async () => {
      const parsed = parseRegisterFile('ART1.csv', SYNTHETIC_ART);
      if (!parsed.ok) throw new Error(parsed.reason);
      const meta = { fileName: 'x', fileSha256: 'a'.repeat(64), skipped: 0, importedAt: new Date(T0) };
      await expect(replaceKind(db, 'CASP', parsed.records, meta)).rejects.toThrow(TypeError);
      expect(await counts(db)).toEqual({});
    },
  );

  it.runIf(enabled)(
    'serialises concurrent imports of one kind: the last one wins, nothing doubles',
    async () => {
      await copyShipped(dir.path, ALL_KINDS);
      const runs = await Promise.all(
        Array.from({ length: 4 }, () => importFiles(db, [join(dir.path, SHIPPED_FILES.OTHER)], { now })),
      );
      for (const run of runs) expect(run.errors).toEqual([]);
      expect(await counts(db)).toEqual({ OTHER: 731 });
    },
  );
});
