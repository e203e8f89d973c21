// ISIN (ISO 6166): two letters (the issuing country's ISO 3166-1 code, or a special prefix such
// as XS or EU), nine letters or digits (the national security number), and one check digit. The
// check digit is the Luhn digit of the whole code read as digits, each letter written as its two
// digits A = 10 … Z = 35. Only the shape and the check digit are checked: whether a prefix is an
// allocated country code is the numbering agency's business, and ISINs with special prefixes
// (XS, EU, XA…) are real.

const ISIN_SHAPE = /^[A-Z]{2}[A-Z0-9]{9}[0-9]$/;

/** The code as Luhn reads it: digits kept, each letter as its number 10–35. */
function expand(code: string): string {
  let digits = '';
  for (const char of code) digits += Number.parseInt(char, 36).toString();
  return digits;
}

/** The Luhn sum of `digits` with the rightmost one doubled when `doubleLast` (else every second from the right but one). */
function luhnSum(digits: string, doubleLast: boolean): number {
  let sum = 0;
  for (let i = digits.length - 1, double = doubleLast; i >= 0; i--, double = !double) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum;
}

/**
 * The check digit of the first eleven characters of an ISIN (country prefix and national number,
 * upper case): the Luhn digit of their letters-to-digits expansion.
 *
 * @example
 * isinCheckDigit('US037833100') // 5 (Apple, US0378331005)
 */
export function isinCheckDigit(first11: string): number {
  if (!/^[A-Z]{2}[A-Z0-9]{9}$/.test(first11)) {
    throw new TypeError('isinCheckDigit: expects two letters and nine letters or digits');
  }
  return (10 - (luhnSum(expand(first11), true) % 10)) % 10;
}

/**
 * Whether `code` is an ISIN: the ISO 6166 shape in upper case and a matching check digit.
 *
 * @example
 * isValidIsin('DE000BAY0017') // true (Bayer)
 * isValidIsin('DE000BAY0018') // false: the check digit is 7
 */
export function isValidIsin(code: string): boolean {
  if (!ISIN_SHAPE.test(code)) return false;
  return luhnSum(expand(code), false) % 10 === 0;
}
