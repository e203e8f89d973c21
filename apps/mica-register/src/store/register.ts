import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import {
  type DuplicateRow,
  detectKind,
  MAX_FILE_BYTES,
  parseRegisterFile,
  type RegisterRecord,
  type RowProblem,
} from '../register/importer.js';
import { REGISTER_KINDS, type RegisterKind } from '../register/model.js';

/** The ESMA snapshot shipped with the app (`apps/mica-register/data/esma`), from `src/` or `dist/`. */
export const SHIPPED_SNAPSHOT_DIR = fileURLToPath(new URL('../../data/esma', import.meta.url));

/** Facts about the file a kind is replaced from, recorded in `register_sync`. */
export interface ReplaceKindMeta {
  fileName: string;
  /** SHA-256 of the file's bytes, lowercase hex. */
  fileSha256: string;
  /** Rows of the file that were reported and not imported. */
  skipped: number;
  importedAt: Date;
}

/** What happened to one file of an import. */
interface FileImportReport {
  /** The path as found (a directory argument joined with the file name). */
  file: string;
  kind: RegisterKind | null;
  /**
   * `imported`: its kind now holds exactly its records. `rejected`: nothing of it was written and
   * the kind keeps its previous data. `superseded`: a newer file of the same kind was given.
   * `ignored`: a `.csv` in a given directory whose name names no register.
   */
  status: 'imported' | 'rejected' | 'superseded' | 'ignored';
  /** Records written (0 unless imported). */
  records: number;
  /** Data rows read, including skipped and duplicate ones. */
  rows: number;
  /** Rows identical to an earlier row of the file: one record (SPEC §5.3). */
  duplicates: DuplicateRow[];
  /** Rows reported and not imported (bad quoting, field count, date, binary data). */
  skipped: RowProblem[];
  /** Why the file was rejected, superseded or ignored. */
  reason?: string;
}

/** The outcome of {@link importFiles}. `errors` lists every rejected file; empty means success. */
export interface ImportReport {
  files: FileImportReport[];
  errors: { file: string; reason: string }[];
}

export interface ImportOptions {
  /** Clock, ms since the epoch: the `imported_at` of the records and of `register_sync`. */
  now: () => number;
  /** Called after any kind was replaced, e.g. to drop response caches of this process. */
  onImported?: () => void;
}

// Serialises register writers across processes (two imports of one kind would otherwise both
// delete and then collide on insert). Any constant unique to this app; readers never wait on it.
const REGISTER_WRITE_LOCK = '4923017731886120';
const INSERT_BATCH = 100;
const COLUMNS = [
  'id',
  'kind',
  'license_type',
  'entity_type',
  'entity_name',
  'entity_identifier',
  'country',
  'country_code',
  'national_authority',
  'commercial_name',
  'address',
  'website',
  'website_platform',
  'authorization_date',
  'authorization_end_date',
  'services',
  'passported_countries',
  'comments',
  'search_text',
  'sort_name',
  'source_file',
  'source_line',
  'source_fields',
  'imported_at',
] as const;
// Explicit casts: the same parameter text means the same value on pg and PGlite.
const CASTS: Partial<Record<(typeof COLUMNS)[number], string>> = {
  authorization_date: '::date',
  authorization_end_date: '::date',
  services: '::text[]',
  passported_countries: '::text[]',
  source_line: '::integer',
  source_fields: '::jsonb',
  imported_at: '::timestamptz',
};

/**
 * Replaces every record of `kind` with `records` and records the sync, in ONE transaction
 * (SPEC §5.3: each ESMA file is a full snapshot of its register). If anything fails the
 * transaction rolls back and the previous records stay whole; the error is rethrown.
 *
 * @throws TypeError when a record is not of `kind` (a caller bug); database errors as thrown.
 * @example
 * const parsed = parseRegisterFile('CASP20260209.csv', bytes);
 * if (parsed.ok) await replaceKind(db, 'CASP', parsed.records, { fileName, fileSha256, skipped: 0, importedAt: new Date() });
 */
