// Exact decimal amounts (SPEC §4.5: decimal strings with up to 18 fractional digits, no floats in
// arithmetic). An amount is held as a bigint count of 10⁻¹⁸ units, so addition, subtraction and
// comparison are exact; the database stores the same values as numeric(78, 18) and does the
// arithmetic that guards an invariant itself. JS floats never touch an amount.

/** Fractional digits of every amount. */
export const DECIMAL_SCALE = 18;
const ONE = 10n ** BigInt(DECIMAL_SCALE);

/** Most integer digits an amount in a request may have (the columns hold 60). */
export const MAX_INTEGER_DIGITS = 30;

/** A plain decimal: digits, optionally a point and 1–18 digits; no sign, exponent or spaces. */
const DECIMAL_TEXT = new RegExp(`^(\\d{1,${MAX_INTEGER_DIGITS}})(?:\\.(\\d{1,${DECIMAL_SCALE}}))?$`);

/** A numeric(78, 18) value as Postgres writes it: an optional minus, digits, up to 18 after a point. */
const NUMERIC_TEXT = new RegExp(`^(-?)(\\d+)(?:\\.(\\d{0,${DECIMAL_SCALE}}))?$`);

/** A decimal in units of 10⁻¹⁸ (`1.5` is `1_500_000_000_000_000_000n`). */
export type Units = bigint;

/**
 * Parses a non-negative decimal string into units of 10⁻¹⁸, or `undefined` when the text is not
 * one (a sign, an exponent, more than 18 fractional or 30 integer digits, anything else).
 *
 * @example
 * parseDecimal('1.5') // 1_500_000_000_000_000_000n
 * parseDecimal('1e3') // undefined
 */
export function parseDecimal(text: string): Units | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (match === null) return undefined;
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').padEnd(DECIMAL_SCALE, '0');
  return BigInt(whole) * ONE + BigInt(fraction);
}

/**
 * Reads a value the database returned for a numeric(78, 18) column (`'12.500000000000000000'`,
 * possibly negative in a computed expression) as units. Throws on anything else: a column value
 * that is not a number is a bug, not input.
 *
 * @example
 * fromNumeric('12.500000000000000000') // 12_500_000_000_000_000_000n
 */
export function fromNumeric(text: string): Units {
  const match = NUMERIC_TEXT.exec(text);
  if (match === null) throw new TypeError('fromNumeric: not a numeric(78, 18) value');
  const [, sign, whole = '0', fraction = ''] = match;
  const units = BigInt(whole) * ONE + BigInt(fraction.padEnd(DECIMAL_SCALE, '0'));
  return sign === '-' ? -units : units;
}

/**
 * The canonical text of an amount: no exponent, no trailing fractional zeros, no point for a
 * whole number (`'1.5'`, `'100'`, `'0.000000000000000001'`). What every response shows.
 *
 * @example
 * formatDecimal(1_500_000_000_000_000_000n) // '1.5'
 */
export function formatDecimal(units: Units): string {
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const whole = magnitude / ONE;
  const fraction = (magnitude % ONE).toString().padStart(DECIMAL_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * A numeric column value in canonical text (`'12.500000000000000000'` → `'12.5'`).
 *
 * @example
 * canonicalNumeric('100.000000000000000000') // '100'
 */
export function canonicalNumeric(text: string): string {
  return formatDecimal(fromNumeric(text));
}

/**
 * The product of two amounts, rounded toward zero to 18 fractional digits (a collateral value
 * `amount × price × factor` is never overstated).
 *
 * @example
 * mulDecimal(parseDecimal('1.5')!, parseDecimal('0.3')!) // units of 0.45
 */
export function mulDecimal(a: Units, b: Units): Units {
  return (a * b) / ONE;
}

/** How many fractional digits the canonical text of `units` has (0 for a whole number). */
export function fractionDigits(units: Units): number {
  const text = formatDecimal(units < 0n ? -units : units);
  const point = text.indexOf('.');
  return point === -1 ? 0 : text.length - point - 1;
}
