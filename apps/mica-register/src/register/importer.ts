import { createHash } from 'node:crypto';
import type { Result } from '@portcullis/errors';
import { CsvError, parse } from 'csv-parse/sync';
import { countryName, isEeaCountry, normaliseCountryCode } from './countries.js';
import {
  type EntityType,
  type Issuer,
  type IssuerStatus,
  KIND_INFO,
  type LicenseType,
  REGISTER_KINDS,
  type RegisterKind,
} from './model.js';

// The ESMA interim MiCA register files, parsed as ESMA publishes them (SPEC §5.3,
// data/esma/README.md). Pure: file contents in, records and a report out; never throws on content.

/** Largest file accepted, in bytes. ESMA's largest register file is about 150 KB. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;
/**
 * More bad rows than this and the file is rejected as a whole: it is not a register snapshot, and
 * each unparseable row costs a re-scan of up to {@link MAX_RECORD_CHARS} characters.
 */
export const MAX_SKIPPED_ROWS = 1000;
/** Largest record, in characters: bounds how far an unclosed quote can run before it is reported. */
const MAX_RECORD_CHARS = 65_536;

/** The columns of each file kind, in order, as ESMA publishes them (trailing unnamed columns aside). */
export const EXPECTED_COLUMNS: Readonly<Record<RegisterKind, readonly string[]>> = {
  CASP: [
    'ae_competentAuthority',
    'ae_homeMemberState',
    'ae_lei_name',
    'ae_lei',
    'ae_lei_cou_code',
    'ae_commercial_name',
    'ae_address',
    'ae_website',
    'ae_website_platform',
    'ac_authorisationNotificationDate',
    'ac_authorisationEndDate',
    'ac_serviceCode',
    'ac_serviceCode_cou',
    'ac_comments',
    'ac_lastupdate',
  ],
  EMT: [
    'ae_competentAuthority',
    'ae_homeMemberState',
    'ae_lei_name',
    'ae_lei',
    'ae_lei_cou_code',
    'ae_commercial_name',
    'ae_address',
    'ae_website',
    'ac_authorisationNotificationDate',
    'ac_authorisationEndDate',
    'ae_exemption48_4',
    'ae_exemption48_5',
    'ae_authorisation_other_emt',
    'ae_DTI_FFG',
    'ae_DTI',
    'wp_url',
    'wp_authorisationNotificationDate',
    'wp_comments',
    'wp_lastupdate',
  ],
  ART: [
    'ae_competentAuthority',
    'ae_homeMemberState',
    'ae_lei_name',
    'ae_lei',
    'ae_lei_cou_code',
    'ae_commercial_name',
    'ae_address',
    'ae_website',
    'ac_authorisationNotificationDate',
    'ac_authorisationEndDate',
    'ae_credit_institution',
    'wp_url',
    'wp_authorisationNotificationDate',
    'wp_url_cou',
    'wp_comments',
    'wp_lastupdate',
  ],
  OTHER: [
    'ae_competentAuthority',
    'ae_homeMemberState',
    'ae_lei_name',
    'ae_lei',
    'ae_lei_cou_code',
    'ae_lei_name_casp',
    'ae_lei_casp',
    'ae_offerCode_cou',
    'ae_DTI_FFG',
    'ae_DTI',
    'wp_url',
    'wp_comments',
    'wp_lastupdate',
  ],
  NCASP: [
    'ae_competentAuthority',
    'ae_homeMemberState',
    'ae_lei_name',
    'ae_lei',
    'ae_lei_cou_code',
    'ae_commercial_name',
    'ae_website',
    'ae_infrigment',
    'ae_reason',
    'ae_decision_date',
    'ae_comments',
    'ae_lastupdate',
  ],
};