export async function replaceKind(
  db: Database,
  kind: RegisterKind,
  records: readonly RegisterRecord[],
  meta: ReplaceKindMeta,
): Promise<void> {
  if (records.some((record) => record.kind !== kind)) {
    throw new TypeError(`replaceKind: every record must be of kind ${kind}`);
  }
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [REGISTER_WRITE_LOCK]);
    await tx.query('DELETE FROM register_records WHERE kind = $1', [kind]);
    for (let start = 0; start < records.length; start += INSERT_BATCH) {
      const batch = records.slice(start, start + INSERT_BATCH);
      const params: unknown[] = [];
      const tuples = batch.map((record) => {
        const values = rowValues(record, meta);
        const placeholders = COLUMNS.map((column) => {
          params.push(values[column]);
          return `$${params.length}${CASTS[column] ?? ''}`;
        });
        return `(${placeholders.join(', ')})`;
      });
      await tx.query(
        `INSERT INTO register_records (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
        params,
      );
    }
    await tx.query(
      `INSERT INTO register_sync (kind, file_name, file_sha256, record_count, skipped_count, imported_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (kind) DO UPDATE SET file_name = EXCLUDED.file_name, file_sha256 = EXCLUDED.file_sha256,
         record_count = EXCLUDED.record_count, skipped_count = EXCLUDED.skipped_count,
         imported_at = EXCLUDED.imported_at`,
      [kind, meta.fileName, meta.fileSha256, records.length, meta.skipped, meta.importedAt],
    );
  });
}

function rowValues(record: RegisterRecord, meta: ReplaceKindMeta): Record<(typeof COLUMNS)[number], unknown> {
  const searchable = [
    record.entityName,
    record.entityIdentifier,
    record.nationalAuthority,
    record.commercialName,
  ];
  return {
    id: record.id,
    kind: record.kind,
    license_type: record.licenseType,
    entity_type: record.entityType,
    entity_name: record.entityName,
    entity_identifier: record.entityIdentifier,
    country: record.country,
    country_code: record.countryCode,
    national_authority: record.nationalAuthority,
    commercial_name: record.commercialName,
    address: record.address,
    website: record.website,
    website_platform: record.websitePlatform,
    authorization_date: record.authorizationDate,
    authorization_end_date: record.authorizationEndDate,
    services: record.services,
    passported_countries: record.passportedCountries,
    comments: record.comments,
    search_text: searchText(searchable),
    sort_name: record.entityName === null ? null : record.entityName.toLowerCase(),
    source_file: meta.fileName,
    source_line: record.sourceLine,
    source_fields: JSON.stringify(record.sourceFields),
    imported_at: meta.importedAt,
  };
}

/**
 * The `search_text` of a record: its searchable fields, lower-cased, one per line. Queries
 * lower-case the same way and match with `strpos`, so search behaves the same on every backend.
 *
 * @example
 * searchText(['Bybit EU GmbH', null]) // 'bybit eu gmbh'
 */
function searchText(values: readonly (string | null)[]): string {
  return values
    .filter((value): value is string => value !== null)
    .join('\n')
    .toLowerCase();
}

interface Candidate {
  file: string;
  explicit: boolean;
}

/**
 * Imports ESMA register files: each path is a `.csv` file or a directory (its `*.csv` files).
 * Per kind the newest file (by name: ESMA names end in `YYYYMMDD`) is parsed and, unless rejected,
 * replaces that kind in one transaction; older files of the kind are reported `superseded`.
 * A rejected file (unknown name, wrong header, unreadable, too large, nothing usable) leaves its
 * kind untouched and is listed in `errors`. Bad rows are reported and skipped.
 *
 * @throws database errors (infrastructure); kinds imported before the failure stay imported.
 * @example
 * const report = await importFiles(db, ['data/esma'], { now: Date.now });
 * if (report.errors.length > 0) process.exitCode = 1;
 */
export async function importFiles(
  db: Database,
  paths: readonly string[],
  options: ImportOptions,
): Promise<ImportReport> {
  const report: ImportReport = { files: [], errors: [] };
  const reject = (entry: FileImportReport, reason: string) => {
    entry.status = 'rejected';
    entry.reason = reason;
    report.errors.push({ file: entry.file, reason });
  };
  const entryFor = (file: string, kind: RegisterKind | null): FileImportReport => ({
    file,
    kind,
    status: 'rejected',
    records: 0,
    rows: 0,
    duplicates: [],
    skipped: [],
  });

  const candidates = await expandPaths(paths, (file, reason) => {
    const entry = entryFor(file, null);
    reject(entry, reason);
    report.files.push(entry);
  });

  const byKind = new Map<RegisterKind, Candidate[]>();
  for (const candidate of candidates) {
    const kind = detectKind(candidate.file);
    if (kind === undefined) {
      const entry = entryFor(candidate.file, null);
      const reason = 'file name does not name a register: expected CASP, EMT, ART, OTHER or NCASP<date>.csv';
      if (candidate.explicit) reject(entry, reason);
      else Object.assign(entry, { status: 'ignored', reason });
      report.files.push(entry);
      continue;
    }
    byKind.set(kind, [...(byKind.get(kind) ?? []), candidate]);
  }

  let changed = false;
  for (const kind of REGISTER_KINDS) {
    const files = (byKind.get(kind) ?? []).sort((a, b) => compareNames(basename(a.file), basename(b.file)));
    const chosen = files.pop();
    if (chosen === undefined) continue;
    const entry = entryFor(chosen.file, kind);
    report.files.push(entry);
    for (const older of files) {
      report.files.push({
        ...entryFor(older.file, kind),
        status: 'superseded',
        reason: `superseded by ${basename(chosen.file)}`,
      });
    }

    const read = await readBounded(chosen.file);
    if (!read.ok) {
      reject(entry, read.reason);
      continue;
    }
    const parsed = parseRegisterFile(basename(chosen.file), read.bytes);
    entry.skipped = parsed.skipped;
    if (!parsed.ok) {
      reject(entry, parsed.reason);
      continue;
    }
    await replaceKind(db, kind, parsed.records, {
      fileName: basename(chosen.file),
      fileSha256: createHash('sha256').update(read.bytes).digest('hex'),
      skipped: parsed.skipped.length,
      importedAt: new Date(options.now()),
    });
    changed = true;
    Object.assign(entry, {
      status: 'imported',
      records: parsed.records.length,
      rows: parsed.rows,
      duplicates: parsed.duplicates,
    });
  }
  if (changed) options.onImported?.();
  return report;
}

/**
 * Imports the snapshot in `dataDir` (usually {@link SHIPPED_SNAPSHOT_DIR}) when the register has
 * never been imported (no `register_sync` row); otherwise does nothing and returns `null`.
 * Safe to run from several processes at once: each kind's replacement is serialised and the
 * same files give the same records.
 *
 * @example
 * const report = await ensureImported(db, SHIPPED_SNAPSHOT_DIR, { now: Date.now });
 * if (report) logger.info({ files: report.files.length }, 'register imported');
 */
export async function ensureImported(
  db: Database,
  dataDir: string,
  options: ImportOptions,
): Promise<ImportReport | null> {
  const { rows } = await db.query<{ imported: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM register_sync) AS imported',
  );
  if (rows[0]?.imported === true) return null;
  return importFiles(db, [dataDir], options);
}

// ESMA names end in YYYYMMDD, so the newest file of a kind sorts last by name.
function compareNames(a: string, b: string): number {
  const left = a.toUpperCase();
  const right = b.toUpperCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

async function expandPaths(
  paths: readonly string[],
  onError: (file: string, reason: string) => void,
): Promise<Candidate[]> {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  const add = (file: string, explicit: boolean) => {
    const key = resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ file, explicit });
  };
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (err) {
      onError(path, `cannot read: ${errorCode(err)}`);
      continue;
    }
    if (info.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(path);
      } catch (err) {
        onError(path, `cannot list directory: ${errorCode(err)}`);
        continue;
      }
      for (const name of names.filter((n) => n.toLowerCase().endsWith('.csv')).sort())
        add(join(path, name), false);
    } else {
      add(path, true);
    }
  }
  return out;
}

// The reason is a sentence for the import report, like the importer's.
async function readBounded(file: string): Promise<Result<{ bytes: Buffer }, string>> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, reason: 'not a regular file' };
    if (info.size > MAX_FILE_BYTES)
      return { ok: false, reason: `file is larger than ${MAX_FILE_BYTES} bytes` };
    return { ok: true, bytes: await readFile(file) };
  } catch (err) {
    return { ok: false, reason: `cannot read: ${errorCode(err)}` };
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'I/O error';
}
