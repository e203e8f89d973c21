import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OID, parseByteaHex, parseUtcTimestamp, pgTypeParsers } from './type-parsers.js';

/** Formats a Date the way Postgres prints `timestamp without time zone` (DateStyle ISO). */
function postgresTimestampText(date: Date): string {
  const year = date.getUTCFullYear();
  const bc = year <= 0;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const ms = date.getUTCMilliseconds();
  return (
    `${pad(bc ? 1 - year : year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}` +
    `${ms ? `.${pad(ms, 3)}` : ''}${bc ? ' BC' : ''}`
  );
}

describe('parseUtcTimestamp', () => {
  it('reads timestamp text as UTC wall-clock time', () => {
    expect(parseUtcTimestamp('2026-01-02 03:04:05')).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(parseUtcTimestamp('2026-01-02 03:04:05.678901')).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(parseUtcTimestamp('2026-01-02 03:04:05.5')).toEqual(new Date('2026-01-02T03:04:05.500Z'));
  });

  it('keeps years below 100 and BC years', () => {
    expect((parseUtcTimestamp('0044-03-15 12:00:00') as Date).getUTCFullYear()).toBe(44);
    expect((parseUtcTimestamp('0044-03-15 12:00:00 BC') as Date).getUTCFullYear()).toBe(-43);
  });

  it('maps infinity to ±Infinity like the timestamptz parsers', () => {
    expect(parseUtcTimestamp('infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(parseUtcTimestamp('-infinity')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('round-trips every instant Postgres can print', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('-004713-11-24T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect((parseUtcTimestamp(postgresTimestampText(date)) as Date).getTime()).toBe(date.getTime());
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('parseByteaHex', () => {
  it('decodes \\x hex into a Buffer', () => {
    const bytes = parseByteaHex('\\x00ff10');
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect([...bytes]).toEqual([0, 255, 16]);
    expect(parseByteaHex('\\x').length).toBe(0);
  });
});

describe('pgTypeParsers', () => {
  const parse = (oid: number, text: string) =>
    (pgTypeParsers.getTypeParser as (o: number) => (t: string) => unknown)(oid)(text);

  it('keeps int8 and numeric (and their arrays) as exact strings', () => {
    expect(parse(OID.int8, '9007199254740993')).toBe('9007199254740993');
    expect(parse(OID.numeric, '0.1000000000000000000001')).toBe('0.1000000000000000000001');
    expect(parse(OID.numericArray, '{0.1000000000000000000001,NULL}')).toEqual([
      '0.1000000000000000000001',
      null,
    ]);
    expect(parse(OID.int8Array, '{{1,2},{3,9007199254740993}}')).toEqual([
      ['1', '2'],
      ['3', '9007199254740993'],
    ]);
  });

  it('keeps dates and intervals as text, and timestamps as UTC Dates', () => {
    expect(parse(OID.date, '2026-01-02')).toBe('2026-01-02');
    expect(parse(OID.dateArray, '{2026-01-02}')).toEqual(['2026-01-02']);
    expect(parse(OID.interval, '1 day 02:00:00')).toBe('1 day 02:00:00');
    expect(parse(OID.timestampArray, '{"2026-01-02 03:04:05",NULL}')).toEqual([
      new Date('2026-01-02T03:04:05Z'),
      null,
    ]);
  });

  it('falls back to pg-types for everything else', () => {
    expect(parse(23, '42')).toBe(42);
    expect(parse(16, 't')).toBe(true);
  });
});
