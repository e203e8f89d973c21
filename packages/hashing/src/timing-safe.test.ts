import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timingSafeEqualString } from './timing-safe.js';

const key = 'trusset_abc123xy_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

describe('timingSafeEqualString', () => {
  it.each([
    ['identical keys', key, key, true],
    ['two empty strings', '', '', true],
    ['identical unicode strings', 'pässwörd 🔑 密码', 'pässwörd 🔑 密码', true],
    ['keys differing in the last character', key, `${key.slice(0, -1)}9`, false],
    ['keys differing in the first character', key, `T${key.slice(1)}`, false],
    ['a key and its prefix', key, key.slice(0, 20), false],
    ['a key and the key with a suffix', key, `${key}0`, false],
    ['a key and the empty string', key, '', false],
    ['the empty string and a key', '', key, false],
    ['strings differing only in case', 'abcdef', 'ABCDEF', false],
    ['NFC and NFD forms of the same text', 'caf\u00e9', 'cafe\u0301', false],
    ['two different lone surrogates (equal after UTF-8 encoding)', 'a\uD800', 'a\uDC00', false],
    ['a lone surrogate and U+FFFD', 'a\uD800', 'a\uFFFD', false],
    ['a string and itself with a NUL appended', 'secret', 'secret\u0000', false],
  ])('compares %s', (_name, a, b, expected) => {
    expect(timingSafeEqualString(a, b)).toBe(expected);
  });

  it('accepts inputs of very different lengths without throwing', () => {
    expect(timingSafeEqualString('x'.repeat(1_000_000), 'x')).toBe(false);
  });

  it('returns false instead of throwing for non-string values from untyped callers', () => {
    const notAString = 42 as unknown as string;
    expect(timingSafeEqualString(notAString, '42')).toBe(false);
    expect(timingSafeEqualString('42', undefined as unknown as string)).toBe(false);
  });

  it('equals a === b for any two strings and never throws', () => {
    // Code units 0..0xFFFF include lone surrogates, which 'binary' code points do not.
    const codeUnits = fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
    });
    const anyString = fc.oneof(fc.string({ unit: 'binary' }), codeUnits, fc.string());
    const pair = fc.oneof(
      fc.tuple(anyString, anyString),
      anyString.map((a) => [a, a] as const),
      fc.tuple(anyString, anyString).map(([a, suffix]) => [a, a + suffix] as const),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(timingSafeEqualString(a, b)).toBe(a === b);
      }),
      { numRuns: 2000 },
    );
  });
});
