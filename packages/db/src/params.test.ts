import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeParams } from './params.js';

describe('normalizeParams', () => {
  it('sends Dates as UTC ISO text and bigints as decimal text, also inside arrays', () => {
    const at = new Date('2026-05-06T07:08:09.010Z');
    expect(normalizeParams([at, 12345678901234567890n, [at, [1n]], 'x', 1, null, undefined, true])).toEqual([
      '2026-05-06T07:08:09.010Z',
      '12345678901234567890',
      ['2026-05-06T07:08:09.010Z', ['1']],
      'x',
      1,
      null,
      undefined,
      true,
    ]);
  });

  it('passes Buffers and plain objects through untouched', () => {
    const bytes = Buffer.from([1, 2]);
    const doc = { a: 1 };
    const [outBytes, outDoc] = normalizeParams([bytes, doc]);
    expect(outBytes).toBe(bytes);
    expect(outDoc).toBe(doc);
  });

  it('treats missing params as none', () => {
    expect(normalizeParams(undefined)).toEqual([]);
  });

  it('rejects an invalid Date, naming the parameter position', () => {
    expect(() => normalizeParams(['ok', new Date(Number.NaN)])).toThrow(
      'query parameter $2 is an invalid Date',
    );
  });

  it('keeps any valid instant exactly', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        const [iso] = normalizeParams([date]);
        expect(new Date(iso as string).getTime()).toBe(date.getTime());
      }),
      { numRuns: 1000 },
    );
  });
});
