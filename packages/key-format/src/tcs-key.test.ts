import { describe, expect, it } from 'vitest';
import { generateTcsKey, parseTcsKey } from './index.js';

const HEX48 = '0123456789abcdef'.repeat(3);
const KEY = `tcs_production_${HEX48}`;

describe('parseTcsKey', () => {
  it('accepts a well-formed key and returns its environment', () => {
    expect(parseTcsKey(KEY)).toEqual({ ok: true, kind: 'tcs', key: KEY, environment: 'production' });
  });

  it.each([
    ['1', `tcs_1_${HEX48}`],
    ['16', `tcs_${'a'.repeat(16)}_${HEX48}`],
  ])('accepts an environment of %s characters', (_name, key) => {
    expect(parseTcsKey(key).ok).toBe(true);
  });

  it.each([
    ['undefined', undefined],
    ['the empty string', ''],
    ['spaces', '    '],
  ])('reports %s as missing (SPEC §6.1: API Key is required)', (_name, input) => {
    expect(parseTcsKey(input)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['an instance key', `trusset_abc123xy_${HEX48}${'0'.repeat(16)}`],
    ['an uppercase prefix', `TCS_production_${HEX48}`],
    ['a missing underscore', `tcsproduction_${HEX48}`],
  ])('reports %s as wrong-prefix', (_name, input) => {
    expect(parseTcsKey(input)).toEqual({ ok: false, reason: 'wrong-prefix' });
  });

  it.each([
    ['an empty environment', `tcs__${HEX48}`],
    ['an environment of 17 characters', `tcs_${'a'.repeat(17)}_${HEX48}`],
    ['an uppercase environment', `tcs_Production_${HEX48}`],
    ['an environment with a dash', `tcs_prod-eu_${HEX48}`],
    ['an environment with an underscore', `tcs_prod_eu_${HEX48}`],
    ['47 hex characters', KEY.slice(0, -1)],
    ['49 hex characters', `${KEY}0`],
    ['uppercase hex', `tcs_production_${HEX48.toUpperCase()}`],
    ['the prefix alone', 'tcs_'],
    ['257 characters', KEY.padEnd(257, '0')],
  ])('reports %s as malformed', (_name, input) => {
    expect(parseTcsKey(input)).toEqual({ ok: false, reason: 'malformed' });
  });

  describe('with an expected environment', () => {
    it('accepts a key of that environment', () => {
      expect(parseTcsKey(KEY, { environment: 'production' })).toMatchObject({
        ok: true,
        environment: 'production',
      });
    });

    it('reports a key of another environment as wrong-prefix', () => {
      expect(parseTcsKey(`tcs_sandbox_${HEX48}`, { environment: 'production' })).toEqual({
        ok: false,
        reason: 'wrong-prefix',
      });
    });

    it('reports a key whose environment only starts with the expected one as wrong-prefix', () => {
      expect(parseTcsKey(KEY, { environment: 'prod' })).toEqual({ ok: false, reason: 'wrong-prefix' });
    });

    it('reports a key of that environment with a bad secret as malformed', () => {
      expect(parseTcsKey(`${KEY}0`, { environment: 'production' })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    });

    it('throws a TypeError when the expected environment itself is invalid (a configuration error)', () => {
      expect(() => parseTcsKey(KEY, { environment: 'Production' })).toThrow(TypeError);
      expect(() => parseTcsKey(KEY, { environment: '' })).toThrow(TypeError);
    });
  });
});

describe('generateTcsKey', () => {
  it('returns tcs_, the environment and 48 lowercase hex characters', () => {
    expect(generateTcsKey('sandbox')).toMatch(/^tcs_sandbox_[0-9a-f]{48}$/);
  });

  it.each([
    ['empty', ''],
    ['17 characters', 'a'.repeat(17)],
    ['uppercase', 'Sandbox'],
    ['with an underscore', 'eu_west'],
  ])('throws a TypeError for an environment that is %s', (_name, environment) => {
    expect(() => generateTcsKey(environment)).toThrow(TypeError);
  });
});
