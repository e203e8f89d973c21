import type { Queryable } from '@portcullis/db';
import { utcDay } from '../register/importer.js';
import {
  type EntityType,
  ISSUER_STATUSES,
  type Issuer,
  type IssuerStatus,
  KIND_INFO,
  type KindInfo,
  LICENSE_TYPES,
  type LicenseType,
  REGISTER_KINDS,
  type RegisterKind,
} from '../register/model.js';
import type { IssuerFilter, SortField } from '../register/query-params.js';
import {
  AUTHORISATION_LICENSE_TYPES,
  type CountrySummary,
  type LicenseTypeCount,
  type LicenseTypeSummary,
  RECENT_AUTHORIZATIONS,
  type RecentAuthorization,
  type RegisterHealth,
  type RegisterStatistics,
} from '../register/summaries.js';

// Read side of the register (SPEC §5.3): plain SQL through @portcullis/db, the same on Postgres and
// PGlite. Every value from a request is a bound parameter; ORDER BY is picked from fixed strings.
// Text is compared in JavaScript-lower-cased form (search_text, sort_name) with strpos and
// COLLATE "C", so results and order do not depend on the server's locale.

/** A page of issuers and the number matching the filters. */
export interface IssuerPage {
  total: number;
  issuers: Issuer[];
}

export interface ListIssuersQuery extends IssuerFilter {
  sortBy: SortField;
  sortOrder: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/** The last import of one register file. */
type SourceSummary = NonNullable<LicenseTypeSummary['source']> & { licenseType: LicenseType };

/** `GET /health` figures. */
type RegisterFigures = Pick<RegisterHealth, 'totalIssuers' | 'lastSync'>;

// Status is evaluated at request time against today's UTC date (DESIGN §6), bound as a parameter.
const statusSql = (today: string) => `CASE WHEN kind = 'NCASP' THEN 'non_compliant'
  WHEN authorization_end_date < ${today}::date THEN 'expired' ELSE 'active' END`;

const issuerColumns = (
  today: string,
) => `id, entity_name, entity_identifier, license_type, entity_type, country,
  country_code, national_authority, commercial_name, address, website, website_platform, authorization_date,
  authorization_end_date, services, passported_countries, comments, ${statusSql(today)} AS status`;

/** Bound parameters of one statement; `today` binds the UTC day once, when a statement needs it. */
class Bindings {
  readonly values: unknown[] = [];
  private todayRef: string | undefined;