/** One register row, mapped (SPEC §5.3 issuer fields except the time-dependent `status`). */
export interface RegisterRecord {
  /** `mica_` + 20 hex of SHA-256 over the kind and the row's normalised cells. */
  id: string;
  kind: RegisterKind;
  licenseType: LicenseType;
  entityType: EntityType;
  entityName: string | null;
  entityIdentifier: string | null;
  country: string | null;
  countryCode: string | null;
  nationalAuthority: string | null;
  commercialName: string | null;
  address: string | null;
  website: string | null;
  websitePlatform: string | null;
  /** `YYYY-MM-DD`. */
  authorizationDate: string | null;
  /** `YYYY-MM-DD`. */
  authorizationEndDate: string | null;
  services: string[];
  passportedCountries: string[];
  comments: string | null;
  /** 1-based line where the row starts in its file (the header is line 1). */
  sourceLine: number;
  /** The row's normalised cells by column name, every named column (for audit and later mappings). */
  sourceFields: Record<string, string>;
}

/** A row that was not imported, and why. */
export interface RowProblem {
  /** 1-based line where the row starts. */
  line: number;
  reason: string;
}

/** A row identical (after normalisation) to an earlier one: one record (SPEC §5.3). */
export interface DuplicateRow {
  line: number;
  firstLine: number;
}

/**
 * What {@link parseRegisterFile} made of one file: its records, or why the whole file was rejected
 * (nothing of it may be imported). The importer's reasons, here and for rows, are sentences for
 * the import report the operator reads (they name columns, counts and limits), not codes.
 */
export type ParseFileResult = Result<
  {
    file: string;
    kind: RegisterKind;
    records: RegisterRecord[];
    /** Data rows read (blank lines aside), including skipped and duplicate ones. */
    rows: number;
    skipped: RowProblem[];
    duplicates: DuplicateRow[];
  },
  string,
  { file: string; kind: RegisterKind | null; skipped: RowProblem[] }
>;

const KIND_FROM_NAME = /^(CASP|EMT|ART|OTHER|NCASP)(?![A-Za-z]).*\.csv$/i;

/**
 * The register a file holds, from its name: ESMA names them `<KIND><YYYYMMDD>.csv`
 * (`CASP20260209.csv`). Case-insensitive; directories in `fileName` are ignored.
 *
 * @example
 * detectKind('downloads/NCASP20260209.csv') // 'NCASP'
 * detectKind('notes.csv') // undefined
 */
export function detectKind(fileName: string): RegisterKind | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const match = KIND_FROM_NAME.exec(base);
  const prefix = match?.[1]?.toUpperCase();
  return REGISTER_KINDS.find((kind) => kind === prefix);
}

/**
 * Parses one ESMA register file into records. Never throws on content: a bad row (wrong number of
 * fields, broken quoting, an invalid date, binary data) is reported with its line and skipped; a
 * wrong file (unknown name, a header that is not this register's, too large, nothing usable) is
 * rejected whole, so the caller keeps the previous data.
 *
 * Copes with what ESMA publishes: a UTF-8 BOM, CRLF, quoted fields spanning lines, U+FFFD left by
 * upstream mis-encoding (kept), `|`-separated multi-values, `DD/MM/YYYY` dates, empty trailing
 * columns, blank LEIs. Rows identical after normalisation are one record.
 *
 * @param fileName - the file's name (its prefix says the kind); used in reports
 * @param content - the raw bytes (decoded as UTF-8; invalid bytes become U+FFFD) or decoded text
 * @example
 * const result = parseRegisterFile('CASP20260209.csv', await readFile(path));
 * if (result.ok) console.log(result.records.length, result.skipped);
 * else console.error(result.reason);
 */
