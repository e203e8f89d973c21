// Exact decimals (SPEC §4.5: no floats in arithmetic), property-tested against a reference that
// works on the decimal digits as a BigInt numerator over a power of ten — written without the
// module's scaling — and against hand-written cases a float would get wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalNumeric,
  DECIMAL_SCALE,
  formatDecimal,
  fractionDigits,
  fromNumeric,
  mulDecimal,
  parseDecimal,
} from './decimal.js';

/** A decimal as `digits / 10^scale`: the reference's exact value. */
interface Exact {
  digits: bigint;
  scale: number;
}

/** The reference's reading of a decimal string: drop the point, count the digits after it. */
function exact(text: string): Exact {
  const [whole = '', fraction = ''] = text.split('.');
  return { digits: BigInt(`${whole}${fraction}`), scale: fraction.length };
}

/** `a` and `b` over a common power of ten. */
function common(a: Exact, b: Exact): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.digits * 10n ** BigInt(scale - a.scale), b.digits * 10n ** BigInt(scale - b.scale), scale];
}

/** The reference's text of `digits / 10^scale`: place the point, strip zeros at both ends. */
function text(value: Exact): string {
  const negative = value.digits < 0n;
  const padded = (negative ? -value.digits : value.digits).toString().padStart(value.scale + 1, '0');
  const whole = padded.slice(0, padded.length - value.scale).replace(/^0+(?=\d)/, '');
  const fraction = padded.slice(padded.length - value.scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A decimal string as clients send them: up to 30 integer and 18 fractional digits, leading zeros allowed. */
const decimalText = fc
  .tuple(
    fc.stringMatching(/^\d{1,30}$/),
    fc.option(fc.stringMatching(new RegExp(`^\\d{1,${DECIMAL_SCALE}}$`)), { nil: undefined }),
  )
  .map(([whole, fraction]) => (fraction === undefined ? whole : `${whole}.${fraction}`));

describe('parseDecimal and formatDecimal', () => {
  it('read every plain decimal exactly and write its canonical text', () => {
    fc.assert(
      fc.property(decimalText, (value) => {
        const units = parseDecimal(value);
        expect(units).toBeDefined();
        expect(formatDecimal(units ?? 0n)).toBe(text(exact(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuse every other text: signs, exponents, spaces, too many digits, empty parts', () => {
    for (const bad of [
      '',
      '-1',
      '+1',
      '1e3',
      '1E-3',
      ' 1',
      '1 ',
      '1.',
      '.5',
      '1.2.3',
      '0x10',
      'NaN',
      'Infinity',
      '１',
    ]) {
      expect(parseDecimal(bad), bad).toBeUndefined();
    }
    expect(parseDecimal('1'.repeat(31))).toBeUndefined();
    expect(parseDecimal(`0.${'1'.repeat(19)}`)).toBeUndefined();
    expect(parseDecimal(`${'9'.repeat(30)}.${'9'.repeat(18)}`)).toBeDefined();
  });

  it('get right what floats get wrong', () => {
    const sum = (parseDecimal('0.1') ?? 0n) + (parseDecimal('0.2') ?? 0n);
    expect(formatDecimal(sum)).toBe('0.3');
    expect(formatDecimal((parseDecimal('9007199254740993') ?? 0n) + 1n * 10n ** 18n)).toBe(
      '9007199254740994',
    );
    expect(formatDecimal(parseDecimal('0.000000000000000001') ?? 0n)).toBe('0.000000000000000001');
  });
});

describe('arithmetic', () => {
  it('adds and subtracts exactly', () => {
    fc.assert(
      fc.property(decimalText, decimalText, (a, b) => {
        const [x, y, scale] = common(exact(a), exact(b));
        const pa = parseDecimal(a) ?? 0n;
        const pb = parseDecimal(b) ?? 0n;
        expect(formatDecimal(pa + pb)).toBe(text({ digits: x + y, scale }));
        expect(formatDecimal(pa - pb)).toBe(text({ digits: x - y, scale }));
        expect(pa < pb).toBe(x < y);
      }),
      { numRuns: 2000 },
    );
  });

  it('multiplies exactly, rounding toward zero at 18 fractional digits', () => {
    fc.assert(
      fc.property(decimalText, decimalText, (a, b) => {
        const x = exact(a);
        const y = exact(b);
        // The exact product is (x.digits · y.digits) / 10^(x.scale + y.scale); keep 18 digits.
        const scale = x.scale + y.scale;
        const product = x.digits * y.digits;
        const kept =
          scale <= DECIMAL_SCALE
            ? product * 10n ** BigInt(DECIMAL_SCALE - scale)
            : product / 10n ** BigInt(scale - DECIMAL_SCALE);
        expect(formatDecimal(mulDecimal(parseDecimal(a) ?? 0n, parseDecimal(b) ?? 0n))).toBe(
          text({ digits: kept, scale: DECIMAL_SCALE }),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('counts fractional digits of the canonical form', () => {
    fc.assert(
      fc.property(decimalText, (value) => {
        const canonical = text(exact(value));
        const point = canonical.indexOf('.');
        expect(fractionDigits(parseDecimal(value) ?? 0n)).toBe(
          point === -1 ? 0 : canonical.length - point - 1,
        );
      }),
    );
  });
});

describe('numeric column values', () => {
  it('read what Postgres writes for numeric(78, 18), negative results included', () => {
    expect(canonicalNumeric('12.500000000000000000')).toBe('12.5');
    expect(canonicalNumeric('0.000000000000000000')).toBe('0');
    expect(formatDecimal(fromNumeric('-3.250000000000000000'))).toBe('-3.25');
    fc.assert(
      fc.property(decimalText, (value) => {
        const units = parseDecimal(value) ?? 0n;
        const column = `${units / 10n ** 18n}.${(units % 10n ** 18n).toString().padStart(18, '0')}`;
        expect(fromNumeric(column)).toBe(units);
      }),
    );
  });

  it('throws on anything that is not a numeric value: a bug, never input', () => {
    for (const bad of ['', 'abc', '1.2.3', '1e5', `1.${'0'.repeat(19)}`])
      expect(() => fromNumeric(bad), bad).toThrow(TypeError);
  });
});
