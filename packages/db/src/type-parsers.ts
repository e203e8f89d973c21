import { types as pgTypes } from 'pg';

/**
 * One column-type mapping for both backends, so the same SQL returns the same JS values
 * (DESIGN §7). Only types whose defaults differ between node-postgres and PGlite, or lose
 * information, are overridden:
 *
 * | type | value | why |
 * |---|---|---|
 * | int8, numeric (+ arrays) | string | no precision loss (pg-types parses numeric[] as floats; PGlite int8 as number or BigInt) |
 * | timestamptz (+ array) | Date | both defaults already agree |
 * | timestamp (+ array) | Date, read as UTC | pg-types reads it in the process's local zone |
 * | date (+ array) | `'YYYY-MM-DD'` | a calendar day has no instant; Date would shift with the zone |
 * | interval (+ array) | text, e.g. `'1 day 02:00:00'` | PGlite gives text, pg-types an object |
 * | bytea | Buffer | PGlite gives a plain Uint8Array |
 */
export const OID = {
  bytea: 17,
  int8: 20,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  textArray: 1009,
  int8Array: 1016,
  timestampArray: 1115,
  dateArray: 1182,
  intervalArray: 1187,
  numericArray: 1231,
} as const;

const TIMESTAMP_TEXT = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?( BC)?$/;

/**
 * Parses a `timestamp without time zone` as a UTC wall-clock time. Infinity maps to ±Infinity,
 * as both drivers do for timestamptz.
 */
export function parseUtcTimestamp(text: string): Date | number {
  if (text === 'infinity') return Number.POSITIVE_INFINITY;
  if (text === '-infinity') return Number.NEGATIVE_INFINITY;
  const match = TIMESTAMP_TEXT.exec(text);
  if (match === null) return new Date(`${text.replace(' ', 'T')}Z`);
  const [, year, month, day, hour, minute, second, fraction, bc] = match;
  const date = new Date(0);
  const fullYear = bc ? 1 - Number(year) : Number(year);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(fullYear, Number(month) - 1, Number(day));
  date.setUTCHours(
    Number(hour),
    Number(minute),
    Number(second),
    Math.floor(Number(`0.${fraction ?? '0'}`) * 1000),
  );
  return date;
}

function identity(text: string): string {
  return text;
}

/** PGlite returns bytea as `\x…` hex text; decode it into a Buffer like node-postgres. */
export function parseByteaHex(text: string): Buffer {
  return Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex');
}

type TextParser = (text: string) => unknown;

/** Parsers handed to PGlite. Its array parsers look element parsers up at call time, so arrays follow. */
export const pgliteParsers: Record<number, TextParser> = {
  [OID.int8]: identity,
  [OID.numeric]: identity,
  [OID.date]: identity,
  [OID.timestamp]: parseUtcTimestamp,
  [OID.interval]: identity,
  [OID.bytea]: parseByteaHex,
};

type NestedArray = unknown[];

function mapNested(value: unknown, parse: TextParser): unknown {
  if (value === null) return null;
  if (Array.isArray(value)) return (value as NestedArray).map((item) => mapNested(item, parse));
  return parse(value as string);
}

/** pg-types' lookup, typed for any oid (its TypeId enum omits the array types). */
const builtinParser = pgTypes.getTypeParser as (oid: number, format?: 'text' | 'binary') => TextParser;

const parseTextArray = builtinParser(OID.textArray, 'text') as (text: string) => NestedArray;

function arrayOf(parse: TextParser): TextParser {
  return (text) => mapNested(parseTextArray(text), parse);
}

const pgOverrides: Record<number, TextParser> = {
  [OID.int8]: identity,
  [OID.int8Array]: parseTextArray,
  [OID.numeric]: identity,
  [OID.numericArray]: parseTextArray,
  [OID.date]: identity,
  [OID.dateArray]: parseTextArray,
  [OID.timestamp]: parseUtcTimestamp,
  [OID.timestampArray]: arrayOf(parseUtcTimestamp),
  [OID.interval]: identity,
  [OID.intervalArray]: parseTextArray,
};

/**
 * Per-pool type parsers for node-postgres (passed as `types`, so the process-global
 * `pg.types` registry is never modified).
 */
export const pgTypeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      const override = pgOverrides[oid];
      if (override !== undefined) return override;
    }
    return builtinParser(oid, format);
  }) as typeof pgTypes.getTypeParser,
};
