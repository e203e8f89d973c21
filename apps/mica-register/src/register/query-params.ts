import type { Result } from '@portcullis/errors';
import { type FieldProblem, fieldProblems } from '@portcullis/routes';
import { z } from 'zod';
import { normaliseCountryCode } from './countries.js';
import {
  entityTypeSchema,
  ISSUER_FIELDS,
  type IssuerField,
  issuerStatusSchema,
  licenseTypeSchema,
} from './model.js';

// Query strings of the register routes as zod schemas: one schema per parameter validates it with
// the messages clients see (each naming its parameter) and documents it in the OpenAPI document;
// the route declarations use `issuersQuery` and `searchQuery`, so the kit validates every request
// against them before anything reaches the database. Koa hands over `string | string[]` per name,
// and the caller controls every byte.

/** A parsed query string as Koa gives it (`ctx.query`). */
export type QueryInput = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The normalised parameters, or `invalid` with every problem, each naming its parameter. */
export type ParamsResult<T> = Result<{ value: T }, 'invalid', { problems: FieldProblem[] }>;

/** `sortBy` values of `GET /issuers`. */
const SORT_FIELDS = ['entityName', 'countryCode', 'licenseType', 'authorizationDate', 'status'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/** Bounds of the register queries. */
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
const TWO_LETTERS = /^[A-Z]{2}$/;

/** Reports `message` against the parameter being parsed; the parse then fails. */
function refuse(ctx: z.RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** A caller's value inside a message: JSON-quoted and at most 40 characters. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/**
 * A parameter that may appear once: its trimmed value, `undefined` when absent or empty, or
 * `null` after reporting why it is refused.
 */
function scalar(raw: unknown, ctx: z.RefinementCtx): string | undefined | null {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    ctx.addIssue({ code: 'custom', message: 'must be given once' });
    return null;
  }
  if (CONTROL.test(raw)) {
    ctx.addIssue({ code: 'custom', message: 'must not contain control characters' });
    return null;
  }
  const value = raw.trim();
  return value === '' ? undefined : value;
}

/**
 * A comma-separated list; repeating the parameter adds to it (`a=X&a=Y` is `a=X,Y`). Trimmed,
 * empty items dropped, duplicates removed; `null` after reporting why it is refused.
 */
function listItems(raw: unknown, ctx: z.RefinementCtx): string[] | null {
  if (raw === undefined) return [];
  const parts: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (parts.some((part) => typeof part !== 'string' || CONTROL.test(part))) {
    ctx.addIssue({ code: 'custom', message: 'must not contain control characters' });
    return null;
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
    ctx.addIssue({ code: 'custom', message: `must list at most ${LIMITS.maxListItems} values` });
    return null;
  }
  if (items.some((item) => item.length > LIMITS.maxItemLength)) {
    ctx.addIssue({ code: 'custom', message: `values must be at most ${LIMITS.maxItemLength} characters` });
    return null;
  }
  return items;
}

const LIST_SUFFIX = ` Comma-separated; repeating the parameter adds values; at most ${LIMITS.maxListItems} values of at most ${LIMITS.maxItemLength} characters.`;
const LIST_STYLE = { style: 'form', explode: false } as const;

/** A case-insensitive match of `value` in `allowed`. */
function match<T extends string>(allowed: readonly T[], value: string): T | undefined {
  const lower = value.toLowerCase();
  return allowed.find((candidate) => candidate.toLowerCase() === lower);
}

/**
 * A list of values of the enum `item`, matched case-insensitively: sorted, unique, canonical.
 * Each unknown value is reported.
 */
function enumList<T extends string>(item: z.ZodType<T> & { options: readonly T[] }, description: string) {
  const allowed = item.options;
  return z
    .preprocess((raw, ctx) => {
      const items = listItems(raw, ctx);
      if (items === null) return z.NEVER;
      const out = new Set<T>();
      let refused = false;
      for (const value of items) {
        const found = match(allowed, value);
        if (found === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown value ${quote(value)}: use ${allowed.join(', ')}`,
          });
          refused = true;
        } else out.add(found);
      }
      return refused ? z.NEVER : [...out].sort();
    }, z.array(item).max(LIMITS.maxListItems))
    .meta({ description: `${description}${LIST_SUFFIX}`, param: LIST_STYLE });
}

/** One value of `allowed`, matched case-insensitively; `fallback` when absent. */
function enumScalar<const T extends string>(allowed: readonly [T, ...T[]], fallback: T, description: string) {
  return z
    .preprocess((raw, ctx) => {
      const value = scalar(raw, ctx);
      if (value === null) return z.NEVER;
      if (value === undefined) return undefined;
      return match(allowed, value) ?? refuse(ctx, `must be one of ${allowed.join(', ')}`);
    }, z.enum(allowed).default(fallback))
    .meta({ description });
}

/** A whole number from `min` to `max` (at most nine digits); `fallback` when absent. */
function integer(bounds: { min: number; max: number; default: number }, description: string) {
  const { min, max } = bounds;
  return z
    .preprocess((raw, ctx) => {
      const value = scalar(raw, ctx);
      if (value === null) return z.NEVER;
      if (value === undefined) return undefined;
      const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
      return n >= min && n <= max ? n : refuse(ctx, `must be a whole number from ${min} to ${max}`);
    }, z.int().min(min).max(max).default(bounds.default))
    .meta({ description });
}

const offset = integer({ min: 0, max: LIMITS.maxOffset, default: 0 }, 'Items to skip.');

/**
 * Home member states: a two-letter value is a country code (normalised, `EL` → `GR`), a longer
 * one part of a country name (lower-cased). Codes and names come out sorted, each once.
 */
const country = z
  .preprocess(
    (raw, ctx) => {
      const items = listItems(raw, ctx);
      if (items === null) return z.NEVER;
      const codes = new Set<string>();
      const names = new Set<string>();
      let refused = false;
      for (const item of items) {
        const code = item.length === 2 ? normaliseCountryCode(item) : undefined;
        if (code !== undefined) codes.add(code);
        else if (COUNTRY_NAME.test(item)) names.add(item.toLowerCase());
        else {
          ctx.addIssue({
            code: 'custom',
            message: `${quote(item)} is neither a two-letter country code nor part of a country name`,
          });
          refused = true;
        }
      }
      return refused ? z.NEVER : [...[...codes].sort(), ...[...names].sort()];
    },
    z.array(z.string().min(2).max(LIMITS.maxItemLength)).max(LIMITS.maxListItems),
  )
  // Names are at least three characters long, so the length tells a code from a name.
  .transform((items) => ({
    codes: items.filter((item) => TWO_LETTERS.test(item)),
    names: items.filter((item) => !TWO_LETTERS.test(item)),
  }))
  .meta({
    description: `Only these home member states: a two-letter value matches \`countryCode\` exactly (case-insensitive), a longer one matches the country name as a case-insensitive substring.${LIST_SUFFIX}`,
    param: LIST_STYLE,
  });

/** Case-insensitive text of at most 200 characters: lower-cased, `null` when absent or empty. */
const search = z
  .preprocess((raw, ctx) => {
    const value = scalar(raw, ctx);
    if (value === null) return z.NEVER;
    if (value !== undefined && value.length > LIMITS.maxSearchLength)
      return refuse(ctx, `must be at most ${LIMITS.maxSearchLength} characters`);
    return value;
  }, z.string().max(LIMITS.maxSearchLength).optional())
  .transform((value) => (value === undefined ? null : value.toLowerCase()))
  .meta({
    description: 'Case-insensitive substring of the name, LEI, national authority or commercial name.',
  });

/** The projection in published field order, `id` always included; `null` = every field. */
const fields = z
  .preprocess(
    (raw, ctx) => {
      const items = listItems(raw, ctx);
      if (items === null) return z.NEVER;
      const wanted = new Set<IssuerField>();
      let refused = false;
      for (const item of items) {
        const found = match(ISSUER_FIELDS, item);
        if (found === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown field ${quote(item)}: use ${ISSUER_FIELDS.join(', ')}`,
          });
          refused = true;
        } else wanted.add(found);
      }
      return refused ? z.NEVER : [...wanted];
    },
    z.array(z.enum(ISSUER_FIELDS)).max(LIMITS.maxListItems),
  )
  .transform((items): IssuerField[] | null => {
    if (items.length === 0) return null;
    const wanted = new Set<IssuerField>(['id', ...items]);
    return ISSUER_FIELDS.filter((field) => wanted.has(field));
  })
  .meta({
    description: `Projection: only these fields of each issuer (\`id\` always included), in published order.${LIST_SUFFIX}`,
    param: LIST_STYLE,
  });

/**
 * The query of `GET /api/mica/v1/issuers`: filters, order, page and projection, normalised, with
 * `key`, a canonical string of them (equal for equivalent queries: the cache key). Unknown
 * parameters are ignored; empty values count as absent; every problem names its parameter.
 *
 * @example
 * issuersQuery.parse({ licenseType: 'casp,EMT', country: 'at,germany', limit: '50' });
 * // { licenseTypes: ['CASP', 'EMT'], countryCodes: ['AT'], countryNames: ['germany'], limit: 50, … }
 */
export const issuersQuery = z
  .object({
    licenseType: enumList(licenseTypeSchema, 'Only these license types.'),
    status: enumList(issuerStatusSchema, 'Only these statuses.'),
    entityType: enumList(entityTypeSchema, 'Only these entity types.'),
    country,
    search,
    sortBy: enumScalar(SORT_FIELDS, 'entityName', 'Sort field (case-insensitive).'),
    sortOrder: enumScalar(['asc', 'desc'], 'asc', 'Sort direction (case-insensitive).'),
    limit: integer({ min: 1, max: LIMITS.issuers.max, default: LIMITS.issuers.default }, 'Page size.'),
    offset,
    fields,
  })
  .transform((query) => {
    const value = {
      licenseTypes: query.licenseType,
      countryCodes: query.country.codes,
      countryNames: query.country.names,
      statuses: query.status,
      entityTypes: query.entityType,
      search: query.search,
      sortBy: query.sortBy,
      sortOrder: query.sortOrder,
      limit: query.limit,
      offset: query.offset,
      fields: query.fields,
    };
    return { ...value, key: JSON.stringify(value) };
  });

/** Filters, order and page of `GET /issuers`, normalised. Empty lists mean "no filter". */
export type IssuersParams = z.output<typeof issuersQuery>;
/** The filters of {@link IssuersParams}. */
export type IssuerFilter = Pick<
  IssuersParams,
  'licenseTypes' | 'countryCodes' | 'countryNames' | 'statuses' | 'entityTypes' | 'search'
>;

/**
 * The query of `GET /api/mica/v1/search`: `q` of 2–200 characters (lower-cased), `limit` 1–100
 * (default 20), `offset`, and `key` as in {@link issuersQuery}.
 *
 * @example
 * searchQuery.parse({ q: ' Bybit ' }) // { q: 'bybit', limit: 20, offset: 0, key: '…' }
 */
export const searchQuery = z
  .object({
    q: z
      .preprocess(
        (raw, ctx) => {
          const value = scalar(raw, ctx);
          if (value === null) return z.NEVER;
          if (value === undefined) return refuse(ctx, 'is required');
          const { minQueryLength: min, maxSearchLength: max } = LIMITS;
          return value.length < min || value.length > max
            ? refuse(ctx, `must be ${min} to ${max} characters`)
            : value;
        },
        // zod counts code points and the check above UTF-16 code units, as the search does: the
        // lower bound is documented, not checked again (a single astral character is two units).
        z.string().max(LIMITS.maxSearchLength).meta({ minLength: LIMITS.minQueryLength }),
      )
      .transform((value) => value.toLowerCase())
      .meta({
        description:
          'Case-insensitive text; exact LEI matches first, then name prefixes, then other matches.',
        param: { required: true },
      }),
    limit: integer({ min: 1, max: LIMITS.search.max, default: LIMITS.search.default }, 'Page size.'),
    offset,
  })
  .transform((query) => {
    const value = { q: query.q, limit: query.limit, offset: query.offset };
    return { ...value, key: JSON.stringify(value) };
  });

/** The query of `GET /search`, normalised. */
export type SearchParams = z.output<typeof searchQuery>;

function resultOf<T>(parsed: z.ZodSafeParseResult<T>): ParamsResult<T> {
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: 'invalid', problems: fieldProblems(parsed.error) };
}

/**
 * Validates the query of `GET /api/mica/v1/issuers` with {@link issuersQuery}. Never throws:
 * returns the normalised parameters or every problem, each naming its parameter.
 *
 * @example
 * const parsed = parseIssuersQuery({ licenseType: 'casp,EMT', country: 'at,germany', limit: '50' });
 * // parsed.value.licenseTypes ['CASP', 'EMT'], countryCodes ['AT'], countryNames ['germany']
 */
export function parseIssuersQuery(input: QueryInput): ParamsResult<IssuersParams> {
  return resultOf(issuersQuery.safeParse(input));
}

/**
 * Validates the query of `GET /api/mica/v1/search` with {@link searchQuery}. Never throws.
 *
 * @example
 * parseSearchQuery({ q: 'bybit' }) // { ok: true, value: { q: 'bybit', limit: 20, offset: 0, key: '…' } }
 */
export function parseSearchQuery(input: QueryInput): ParamsResult<SearchParams> {
  return resultOf(searchQuery.safeParse(input));
}
