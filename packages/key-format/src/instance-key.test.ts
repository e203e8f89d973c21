import { describe, expect, it } from 'vitest';
import { legacyKey } from '../test/arbitraries.js';
import {
  generateInstanceKey,
  generateInstanceRef,
  generateMicaKey,
  keyPreview,
  MAX_KEY_LENGTH,
  parseInstanceKey,
} from './index.js';

const HEX64 = '0123456789abcdef'.repeat(4);
const KEY = `trusset_abc123xy_${HEX64}`;

describe('parseInstanceKey', () => {
  it('accepts a well-formed key and returns its instanceRef and the exact key', () => {
    expect(parseInstanceKey(KEY)).toEqual({ ok: true, kind: 'instance', key: KEY, instanceRef: 'abc123xy' });
  });

  it('accepts an instanceRef with uppercase letters, as the published format allows', () => {
    const key = `trusset_AbC123Xy_${HEX64}`;
    expect(parseInstanceKey(key)).toEqual({ ok: true, kind: 'instance', key, instanceRef: 'AbC123Xy' });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['the empty string', ''],
    ['only spaces', '   '],
    ['only tabs and spaces', '\t \t'],
  ])('reports %s as missing', (_name, input) => {
    expect(parseInstanceKey(input)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['a MiCA key', `trusset_mica_${'a'.repeat(48)}`],
    ['a TCS key', `tcs_production_${'a'.repeat(48)}`],
    ['a management token', HEX64],
    ['an uppercase prefix', `TRUSSET_abc123xy_${HEX64}`],
    ['a leading space', ` ${KEY}`],
    ['a Bearer scheme in front', `Bearer ${KEY}`],
    ['a prefix without its underscore', `trussetabc123xy_${HEX64}`],
  ])('reports %s as wrong-prefix', (_name, input) => {
    expect(parseInstanceKey(input)).toEqual({ ok: false, reason: 'wrong-prefix' });
  });

  it.each([
    ['uppercase hex in the secret', `trusset_abc123xy_${HEX64.toUpperCase()}`],
    ['one uppercase hex digit', `trusset_abc123xy_${HEX64.slice(0, 63)}F`],
    ['a non-hex secret character', `trusset_abc123xy_${HEX64.slice(0, 63)}g`],
    ['an instanceRef of 7 characters', `trusset_abc123x_${HEX64}0`],
    ['an instanceRef of 9 characters', `trusset_abc123xyz_${HEX64.slice(1)}`],
    ['an instanceRef with a dash', `trusset_abc-23xy_${HEX64}`],
    ['a missing separator', `trusset_abc123xy${HEX64}0`],
    ['a trailing space', `${KEY} `],
    ['a trailing newline', `${KEY}\n`],
    ['a NUL inside', `trusset_abc123xy_${HEX64.slice(0, 63)}\u0000`],
    ['a non-ASCII digit', `trusset_abc123xy_${HEX64.slice(0, 63)}\u0661`],
    ['a fullwidth letter in the instanceRef', `trusset_abc123x\uFF59_${HEX64}`],
    ['the prefix alone', 'trusset_'],
    ['two keys joined by a comma (repeated header)', `${KEY}, ${KEY}`],
  ])('reports %s as malformed', (_name, input) => {
    expect(parseInstanceKey(input)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['a number', 42],
    ['a boolean', true],
    ['an array of two keys (repeated header)', [KEY, KEY]],
    ['an array of one key', [KEY]],
    ['a String object', Object(KEY)],
    ['an object whose toString returns a key', { toString: () => KEY }],
    ['a symbol', Symbol('key')],
    ['a bigint', 10n],
    ['a function', () => KEY],
  ])('reports %s as malformed without converting it', (_name, input) => {
    expect(parseInstanceKey(input)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('never calls a method of an object it is given', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('touched');
        },
        getPrototypeOf() {
          throw new Error('touched');
        },
      },
    );
    expect(parseInstanceKey(hostile)).toEqual({ ok: false, reason: 'malformed' });
  });

  describe('length boundaries', () => {
    it('rejects a key of 80 characters (one short) as malformed', () => {
      expect(parseInstanceKey(KEY.slice(0, 80))).toEqual({ ok: false, reason: 'malformed' });
    });

    it('accepts a key of exactly 81 characters', () => {
      expect(KEY).toHaveLength(81);
      expect(parseInstanceKey(KEY).ok).toBe(true);
    });

    it('rejects a key of 82 characters (one extra hex digit) as malformed', () => {
      expect(parseInstanceKey(`${KEY}0`)).toEqual({ ok: false, reason: 'malformed' });
    });

    it.each([255, 256])('rejects a prefixed value of %i characters as malformed', (length) => {
      expect(parseInstanceKey(KEY.padEnd(length, '0'))).toEqual({ ok: false, reason: 'malformed' });
    });

    it('still classifies a 256-character value by its prefix (the bound is inclusive)', () => {
      expect(MAX_KEY_LENGTH).toBe(256);
      expect(parseInstanceKey('x'.repeat(256))).toEqual({ ok: false, reason: 'wrong-prefix' });
      expect(parseInstanceKey(' '.repeat(256))).toEqual({ ok: false, reason: 'missing' });
    });

    it.each([257, 100_000])(
      'rejects a value of %i characters as malformed before any other check',
      (length) => {
        expect(parseInstanceKey('x'.repeat(length))).toEqual({ ok: false, reason: 'malformed' });
        expect(parseInstanceKey(' '.repeat(length))).toEqual({ ok: false, reason: 'malformed' });
        expect(parseInstanceKey(KEY.padEnd(length, '0'))).toEqual({ ok: false, reason: 'malformed' });
      },
    );
  });

  describe('legacy keys (trusset_v2_)', () => {
    const legacy = legacyKey('abc123xy', HEX64);

    it('rejects a legacy key as malformed by default', () => {
      expect(legacy).toHaveLength(84);
      expect(parseInstanceKey(legacy)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('rejects a legacy key as malformed when allowLegacy is false', () => {
      expect(parseInstanceKey(legacy, { allowLegacy: false })).toEqual({ ok: false, reason: 'malformed' });
    });

    it('accepts a legacy key when allowLegacy is true', () => {
      expect(parseInstanceKey(legacy, { allowLegacy: true })).toEqual({
        ok: true,
        kind: 'legacy-instance',
        key: legacy,
        instanceRef: 'abc123xy',
      });
    });

    it('still accepts current keys when allowLegacy is true', () => {
      expect(parseInstanceKey(KEY, { allowLegacy: true })).toMatchObject({ ok: true, kind: 'instance' });
    });

    it.each([
      ['83 characters', legacy.slice(0, 83)],
      ['85 characters', `${legacy}0`],
      ['uppercase hex', legacyKey('abc123xy', HEX64.toUpperCase())],
      ['a short instanceRef', `trusset_v2_abc123x_${HEX64}0`],
    ])('rejects a legacy key with %s as malformed even when allowed', (_name, input) => {
      expect(parseInstanceKey(input, { allowLegacy: true })).toEqual({ ok: false, reason: 'malformed' });
    });

    it('treats a current key whose instanceRef starts with v2 as a current key', () => {
      const key = `trusset_v2abcdef_${HEX64}`;
      expect(parseInstanceKey(key)).toEqual({ ok: true, kind: 'instance', key, instanceRef: 'v2abcdef' });
    });
  });

  describe('MiCA keys', () => {
    it('never parses a MiCA key as an instance key, legacy allowed or not', () => {
      const mica = generateMicaKey();
      expect(parseInstanceKey(mica)).toEqual({ ok: false, reason: 'wrong-prefix' });
      expect(parseInstanceKey(mica, { allowLegacy: true })).toEqual({ ok: false, reason: 'wrong-prefix' });
    });

    it('reports any value starting with trusset_mica_ as wrong-prefix', () => {
      expect(parseInstanceKey(`trusset_mica_${HEX64.slice(0, 4)}_${HEX64}`)).toEqual({
        ok: false,
        reason: 'wrong-prefix',
      });
    });

    it('accepts an instance key whose instanceRef starts with mica', () => {
      const key = generateInstanceKey('mica1234');
      expect(parseInstanceKey(key)).toMatchObject({ ok: true, kind: 'instance', instanceRef: 'mica1234' });
    });
  });
});

describe('generateInstanceRef', () => {
  it('returns 8 characters from [a-z0-9]', () => {
    expect(generateInstanceRef()).toMatch(/^[a-z0-9]{8}$/);
  });
});

describe('generateInstanceKey', () => {
  it('returns an 81-character key with the given instanceRef and a lowercase hex secret', () => {
    const key = generateInstanceKey('abc123xy');
    expect(key).toMatch(/^trusset_abc123xy_[0-9a-f]{64}$/);
    expect(key).toHaveLength(81);
  });

  it('returns a different secret on every call', () => {
    expect(generateInstanceKey('abc123xy')).not.toBe(generateInstanceKey('abc123xy'));
  });

  it.each([
    ['too short', 'abc123x'],
    ['too long', 'abc123xyz'],
    ['with an underscore', 'abc_23xy'],
    ['empty', ''],
    ['not a string', 12345678],
  ])('throws a TypeError for an instanceRef that is %s', (_name, ref) => {
    expect(() => generateInstanceKey(ref as string)).toThrow(TypeError);
  });
});

describe('keyPreview', () => {
  it('returns the first 20 characters of an instance key', () => {
    expect(keyPreview(KEY)).toBe('trusset_abc123xy_012');
  });

  it('returns the prefix and instanceRef of a legacy key, without any secret character', () => {
    expect(keyPreview(legacyKey('abc123xy', HEX64))).toBe('trusset_v2_abc123xy_');
  });

  it('throws a TypeError that does not contain the value when given something that is not an instance key', () => {
    const notAKey = `trusset_abc123xy_${'SECRET'.repeat(10)}abcd`;
    let thrown: unknown;
    try {
      keyPreview(notAKey);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).not.toContain('SECRET');
  });
});
