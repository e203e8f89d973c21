import { normaliseCountryCode } from './countries.js';
import {
  ENTITY_TYPES,
  type EntityType,
  ISSUER_FIELDS,
  ISSUER_STATUSES,
  type IssuerField,
  type IssuerStatus,
  LICENSE_TYPES,
  type LicenseType,
} from './model.js';

// Query strings of the register routes (SPEC §5.3), validated before anything reaches the
// database: Koa hands over `string | string[]` per name, and the caller controls every byte.

/** A parsed query string as Koa gives it (`ctx.query`). */
export type QueryInput = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One bad parameter, as listed in `VALIDATION_ERROR.details` (SPEC §4.1). */
export interface FieldProblem {
  field: string;
  message: string;
}

export type ParamsResult<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** `sortBy` values of `GET /issuers`. */
export const SORT_FIELDS = [
  'entityName',
  'countryCode',
  'licenseType',
  'authorizationDate',
  'status',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/** Filters, order and page of `GET /issuers`, normalised. Empty lists mean "no filter". */
export interface IssuerFilter {
  /** Sorted, unique. */
  licenseTypes: LicenseType[];
  /** Upper-case ISO codes, sorted, unique. */
  countryCodes: string[];
  /** Lower-cased name fragments, sorted, unique. */
  countryNames: string[];
  statuses: IssuerStatus[];
  entityTypes: EntityType[];
  /** Lower-cased, trimmed; `null` when absent or empty. */
  search: string | null;
}

export interface IssuersParams extends IssuerFilter {
  sortBy: SortField;
  sortOrder: 'asc' | 'desc';
  limit: number;
  offset: number;
  /** The projection in published field order, `id` always included; `null` = every field. */
  fields: IssuerField[] | null;
  /** A canonical string of everything above: equal for equivalent queries (cache key). */
  key: string;
}

export interface SearchParams {
  /** Lower-cased, trimmed, 2–200 characters. */
  q: string;
  limit: number;
  offset: number;
  key: string;
}

/** SPEC §5.3 bounds. */
export const LIMITS = {
  issuers: { default: 100, max: 500 },
  search: { default: 20, max: 100 },
  /** Far beyond any register size; keeps OFFSET a small integer. */
  maxOffset: 1_000_000,
  maxSearchLength: 200,
  minQueryLength: 2,
  /** Values of one list parameter (e.g. `country=AT,DE,…`). */
  maxListItems: 50,
  maxItemLength: 100,
} as const;

// Postgres text cannot hold NUL, and no register value holds a control character.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001F\u007F]/;
const COUNTRY_NAME = /^[\p{L}\p{M} .'’()-]{3,60}$/u;

class Params {
  readonly problems: FieldProblem[] = [];

  constructor(private readonly input: QueryInput) {}

  problem(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  /** A parameter that may appear once: its trimmed value, or `undefined` when absent or empty. */
  scalar(name: string): string | undefined {
    const raw = Object.hasOwn(this.input, name) ? this.input[name] : undefined;
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string') {
      this.problem(name, 'must be given once');
      return undefined;
    }
    if (CONTROL.test(raw)) {
      this.problem(name, 'must not contain control characters');
      return undefined;
    }
    const value = raw.trim();
    return value === '' ? undefined : value;
  }

  /**
   * A comma-separated list; repeating the parameter adds to it (`a=X&a=Y` is `a=X,Y`). Trimmed,
   * empty items dropped, duplicates removed.
   */
  list(name: string): string[] {
    const raw = Object.hasOwn(this.input, name) ? this.input[name] : undefined;
    if (raw === undefined) return [];
    const parts = typeof raw === 'string' ? [raw] : [...raw];
    if (parts.some((part) => typeof part !== 'string' || CONTROL.test(part))) {
      this.problem(name, 'must not contain control characters');
      return [];
    }
    const items = [
      ...new Set(
        parts
          .join(',')
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      ),
    ];
    if (items.length > LIMITS.maxListItems) {
      this.problem(name, `must list at most ${LIMITS.maxListItems} values`);
      return [];
    }
    if (items.some((item) => item.length > LIMITS.maxItemLength)) {
      this.problem(name, `values must be at most ${LIMITS.maxItemLength} characters`);
      return [];
    }
    return items;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.scalar(name);
    if (value === undefined) return fallback;
    const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= min && n <= max)) {
      this.problem(name, `must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  /** Each list item matched case-insensitively against `allowed`; unknown items are problems. */
  enumList<T extends string>(name: string, allowed: readonly T[]): T[] {
    const out = new Set<T>();
    for (const item of this.list(name)) {
      const match = allowed.find((candidate) => candidate.toLowerCase() === item.toLowerCase());
      if (match === undefined) {
        this.problem(name, `unknown value ${quote(item)}: use ${allowed.join(', ')}`);
      } else out.add(match);
    }
    return [...out].sort();
  }

  enumScalar<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.scalar(name);
    if (value === undefined) return fallback;
    const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
    if (match === undefined) {
      this.problem(name, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return match;
  }

  result<T>(value: T): ParamsResult<T> {
    return this.problems.length === 0 ? { ok: true, value } : { ok: false, problems: this.problems };
  }
}

/**
 * Validates the query of `GET /api/mica/v1/issuers` (SPEC §5.3). Never throws: returns the
 * normalised parameters or every problem, each naming its parameter. Unknown parameters are
 * ignored; empty values count as absent.
 *
 * @example
 * const parsed = parseIssuersQuery({ licenseType: 'casp,EMT', country: 'at,germany', limit: '50' });
 * // parsed.value.licenseTypes ['CASP', 'EMT'], countryCodes ['AT'], countryNames ['germany']
 */
export function parseIssuersQuery(input: QueryInput): ParamsResult<IssuersParams> {
  const params = new Params(input);
  const licenseTypes = params.enumList('licenseType', LICENSE_TYPES);
  const statuses = params.enumList('status', ISSUER_STATUSES);
  const entityTypes = params.enumList('entityType', ENTITY_TYPES);

  const countryCodes = new Set<string>();
  const countryNames = new Set<string>();
  for (const item of params.list('country')) {
    const code = item.length === 2 ? normaliseCountryCode(item) : undefined;
    if (code !== undefined) countryCodes.add(code);
    else if (COUNTRY_NAME.test(item)) countryNames.add(item.toLowerCase());
    else
      params.problem(
        'country',
        `${quote(item)} is neither a two-letter country code nor part of a country name`,
      );
  }

  const searchRaw = params.scalar('search');
  if (searchRaw !== undefined && searchRaw.length > LIMITS.maxSearchLength) {
    params.problem('search', `must be at most ${LIMITS.maxSearchLength} characters`);
  }
  const search = searchRaw === undefined ? null : searchRaw.toLowerCase();

  const sortBy = params.enumScalar('sortBy', SORT_FIELDS, 'entityName');
  const sortOrder = params.enumScalar('sortOrder', ['asc', 'desc'] as const, 'asc');
  const limit = params.integer('limit', LIMITS.issuers.default, 1, LIMITS.issuers.max);
  const offset = params.integer('offset', 0, 0, LIMITS.maxOffset);
  const fields = projection(params);

  const value: Omit<IssuersParams, 'key'> = {
    licenseTypes,
    countryCodes: [...countryCodes].sort(),
    countryNames: [...countryNames].sort(),
    statuses,
    entityTypes,
    search,
    sortBy,
    sortOrder,
    limit,
    offset,
    fields,
  };
  return params.result({ ...value, key: JSON.stringify(value) });
}

/**
 * Validates the query of `GET /api/mica/v1/search` (SPEC §5.3): `q` of 2–200 characters,
 * `limit` 1–100 (default 20), `offset`. Never throws.
 *
 * @example
 * parseSearchQuery({ q: 'bybit' }) // { ok: true, value: { q: 'bybit', limit: 20, offset: 0, key: '…' } }
 */
export function parseSearchQuery(input: QueryInput): ParamsResult<SearchParams> {
  const params = new Params(input);
  const reported = params.problems.length;
  const q = params.scalar('q');
  if (q === undefined) {
    if (params.problems.length === reported) params.problem('q', 'is required');
  } else if (q.length < LIMITS.minQueryLength || q.length > LIMITS.maxSearchLength) {
    params.problem('q', `must be ${LIMITS.minQueryLength} to ${LIMITS.maxSearchLength} characters`);
  }
  const limit = params.integer('limit', LIMITS.search.default, 1, LIMITS.search.max);
  const offset = params.integer('offset', 0, 0, LIMITS.maxOffset);
  const value = { q: (q ?? '').toLowerCase(), limit, offset };
  return params.result({ ...value, key: JSON.stringify(value) });
}

function projection(params: Params): IssuerField[] | null {
  const items = params.list('fields');
  if (items.length === 0) return null;
  const wanted = new Set<IssuerField>(['id']);
  for (const item of items) {
    const match = ISSUER_FIELDS.find((field) => field.toLowerCase() === item.toLowerCase());
    if (match === undefined) {
      params.problem('fields', `unknown field ${quote(item)}: use ${ISSUER_FIELDS.join(', ')}`);
    } else wanted.add(match);
  }
  return ISSUER_FIELDS.filter((field) => wanted.has(field));
}

/** A caller's value inside a message: JSON-quoted and at most 40 characters. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
