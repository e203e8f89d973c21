import { describe, expect, it } from 'vitest';
import {
  generateInstanceKey,
  generateManagementToken,
  generateMicaKey,
  micaKeyHint,
  micaKeyPrefix,
  parseManagementToken,
  parseMicaKey,
} from './index.js';

const HEX48 = '0123456789abcdef'.repeat(3);
const HEX64 = '0123456789abcdef'.repeat(4);
const KEY = `trusset_mica_${HEX48}`;

describe('parseMicaKey', () => {
  it('accepts a well-formed 61-character key', () => {
    expect(KEY).toHaveLength(61);
    expect(parseMicaKey(KEY)).toEqual({ ok: true, kind: 'mica', key: KEY });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['the empty string', ''],
    ['only spaces', '  '],
  ])('reports %s as missing (SPEC §5.1: UNAUTHORIZED)', (_name, input) => {
    expect(parseMicaKey(input)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['an instance key', generateInstanceKey('abc123xy')],
    ['an uppercase prefix', `TRUSSET_MICA_${HEX48}`],
    ['a bare hex value', HEX48],
    ['the prefix without its last underscore', `trusset_mica${HEX48}`],
    ['a leading space', ` ${KEY}`],
  ])('reports %s as wrong-prefix (SPEC §5.1: UNAUTHORIZED)', (_name, input) => {
    expect(parseMicaKey(input)).toEqual({ ok: false, reason: 'wrong-prefix' });
  });

  it.each([
    ['the prefix alone', 'trusset_mica_'],
    ['60 characters', KEY.slice(0, 60)],
    ['62 characters', `${KEY}0`],
    ['uppercase hex', `trusset_mica_${HEX48.toUpperCase()}`],
    ['a non-hex character', `trusset_mica_${HEX48.slice(0, 47)}z`],
    ['a trailing space', `${KEY} `],
    ['256 characters', KEY.padEnd(256, '0')],
    ['257 characters', KEY.padEnd(257, '0')],
    ['100 000 characters', KEY.padEnd(100_000, '0')],
    ['an array of two keys', [KEY, KEY]],
    ['a number', 61],
  ])('reports %s as malformed (SPEC §5.1: INVALID_KEY)', (_name, input) => {
    expect(parseMicaKey(input)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('generateMicaKey', () => {
  it('returns trusset_mica_ and 48 lowercase hex characters', () => {
    expect(generateMicaKey()).toMatch(/^trusset_mica_[0-9a-f]{48}$/);
  });
});

describe('micaKeyPrefix and micaKeyHint', () => {
  it('returns trusset_mica_ and the first 9 hex characters as the keyPrefix', () => {
    expect(micaKeyPrefix(KEY)).toBe('trusset_mica_012345678');
  });

  it('returns the last 4 hex characters as the keyHint', () => {
    expect(micaKeyHint(KEY)).toBe('cdef');
  });

  it.each([
    ['micaKeyPrefix', micaKeyPrefix],
    ['micaKeyHint', micaKeyHint],
  ])('%s throws a TypeError without the value for something that is not a MiCA key', (_name, fn) => {
    const notAKey = `trusset_mica_${'SECRET'.repeat(8)}`;
    let thrown: unknown;
    try {
      fn(notAKey);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).not.toContain('SECRET');
  });
});

describe('parseManagementToken', () => {
  it('accepts 64 lowercase hex characters', () => {
    expect(parseManagementToken(HEX64)).toEqual({ ok: true, kind: 'management-token', token: HEX64 });
  });

  it.each([
    ['undefined', undefined],
    ['the empty string', ''],
    ['a tab', '\t'],
  ])('reports %s as missing', (_name, input) => {
    expect(parseManagementToken(input)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['63 characters', HEX64.slice(1)],
    ['65 characters', `${HEX64}0`],
    ['uppercase hex', HEX64.toUpperCase()],
    ['a MiCA key', KEY],
    ['a Bearer scheme in front', `Bearer ${HEX64}`],
    ['257 characters', HEX64.repeat(5).slice(0, 257)],
    ['an object', { token: HEX64 }],
  ])('reports %s as malformed (it has no prefix, so never wrong-prefix)', (_name, input) => {
    expect(parseManagementToken(input)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('generateManagementToken', () => {
  it('returns 64 lowercase hex characters, different each time', () => {
    const token = generateManagementToken();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(generateManagementToken()).not.toBe(token);
  });
});
