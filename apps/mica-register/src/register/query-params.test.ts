import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS, parseIssuersQuery, parseSearchQuery, type QueryInput } from './query-params.js';

const ok = (input: QueryInput) => {
  const result = parseIssuersQuery(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
};
const problems = (input: QueryInput) => {
  const result = parseIssuersQuery(input);
  if (result.ok) throw new Error('accepted');
  return result.problems;
};

describe('parseIssuersQuery', () => {
  it('gives the SPEC §5.3 defaults for an empty query', () => {
    expect(ok({})).toMatchObject({
      licenseTypes: [],
      countryCodes: [],
      countryNames: [],
      statuses: [],
      entityTypes: [],
      search: null,
      sortBy: 'entityName',
      sortOrder: 'asc',
      limit: 100,
      offset: 0,
      fields: null,
    });
  });

  it('normalises case, order, repetition and blanks of list filters', () => {
    const value = ok({ licenseType: ['emt, casp', 'CASP,,'], status: 'ACTIVE', country: ' el ,Ger,at ' });
    expect(value.licenseTypes).toEqual(['CASP', 'EMT']);
    expect(value.statuses).toEqual(['active']);
    expect(value.countryCodes).toEqual(['AT', 'GR']);
    expect(value.countryNames).toEqual(['ger']);
  });

  it('gives equivalent queries one key and different queries different keys', () => {
    expect(ok({ licenseType: 'EMT,CASP', limit: '100' }).key).toBe(ok({ licenseType: ['casp', 'emt'] }).key);
    expect(ok({ limit: '10' }).key).not.toBe(ok({ limit: '11' }).key);
    expect(ok({ search: 'Bybit' }).key).toBe(ok({ search: ' bybit ' }).key);
  });

  it('accepts the bounds and refuses just past them', () => {
    expect(ok({ limit: String(LIMITS.issuers.max), offset: String(LIMITS.maxOffset) }).limit).toBe(500);
    expect(problems({ limit: '501' })).toEqual([
      { field: 'limit', message: 'must be a whole number from 1 to 500' },
    ]);
    expect(ok({ search: 's'.repeat(200) }).search).toHaveLength(200);
    expect(problems({ search: 's'.repeat(201) })[0]?.field).toBe('search');
  });

  it('quotes and shortens a caller value inside a message', () => {
    const [problem] = problems({ licenseType: `"${'x'.repeat(80)}` });
    expect(problem?.message).toMatch(/^unknown value "\\"x{39}…": use CASP, EMT, ART, OTHER, NON_COMPLIANT$/);
  });

  it('never throws and always names a parameter, whatever it is given', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 5 }),
      fc.constant(undefined),
    );
    const names = fc.constantFrom(
      'licenseType',
      'country',
      'status',
      'entityType',
      'search',
      'sortBy',
      'sortOrder',
      'limit',
      'offset',
      'fields',
      'other',
    );
    fc.assert(
      fc.property(fc.dictionary(names, value), (input) => {
        const result = parseIssuersQuery(input);
        if (result.ok) {
          expect(result.value.limit).toBeGreaterThanOrEqual(1);
          expect(result.value.limit).toBeLessThanOrEqual(500);
          expect(result.value.search?.includes('\u0000') ?? false).toBe(false);
        } else {
          for (const p of result.problems) expect(Object.keys(input)).toContain(p.field);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseSearchQuery', () => {
  it('requires q of 2 to 200 characters and defaults limit to 20', () => {
    expect(parseSearchQuery({ q: ' Bybit ' })).toMatchObject({
      ok: true,
      value: { q: 'bybit', limit: 20, offset: 0 },
    });
    expect(parseSearchQuery({})).toEqual({
      ok: false,
      reason: 'invalid',
      problems: [{ field: 'q', message: 'is required' }],
    });
    expect(parseSearchQuery({ q: 'x' })).toMatchObject({ ok: false, problems: [{ field: 'q' }] });
    expect(parseSearchQuery({ q: 'ab', limit: '101' })).toMatchObject({
      ok: false,
      problems: [{ field: 'limit' }],
    });
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('q', 'limit', 'offset', 'x'),
          fc.oneof(fc.string({ unit: 'binary' }), fc.array(fc.string(), { maxLength: 3 })),
        ),
        (input) => {
          const result = parseSearchQuery(input);
          if (result.ok) expect(result.value.q.length).toBeGreaterThanOrEqual(2);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