export function parseRegisterFile(fileName: string, content: Uint8Array | string): ParseFileResult {
  const kind = detectKind(fileName) ?? null;
  const reject = (reason: string, skipped: RowProblem[] = []): ParseFileResult => ({
    ok: false,
    file: fileName,
    kind,
    reason,
    skipped,
  });
  if (kind === null) {
    return reject('file name does not name a register: expected CASP, EMT, ART, OTHER or NCASP<date>.csv');
  }
  const size = typeof content === 'string' ? content.length : content.byteLength;
  if (size > MAX_FILE_BYTES) return reject(`file is larger than ${MAX_FILE_BYTES} bytes`);

  const text = decode(content);
  const split = splitRecords(text);
  const header = split.records[0];
  if (header === undefined || header.line !== 1) {
    const first = split.problems[0];
    return reject(first?.line === 1 ? `header is not valid CSV: ${first.reason}` : 'file is empty');
  }
  const columns = EXPECTED_COLUMNS[kind];
  const headerProblem = checkHeader(kind, header.cells, columns);
  if (headerProblem !== undefined) return reject(headerProblem);
  if (split.aborted) {
    return reject(`more than ${MAX_SKIPPED_ROWS} malformed rows: not a register file`, split.problems);
  }

  const skipped: RowProblem[] = [...split.problems];
  const duplicates: DuplicateRow[] = [];
  const records: RegisterRecord[] = [];
  const firstLineOf = new Map<string, number>();
  let rows = 0;
  for (const { line, cells } of split.records.slice(1)) {
    if (cells.every((cell) => cell.trim() === '')) continue;
    rows += 1;
    const mapped = mapRow(kind, columns, cells, line);
    if (!mapped.ok) {
      skipped.push({ line, reason: mapped.reason });
      continue;
    }
    const firstLine = firstLineOf.get(mapped.record.id);
    if (firstLine !== undefined) {
      duplicates.push({ line, firstLine });
      continue;
    }
    firstLineOf.set(mapped.record.id, line);
    records.push(mapped.record);
  }
  skipped.sort((a, b) => a.line - b.line);
  if (skipped.length > MAX_SKIPPED_ROWS) {
    return reject(`more than ${MAX_SKIPPED_ROWS} malformed rows: not a register file`, skipped);
  }
  // Importing a file replaces its whole register: a file whose every row is bad would wipe it.
  if (records.length === 0 && skipped.length > 0) {
    return reject('no valid rows: every data row was rejected', skipped);
  }
  return {
    ok: true,
    file: fileName,
    kind,
    records,
    rows: rows + skippedBeforeMapping(split),
    skipped,
    duplicates,
  };
}

/**
 * The status of a record at `now` (SPEC §5.3): `non_compliant` for the NCASP register, `expired`
 * once the authorisation end date is before today (UTC), else `active`. An end date of today is
 * still active: the authorisation holds through that day.
 *
 * @param now - ms since the epoch
 * @example
 * issuerStatus({ kind: 'CASP', authorizationEndDate: '2025-01-31' }, Date.parse('2026-02-09')) // 'expired'
 */
export function issuerStatus(
  record: Pick<RegisterRecord, 'kind' | 'authorizationEndDate'>,
  now: number,
): IssuerStatus {
  if (record.kind === 'NCASP') return 'non_compliant';
  if (record.authorizationEndDate !== null && record.authorizationEndDate < utcDay(now)) return 'expired';
  return 'active';
}

/**
 * The published issuer object of a record at `now` (SPEC §5.3).
 *
 * @param now - ms since the epoch
 * @example
 * const issuer = toIssuer(record, Date.now());
 */
export function toIssuer(record: RegisterRecord, now: number): Issuer {
  return {
    id: record.id,
    entityName: record.entityName,
    entityIdentifier: record.entityIdentifier,
    licenseType: record.licenseType,
    entityType: record.entityType,
    country: record.country,
    countryCode: record.countryCode,
    nationalAuthority: record.nationalAuthority,
    commercialName: record.commercialName,
    address: record.address,
    website: record.website,
    websitePlatform: record.websitePlatform,
    authorizationDate: record.authorizationDate,
    authorizationEndDate: record.authorizationEndDate,
    services: [...record.services],
    passportedCountries: [...record.passportedCountries],
    status: issuerStatus(record, now),
    comments: record.comments,
  };
}

