import { describe, expect, it } from 'vitest';
import { legacyKey } from '../test/arbitraries.js';
import { REDACTED_MISSING, REDACTED_UNKNOWN, redactKey } from './index.js';

const HEX48 = '0123456789abcdef'.repeat(3);
const HEX64 = '0123456789abcdef'.repeat(4);

describe('redactKey', () => {
  it('shows the published keyPreview (first 20 characters) of an instance key', () => {
    expect(redactKey(`trusset_abc123xy_${HEX64}`)).toBe('trusset_abc123xy_012…');
  });

  it('shows the first 20 characters of a legacy instance key, which end before the secret', () => {
    expect(redactKey(legacyKey('abc123xy', HEX64))).toBe('trusset_v2_abc123xy_…');
  });

  it('shows the published keyPrefix (trusset_mica_ + 9 characters) of a MiCA key', () => {
    expect(redactKey(`trusset_mica_${HEX48}`)).toBe('trusset_mica_012345678…');
  });

  it('shows only the prefix and environment of a TCS key', () => {
    expect(redactKey(`tcs_production_${HEX48}`)).toBe('tcs_production_…');
  });

  it('shows nothing of a management token', () => {
    expect(redactKey(HEX64)).toBe('…');
  });

  it.each([undefined, null, '', '  \t'])('returns the missing placeholder for %j', (input) => {
    expect(redactKey(input)).toBe(REDACTED_MISSING);
    expect(REDACTED_MISSING).toBe('[missing]');
  });

  it.each([
    ['a malformed instance key', `trusset_abc123xy_${HEX64.toUpperCase()}`],
    ['a malformed MiCA key', `trusset_mica_${HEX48}0`],
    ['a bare prefix', 'trusset_mica_'],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln'],
    ['a password', 'correct horse battery staple'],
    ['a log-injection payload', 'x\r\n{"level":"info","msg":"admin logged in"}'],
    ['a key with a newline appended', `trusset_abc123xy_${HEX64}\n`],
    ['a 257-character value', 'a'.repeat(257)],
    ['a number', 1234],
    ['an array of keys', [`trusset_mica_${HEX48}`]],
    ['an object', { key: `trusset_mica_${HEX48}` }],
  ])('returns the fixed placeholder for %s, never the input', (_name, input) => {
    expect(redactKey(input)).toBe(REDACTED_UNKNOWN);
    expect(REDACTED_UNKNOWN).toBe('[redacted]');
  });
});