  constructor(private readonly now: number) {}

  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  today(): string {
    this.todayRef ??= this.bind(utcDay(this.now));
    return this.todayRef;
  }
}

const BY_NAME = 'sort_name COLLATE "C" ASC NULLS LAST, id COLLATE "C" ASC';
// Every order ends with the id, so equal sort keys keep one order and pages never overlap.
const ORDER_BY: Readonly<Record<SortField, (dir: 'ASC' | 'DESC') => string>> = {
  entityName: (dir) => `sort_name COLLATE "C" ${dir} NULLS LAST, id COLLATE "C" ASC`,
  countryCode: (dir) => `country_code COLLATE "C" ${dir} NULLS LAST, ${BY_NAME}`,
  licenseType: (dir) => `license_type COLLATE "C" ${dir}, ${BY_NAME}`,
  authorizationDate: (dir) => `authorization_date ${dir} NULLS LAST, ${BY_NAME}`,
  status: (dir) => `status ${dir}, ${BY_NAME}`,
};

interface IssuerRow {
  id: string;
  entity_name: string | null;
  entity_identifier: string | null;
  license_type: LicenseType;
  entity_type: EntityType;
  country: string | null;
  country_code: string | null;
  national_authority: string | null;
  commercial_name: string | null;
  address: string | null;
  website: string | null;
  website_platform: string | null;
  authorization_date: string | null;
  authorization_end_date: string | null;
  services: string[];
  passported_countries: string[];
  comments: string | null;
  status: IssuerStatus;
}

function toIssuer(row: IssuerRow): Issuer {
  return {
    id: row.id,
    entityName: row.entity_name,
    entityIdentifier: row.entity_identifier,
    licenseType: row.license_type,
    entityType: row.entity_type,
    country: row.country,
    countryCode: row.country_code,
    nationalAuthority: row.national_authority,
    commercialName: row.commercial_name,
    address: row.address,
    website: row.website,
    websitePlatform: row.website_platform,
    authorizationDate: row.authorization_date,
    authorizationEndDate: row.authorization_end_date,
    services: row.services,
    passportedCountries: row.passported_countries,
    status: row.status,
    comments: row.comments,
  };
}

function whereClause(filter: IssuerFilter, sql: Bindings): string {
  const conditions: string[] = [];
  if (filter.licenseTypes.length > 0)
    conditions.push(`license_type = ANY(${sql.bind(filter.licenseTypes)}::text[])`);
  if (filter.entityTypes.length > 0)
    conditions.push(`entity_type = ANY(${sql.bind(filter.entityTypes)}::text[])`);
  if (filter.statuses.length > 0) {
    conditions.push(`(${statusSql(sql.today())}) = ANY(${sql.bind(filter.statuses)}::text[])`);
  }
  // SPEC §5.3: a two-letter value is a code (exact), a longer one part of the name; either matches.
  const country: string[] = [];
  if (filter.countryCodes.length > 0)
    country.push(`country_code = ANY(${sql.bind(filter.countryCodes)}::text[])`);
  if (filter.countryNames.length > 0) {
    country.push(
      `EXISTS (SELECT 1 FROM unnest(${sql.bind(filter.countryNames)}::text[]) AS needle(v) WHERE strpos(lower(country), needle.v) > 0)`,
    );
  }
  if (country.length > 0) conditions.push(`(${country.join(' OR ')})`);
  if (filter.search !== null) conditions.push(`strpos(search_text, ${sql.bind(filter.search)}) > 0`);
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

/**
 * One page of issuers matching `query`, and how many match in all (SPEC §5.3 `GET /issuers`).
 *
 * @param now - ms since the epoch: statuses are evaluated against its UTC day
 * @example
 * const page = await listIssuers(db, { ...parsed.value }, Date.now());
 */
export async function listIssuers(db: Queryable, query: ListIssuersQuery, now: number): Promise<IssuerPage> {
  const count = new Bindings(now);
  const counted = await db.query<{ total: number }>(
    `SELECT count(*)::integer AS total FROM register_records ${whereClause(query, count)}`,
    count.values,
  );
  const total = counted.rows[0]?.total ?? 0;
  if (total === 0 || query.offset >= total) return { total, issuers: [] };
  const sql = new Bindings(now);
  const columns = issuerColumns(sql.today());
  const where = whereClause(query, sql);
  const order = ORDER_BY[query.sortBy](query.sortOrder === 'desc' ? 'DESC' : 'ASC');
  const page = await db.query<IssuerRow>(
    `SELECT ${columns} FROM register_records ${where} ORDER BY ${order}
     LIMIT ${sql.bind(query.limit)}::integer OFFSET ${sql.bind(query.offset)}::integer`,
    sql.values,
  );
  return { total, issuers: page.rows.map(toIssuer) };
}

/**
 * One issuer by id, or `null` (SPEC §5.3 `GET /issuers/:id`).
 *
 * @param now - ms since the epoch (status)
 * @example
 * const issuer = await getIssuer(db, 'mica_0123456789abcdef0123', Date.now());
 */
export async function getIssuer(db: Queryable, id: string, now: number): Promise<Issuer | null> {
  const { rows } = await db.query<IssuerRow>(
    `SELECT ${issuerColumns('$1')} FROM register_records WHERE id = $2`,
    [utcDay(now), id],
  );
  const row = rows[0];
  return row === undefined ? null : toIssuer(row);
}

/**
 * Quick search (SPEC §5.3 `GET /search?q=`): the same fields as `search` (name, LEI, authority,
 * commercial name), ranked: exact LEI, then names starting with `q`, then names containing it,
 * then matches in the other fields; within a rank by name, then id.
 *
 * @param q - lower-cased search text
 * @param now - ms since the epoch (status)
 * @example
 * const { total, issuers } = await searchIssuers(db, { q: 'bybit', limit: 20, offset: 0 }, Date.now());
 */
export async function searchIssuers(
  db: Queryable,
  query: { q: string; limit: number; offset: number },
  now: number,
): Promise<IssuerPage> {
  const counted = await db.query<{ total: number }>(
    'SELECT count(*)::integer AS total FROM register_records WHERE strpos(search_text, $1) > 0',
    [query.q],
  );
  const total = counted.rows[0]?.total ?? 0;
  if (total === 0 || query.offset >= total) return { total, issuers: [] };
  const page = await db.query<IssuerRow>(
    `SELECT ${issuerColumns('$1')} FROM register_records WHERE strpos(search_text, $2) > 0
     ORDER BY CASE WHEN lower(entity_identifier) = $2 THEN 0
                   WHEN starts_with(sort_name, $2) THEN 1
                   WHEN strpos(sort_name, $2) > 0 THEN 2
                   ELSE 3 END,
              ${BY_NAME}
     LIMIT $3::integer OFFSET $4::integer`,
    [utcDay(now), query.q, query.limit, query.offset],
  );
  return { total, issuers: page.rows.map(toIssuer) };
}

/** Records of one license type in one country. */
interface CountryRow {
  license_type: LicenseType;
  country_code: string | null;
  country: string | null;
  n: number;
}

/** Records of one license type, status and country. */
interface GroupRow extends CountryRow {
  status: IssuerStatus;
}

interface SyncRow {
  kind: RegisterKind;
  file_name: string;
  record_count: number;
  skipped_count: number;
  imported_at: Date;
}

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

async function groups(db: Queryable, now: number): Promise<GroupRow[]> {
  const { rows } = await db.query<GroupRow>(
    `SELECT license_type, ${statusSql('$1')} AS status, country_code, country, count(*)::integer AS n
     FROM register_records GROUP BY 1, 2, 3, 4`,
    [utcDay(now)],
  );
  return rows;
}

async function sources(db: Queryable): Promise<SourceSummary[]> {
  const { rows } = await db.query<SyncRow>(
    'SELECT kind, file_name, record_count, skipped_count, imported_at FROM register_sync',
  );
  return REGISTER_KINDS.flatMap((kind) => {
    const row = rows.find((r) => r.kind === kind);
    return row === undefined
      ? []
      : [
          {
            licenseType: KIND_INFO[kind].licenseType,
            fileName: row.file_name,
            records: row.record_count,
            skippedRows: row.skipped_count,
            importedAt: row.imported_at.toISOString(),
          },
        ];
  });
}

function countries(rows: readonly CountryRow[]): CountrySummary[] {
  const byCode = new Map<string, CountrySummary>();
  for (const row of rows) {
    if (row.country_code === null) continue;
    const summary = byCode.get(row.country_code) ?? {
      code: row.country_code,
      name: row.country ?? row.country_code,
      count: 0,
      byLicenseType: zeros(LICENSE_TYPES),
    };
    if (row.country !== null) summary.name = row.country;
    summary.count += row.n;
    summary.byLicenseType[row.license_type] += row.n;
    byCode.set(row.country_code, summary);
  }
  return [...byCode.values()].sort(byCountThen((c) => c.code));
}

/** Every license type with its label and count: most records first, then by type (code points). */
function licenseTypeCounts(
  countOf: (type: LicenseType) => number,
): (LicenseTypeCount & { kind: KindInfo })[] {
  return REGISTER_KINDS.map((kind) => {
    const info = KIND_INFO[kind];
    return { type: info.licenseType, label: info.label, count: countOf(info.licenseType), kind: info };
  }).sort(byCountThen((t) => t.type));
}

interface RecentRow {
  entity_name: string | null;
  license_type: (typeof AUTHORISATION_LICENSE_TYPES)[number];
  country_code: string | null;
  authorization_date: string;
  id: string;
}

// Newest first; one day's authorisations by name, then id (the house order of equal sort keys).
// A date after today is not yet an authorisation (and `<=` leaves out records without a date).
async function recentAuthorizations(db: Queryable, now: number): Promise<RecentAuthorization[]> {
  const { rows } = await db.query<RecentRow>(
    `SELECT entity_name, license_type, country_code, authorization_date, id FROM register_records
     WHERE license_type = ANY($1::text[]) AND authorization_date <= $2::date
     ORDER BY authorization_date DESC, ${BY_NAME}
     LIMIT ${RECENT_AUTHORIZATIONS}`,
    [AUTHORISATION_LICENSE_TYPES, utcDay(now)],
  );
  return rows.map((row) => ({
    entityName: row.entity_name,
    licenseType: row.license_type,
    countryCode: row.country_code,
    authorizationDate: row.authorization_date,
    id: row.id,
  }));
}

/**
 * Register statistics at `now` (SPEC §5.3 `GET /statistics`), in the published shape: the number
 * of records, every license type and each home member state with its count (most first), the
 * records by status, the ten latest authorisations; then the time of the latest import.
 *
 * @param now - ms since the epoch: statuses, and which authorisation dates have passed, are
 *   evaluated against its UTC day
 * @example
 * const { totalEntities, licenseTypes } = await registerStatistics(db, Date.now());
 */
export async function registerStatistics(db: Queryable, now: number): Promise<RegisterStatistics> {
  const [rows, recent, sourceList] = await Promise.all([
    groups(db, now),
    recentAuthorizations(db, now),
    sources(db),
  ]);
  const byLicenseType = zeros(LICENSE_TYPES);
  const byStatus = zeros(ISSUER_STATUSES);
  let totalEntities = 0;
  for (const row of rows) {
    totalEntities += row.n;
    byLicenseType[row.license_type] += row.n;
    byStatus[row.status] += row.n;
  }
  return {
    totalEntities,
    licenseTypes: licenseTypeCounts((type) => byLicenseType[type]).map(({ type, label, count }) => ({
      type,
      label,
      count,
    })),
    countries: countries(rows).map(({ code, name, count }) => ({ code, name, count })),
    byStatus,
    recentAuthorizations: recent,
    lastSync: latest(sourceList),
  };
}

/**
 * Every license type, zeros included, with its label and record count (SPEC §5.3
 * `GET /license-types`), most records first, then by type; then its entity type, description
 * and the file it was last imported from.
 *
 * @example
 * const types = await licenseTypeSummaries(db); // [{ type: 'OTHER', label: 'Other Crypto-Asset White Paper', count: 731, … }, …]
 */
export async function licenseTypeSummaries(db: Queryable): Promise<LicenseTypeSummary[]> {
  const [{ rows }, sourceList] = await Promise.all([
    db.query<{ license_type: LicenseType; n: number }>(
      'SELECT license_type, count(*)::integer AS n FROM register_records GROUP BY license_type',
    ),
    sources(db),
  ]);
  return licenseTypeCounts((type) => rows.find((row) => row.license_type === type)?.n ?? 0).map(
    ({ type, label, count, kind }) => {
      const source = sourceList.find((s) => s.licenseType === type);
      return {
        type,
        label,
        count,
        entityType: kind.entityType,
        description: kind.description,
        source:
          source === undefined
            ? null
            : {
                fileName: source.fileName,
                records: source.records,
                skippedRows: source.skippedRows,
                importedAt: source.importedAt,
              },
      };
    },
  );
}

/**
 * The home member states with at least one record (SPEC §5.3 `GET /countries`), most records
 * first, then by code; each with its records per license type.
 *
 * @example
 * const list = await countrySummaries(db); // [{ code: 'IE', name: 'Ireland', count: 288, byLicenseType: { … } }, …]
 */
export async function countrySummaries(db: Queryable): Promise<CountrySummary[]> {
  const { rows } = await db.query<CountryRow>(
    `SELECT license_type, country_code, country, count(*)::integer AS n
     FROM register_records WHERE country_code IS NOT NULL GROUP BY 1, 2, 3`,
  );
  return countries(rows);
}

/**
 * Figures of `GET /health` (SPEC §5.3): the number of records and the last import.
 *
 * @example
 * const { totalIssuers, lastSync } = await registerHealth(db);
 */
export async function registerHealth(db: Queryable): Promise<RegisterFigures> {
  const { rows } = await db.query<{ total: number; last_sync: Date | null }>(
    `SELECT (SELECT count(*)::integer FROM register_records) AS total,
            (SELECT max(imported_at) FROM register_sync) AS last_sync`,
  );
  const row = rows[0];
  return { totalIssuers: row?.total ?? 0, lastSync: row?.last_sync ? row.last_sync.toISOString() : null };
}

function latest(list: readonly SourceSummary[]): string | null {
  return list.reduce<string | null>(
    (max, s) => (max === null || s.importedAt > max ? s.importedAt : max),
    null,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// SPEC §5.3 sorts the summaries by count, descending; equal counts by a key, in code-point order.
function byCountThen<T extends { count: number }>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => b.count - a.count || compare(key(a), key(b));
}