/**
 * The UTC calendar day of `now`, `YYYY-MM-DD`: the day statuses are evaluated against.
 *
 * @param now - ms since the epoch
 * @example
 * utcDay(Date.parse('2026-02-09T23:59:59Z')) // '2026-02-09'
 */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Records from text

interface RawRecord {
  line: number;
  cells: string[];
}

interface SplitResult {
  records: RawRecord[];
  /** Rows csv-parse could not read (broken quoting, over-long records). */
  problems: RowProblem[];
  aborted: boolean;
}

function decode(content: Uint8Array | string): string {
  // TextDecoder drops a leading BOM and turns invalid UTF-8 into U+FFFD (kept, as ESMA's own are).
  const text =
    typeof content === 'string' ? content.replace(/^\uFEFF/, '') : new TextDecoder().decode(content);
  // One line-break convention, so csv-parse's line counts are physical lines and quoted CRLFs
  // inside fields read as plain newlines.
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Splits text into CSV records with csv-parse, keeping each record's first line. csv-parse cannot
 * resume after a quoting error (an unclosed quote swallows the rest of the file), so on an error
 * the record's first line is reported and parsing restarts on the line after it: every other row
 * of the file is still read, and the rescan is bounded by `max_record_size`.
 */
function splitRecords(text: string): SplitResult {
  const records: RawRecord[] = [];
  const problems: RowProblem[] = [];
  const lineStarts = [0, 0]; // lineStarts[n] = offset of line n (1-based)
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineCount = lineStarts.length - 1;

  let firstLine = 1;
  while (firstLine <= lineCount) {
    const base = firstLine - 1;
    let lastEnd = base;
    try {
      parse(text.slice(lineStarts[firstLine]), {
        relax_column_count: true,
        max_record_size: MAX_RECORD_CHARS,
        // `info.lines` (the record's info, passed here as the context) is the line the record ends
        // on; it starts on the line after the previous record's end.
        on_record: (record, info) => {
          records.push({ line: lastEnd + 1, cells: record });
          lastEnd = base + info.lines;
          return null;
        },
      });
      break;
    } catch (err) {
      // Anything but a CSV error is a bug or a broken runtime, not bad input.
      if (!(err instanceof CsvError)) throw err;
      const line = lastEnd + 1;
      problems.push({ line, reason: csvErrorReason(err) });
      if (problems.length > MAX_SKIPPED_ROWS) return { records, problems, aborted: true };
      firstLine = line + 1;
    }
  }
  return { records, problems, aborted: false };
}

function csvErrorReason(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unclosed quoted field';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'invalid quoting: a closing quote is followed by other characters';
    case 'INVALID_OPENING_QUOTE':
      return 'invalid quoting: a quote inside an unquoted field';
    case 'CSV_MAX_RECORD_SIZE':
      return `record longer than ${MAX_RECORD_CHARS} characters (unclosed quote?)`;
    default:
      return `unreadable CSV (${err.code})`;
  }
}

// Rows counted by the splitter as problems are data rows too (the header never is one).
function skippedBeforeMapping(split: SplitResult): number {
  return split.problems.filter((problem) => problem.line > 1).length;
}

