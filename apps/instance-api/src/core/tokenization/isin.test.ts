// ISO 6166 check digits on real ISINs (issuers' published codes), letters in the national number
// included, and on the same codes with every wrong check digit.
import { describe, expect, it } from 'vitest';
import { isinCheckDigit, isValidIsin } from './isin.js';

const REAL = [
  'US0378331005', // Apple
  'DE000BAY0017', // Bayer
  'GB0002634946', // BAE Systems
  'AU0000XVGZA3', // Treasury Corporation of Victoria (letters in the national number)
  'US5949181045', // Microsoft
  'JP3435000009', // Sony
  'CH0012032048', // Roche
  'NL0000235190', // Airbus
  'DE0007164600', // SAP
  'US02079K3059', // Alphabet class A
  'US30303M1027', // Meta Platforms
  'IE00B4L5Y983', // iShares Core MSCI World
  'XS2021832634', // a Eurobond (XS prefix, not a country)
];

describe('isValidIsin', () => {
  it.each(REAL)('accepts %s', (isin) => {
    expect(isValidIsin(isin)).toBe(true);
  });

  it.each(REAL)('refuses %s with each of the nine wrong check digits', (isin) => {
    const right = Number(isin.slice(-1));
    for (let digit = 0; digit <= 9; digit++) {
      if (digit === right) continue;
      expect(isValidIsin(`${isin.slice(0, 11)}${digit}`), `${isin.slice(0, 11)}${digit}`).toBe(false);
    }
  });

  it('refuses two adjacent digits swapped, which Luhn detects (except 0/9)', () => {
    // US0378331005 → US0738331005: the "37" swapped.
    expect(isValidIsin('US0738331005')).toBe(false);
    expect(isValidIsin('DE000BAY0107')).toBe(false);
  });

  it('refuses the wrong shape: length, lower case, a letter as check digit, a digit in the prefix', () => {
    for (const code of [
      '',
      'US037833100',
      'US03783310055',
      'us0378331005',
      'US037833100X',
      'U10378331005',
      '1S0378331005',
      'US03783-1005',
      ' US0378331005',
    ]) {
      expect(isValidIsin(code), code).toBe(false);
    }
  });
});

describe('isinCheckDigit', () => {
  it.each(REAL)('computes the check digit of %s from its first eleven characters', (isin) => {
    expect(isinCheckDigit(isin.slice(0, 11))).toBe(Number(isin.slice(-1)));
  });

  it('throws on anything but two letters and nine letters or digits', () => {
    expect(() => isinCheckDigit('US03783310')).toThrow(TypeError);
    expect(() => isinCheckDigit('us037833100')).toThrow(TypeError);
  });
});
