import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestKey } from './digest.js';

// Expected values computed independently with coreutils: printf '%s' "<input>" | sha256sum
describe('digestKey', () => {
  it('matches the FIPS 180-2 SHA-256 vector for "abc"', () => {
    expect(digestKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches the SHA-256 vector for the empty string', () => {
    expect(digestKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('digests a full TCS API key, prefix included', () => {
    expect(digestKey('tcs_production_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718')).toBe(
      'e0bc0d68fe91795bc8bf299f3c64935be33ab9181b18c87fcf220a12e7bbceec',
    );
  });

  it('digests a full instance key', () => {
    expect(
      digestKey('trusset_abc123xy_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'),
    ).toBe('ab241ce2148ed58830b0569740ec1670ed0d4b3cd4cc4b3bbb9a5cc88d4613ad');
  });

  it('hashes the UTF-8 bytes of the key', () => {
    expect(digestKey('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });

  it('gives different digests for keys that differ in one character', () => {
    expect(digestKey('tcs_sandbox_00')).not.toBe(digestKey('tcs_sandbox_01'));
  });

  it('always returns 64 lowercase hex characters equal to SHA-256 of the UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (key) => {
        const digest = digestKey(key);
        expect(digest).toMatch(/^[0-9a-f]{64}$/);
        expect(digest).toBe(createHash('sha256').update(Buffer.from(key, 'utf8')).digest('hex'));
      }),
      { numRuns: 1000 },
    );
  });
});