function checkHeader(kind: RegisterKind, cells: string[], columns: readonly string[]): string | undefined {
  const names = cells.map((cell) => cell.replace(/^\uFEFF/, '').trim());
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  for (let i = 0; i < Math.max(names.length, columns.length); i += 1) {
    const got = names[i];
    const want = columns[i];
    if (got === want) continue;
    const where = `column ${i + 1}`;
    if (want === undefined)
      return `header does not match the ${kind} register: unexpected ${where} ${quote(got)}`;
    if (got === undefined) return `header does not match the ${kind} register: ${where} ${want} is missing`;
    return `header does not match the ${kind} register: ${where} is ${quote(got)}, expected ${want}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// One row to one record

type MapResult = Result<{ record: RegisterRecord }, string>;

// C0 controls other than tab and newline, DEL, and the non-characters U+FFFE/U+FFFF: binary data.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F\uFFFE\uFFFF]/;
const REPLACEMENT = /\uFFFD/g;

function mapRow(kind: RegisterKind, columns: readonly string[], raw: string[], line: number): MapResult {
  if (raw.length < columns.length) {
    return { ok: false, reason: `expected ${columns.length} fields, found ${raw.length}` };
  }
  // ESMA pads some files with unnamed empty columns; a value there means the columns have shifted.
  if (raw.slice(columns.length).some((cell) => cell.trim() !== '')) {
    return { ok: false, reason: `unexpected value after the last column (${raw.length} fields)` };
  }
  const cells = raw.slice(0, columns.length).map(normaliseCell);
  for (const [i, cell] of cells.entries()) {
    if (CONTROL.test(cell)) return { ok: false, reason: `${columns[i]}: control characters (binary data)` };
  }
  // A stray U+FFFD is ESMA's own mis-encoding and is kept; a row made of them is binary junk.
  const joined = cells.join('');
  const replacements = joined.match(REPLACEMENT)?.length ?? 0;
  if (replacements >= 8 && replacements * 10 > joined.length) {
    return { ok: false, reason: 'undecodable bytes (binary data)' };
  }

  const fields: Record<string, string> = {};
  columns.forEach((column, i) => {
    fields[column] = cells[i] ?? '';
  });
  const row = new Row(fields);
  const mapped = MAPPERS[kind](row);
  if (!mapped.ok) return mapped;

  const info = KIND_INFO[kind];
  const homeState = normaliseCountryCode(row.text('ae_homeMemberState') ?? '');
  const leiState = normaliseCountryCode(row.text('ae_lei_cou_code') ?? '');
  // A few rows leave the home member state blank; an EU/EEA legal seat stands in for it (a CASP or
  // issuer is authorised where it has its registered office, MiCA Art. 59, 16, 48).
  const countryCode = homeState ?? (leiState !== undefined && isEeaCountry(leiState) ? leiState : null);
  return {
    ok: true,
    record: {
      id: recordId(kind, cells),
      kind,
      licenseType: info.licenseType,
      entityType: info.entityType,
      nationalAuthority: row.text('ae_competentAuthority'),
      countryCode,
      country: countryCode === null ? null : countryName(countryCode),
      ...mapped.fields,
      sourceLine: line,
      sourceFields: fields,
    },
  };
}

/** Whitespace runs (tabs, no-break spaces) become one space; lines are trimmed; the cell is trimmed. */
function normaliseCell(cell: string): string {
  return cell
    .replace(/[ \t\u00A0]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .trim();
}

function recordId(kind: RegisterKind, cells: readonly string[]): string {
  const digest = createHash('sha256')
    .update(`${kind}\n${JSON.stringify(cells)}`)
    .digest('hex');
  return `mica_${digest.slice(0, 20)}`;
}

type KindFields = Pick<
  RegisterRecord,
  | 'entityName'
  | 'entityIdentifier'
  | 'commercialName'
  | 'address'
  | 'website'
  | 'websitePlatform'
  | 'authorizationDate'
  | 'authorizationEndDate'
  | 'services'
  | 'passportedCountries'
  | 'comments'
>;
type KindMapResult = Result<{ fields: KindFields }, string>;

class DateError {
  constructor(readonly reason: string) {}
}

/** Typed access to one row's normalised cells. */
class Row {
  constructor(private readonly fields: Readonly<Record<string, string>>) {}

  /** The cell, or `null` when blank. */
  text(column: string): string | null {
    const value = this.fields[column] ?? '';
    return value === '' ? null : value;
  }

  /** A `DD/MM/YYYY` cell as `YYYY-MM-DD`; `null` when blank or a placeholder; throws DateError otherwise. */
  date(column: string): string | null {
    const value = this.fields[column] ?? '';
    const parsed = parseEsmaDate(value);
    if (parsed === undefined) throw new DateError(`${column}: ${quote(value)} is not a DD/MM/YYYY date`);
    return parsed;
  }
}

const DATE_PLACEHOLDERS = new Set(['', '-', 'n/a', 'na', 'none']);
const DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** `DD/MM/YYYY` → `YYYY-MM-DD`; `null` for blank or placeholder cells; `undefined` when invalid. */
export function parseEsmaDate(value: string): string | null | undefined {
  const trimmed = value.trim();
  if (DATE_PLACEHOLDERS.has(trimmed.toLowerCase())) return null;
  const match = DMY.exec(trimmed);
  if (match === null) return undefined;
  const day = Number(match[1]);
  const month = Number(match[2]);
  const year = Number(match[3]);
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) return undefined;
  // Day 0 of the next month is the last day of this one (leap years included).
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Multi-value cells: ESMA separates with `|` (sometimes ` | `) and, in a few cells, newlines. */
function splitValues(value: string | null, separator: RegExp = /[|\n]/): string[] {
  if (value === null) return [];
  const out: string[] = [];
  for (const part of value.split(separator)) {
    const trimmed = part.trim();
    if (trimmed !== '' && !out.includes(trimmed)) out.push(trimmed);
  }
  return out;
}

/** Websites: one string, several URLs joined by ` | `. */
function websites(value: string | null): string | null {
  const list = splitValues(value);
  return list.length === 0 ? null : list.join(' | ');
}

// Services are MiCA Art. 3(1)(16) letters with their text: `a. providing custody …`. ESMA's cells
// also separate them with `;` or `, <letter>.`, write `a.\tproviding` or `j.providing`, and end some
// with `.` or `;`: those are normalised; the wording itself is kept as published.
const SERVICE_SEPARATOR = /[|\n;]|,\s*(?=[a-j]\.)/;
function services(value: string | null): string[] {
  const out: string[] = [];
  for (const part of splitValues(value, SERVICE_SEPARATOR)) {
    const cleaned = part.replace(/[\s.;,]+$/, '').replace(/^([a-j])\.\s*/, '$1. ');
    if (cleaned !== '' && !out.includes(cleaned)) out.push(cleaned);
  }
  return out;
}

/** Country lists: two-letter codes only (upper case, `EL` → `GR`), in published order, once each. */
function countries(value: string | null): string[] {
  const out: string[] = [];
  for (const part of splitValues(value, /[|\n,;]/)) {
    const code = normaliseCountryCode(part);
    if (code !== undefined && !out.includes(code)) out.push(code);
  }
  return out;
}

function comments(...parts: (string | null)[]): string | null {
  const kept = parts.filter((part): part is string => part !== null && part !== '');
  return kept.length === 0 ? null : kept.join('\n');
}

function withDates(map: (row: Row) => KindFields): (row: Row) => KindMapResult {
  return (row) => {
    try {
      return { ok: true, fields: map(row) };
    } catch (err) {
      if (err instanceof DateError) return { ok: false, reason: err.reason };
      throw err;
    }
  };
}

// Field mapping per file kind (README "Field mapping"). The common fields (authority, country,
// license and entity type) are mapped in mapRow.
const MAPPERS: Readonly<Record<RegisterKind, (row: Row) => KindMapResult>> = {
  CASP: withDates((row) => ({
    entityName: row.text('ae_lei_name') ?? row.text('ae_commercial_name'),
    entityIdentifier: row.text('ae_lei'),
    commercialName: row.text('ae_commercial_name'),
    address: row.text('ae_address'),
    website: websites(row.text('ae_website')),
    websitePlatform: websites(row.text('ae_website_platform')),
    authorizationDate: row.date('ac_authorisationNotificationDate'),
    authorizationEndDate: row.date('ac_authorisationEndDate'),
    services: services(row.text('ac_serviceCode')),
    passportedCountries: countries(row.text('ac_serviceCode_cou')),
    comments: comments(row.text('ac_comments')),
  })),
  // One row per white paper: the issuer's website, the white paper's URL as the platform link, the
  // issuer's own authorisation (credit or e-money institution) as the authorisation dates.
  EMT: withDates((row) => ({
    entityName: row.text('ae_lei_name') ?? row.text('ae_commercial_name'),
    entityIdentifier: row.text('ae_lei'),
    commercialName: row.text('ae_commercial_name'),
    address: row.text('ae_address'),
    website: websites(row.text('ae_website')),
    websitePlatform: websites(row.text('wp_url')),
    authorizationDate:
      row.date('ac_authorisationNotificationDate') ?? row.date('wp_authorisationNotificationDate'),
    authorizationEndDate: row.date('ac_authorisationEndDate'),
    services: [],
    passportedCountries: [],
    comments: comments(row.text('wp_comments')),
  })),
  ART: withDates((row) => ({
    entityName: row.text('ae_lei_name') ?? row.text('ae_commercial_name'),
    entityIdentifier: row.text('ae_lei'),
    commercialName: row.text('ae_commercial_name'),
    address: row.text('ae_address'),
    website: websites(row.text('ae_website')),
    websitePlatform: websites(row.text('wp_url')),
    authorizationDate:
      row.date('ac_authorisationNotificationDate') ?? row.date('wp_authorisationNotificationDate'),
    authorizationEndDate: row.date('ac_authorisationEndDate'),
    services: [],
    passportedCountries: countries(row.text('wp_url_cou')),
    comments: comments(row.text('wp_comments')),
  })),
  // White papers are notified, not authorised: the register's only date (wp_lastupdate, the
  // notification's publication) stands for the authorisation date. When no offeror is named, the
  // white paper was notified by the CASP seeking admission to trading (MiCA Art. 5): it is the entity.
  OTHER: withDates((row) => {
    const offeror = row.text('ae_lei_name') ?? row.text('ae_lei');
    const caspName = row.text('ae_lei_name_casp');
    const caspLei = row.text('ae_lei_casp');
    const caspIsEntity = offeror === null;
    const sameAsOfferor =
      (caspLei !== null && caspLei === row.text('ae_lei')) ||
      (caspName !== null && caspName === row.text('ae_lei_name'));
    const casp =
      caspIsEntity || sameAsOfferor || (caspName === null && caspLei === null)
        ? null
        : `Crypto-asset service provider: ${[caspName, caspLei === null ? null : `LEI ${caspLei}`].filter((x) => x !== null).join(', ')}`;
    return {
      entityName: caspIsEntity ? caspName : row.text('ae_lei_name'),
      entityIdentifier: caspIsEntity ? caspLei : row.text('ae_lei'),
      commercialName: null,
      address: null,
      website: null,
      websitePlatform: websites(row.text('wp_url')),
      authorizationDate: row.date('wp_lastupdate'),
      authorizationEndDate: null,
      services: [],
      passportedCountries: countries(row.text('ae_offerCode_cou')),
      comments: comments(row.text('wp_comments'), casp),
    };
  }),
  // Non-compliant entities are not authorised: no authorisation dates; the decision, its reason and
  // the infringement flag are the substance of the record and go to comments.
  NCASP: withDates((row) => {
    const decision = row.date('ae_decision_date');
    const reason = row.text('ae_reason');
    const infringement = row.text('ae_infrigment');
    return {
      entityName: row.text('ae_lei_name') ?? row.text('ae_commercial_name'),
      entityIdentifier: row.text('ae_lei'),
      commercialName: row.text('ae_commercial_name'),
      address: null,
      website: websites(row.text('ae_website')),
      websitePlatform: null,
      authorizationDate: null,
      authorizationEndDate: null,
      services: [],
      passportedCountries: [],
      comments: comments(
        decision === null ? null : `Decision date: ${decision}`,
        infringement === null ? null : `Infringement: ${infringement}`,
        reason === null || /^none$/i.test(reason) ? null : `Reason: ${reason}`,
        row.text('ae_comments'),
      ),
    };
  }),
};

/** A cell value for a report: quoted, control characters escaped, at most 40 characters. */
function quote(value: string | undefined): string {
  const text = value ?? '';
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
