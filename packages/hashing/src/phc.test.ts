import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PasswordHashFormatReason } from './phc.js';
import { ARGON2_LIMITS, parsePasswordHash } from './phc.js';

// Written by node-argon2 0.45 (parameters in m,p,t order, ranisalt/node-argon2#559).
const NODE_ARGON2 =
  '$argon2id$v=19$m=19456,p=1,t=2$Ud0HUx21dMe8vB26KxGIMw$abirM7dGWGmE+cJZ5v4aFNv33RDDvuPrIDbxnLGlOqI';
// The phc-winner-argon2 reference implementation's README example (password "password", salt "somesalt").
const REFERENCE = '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG';
const SALT = 'Ud0HUx21dMe8vB26KxGIMw';
const HASH = 'abirM7dGWGmE+cJZ5v4aFNv33RDDvuPrIDbxnLGlOqI';
const REASONS: readonly string[] = [
  'malformed',
  'unsupported_algorithm',
  'unsupported_version',
  'unsupported_parameters',
  'parameters_out_of_range',
] satisfies PasswordHashFormatReason[];

function withParams(params: string, id = 'argon2id', version = 'v=19'): string {
  return `$${id}$${version}$${params}$${SALT}$${HASH}`;
}

describe('parsePasswordHash', () => {
  it('reads the parameters of a hash written by node-argon2 (m,p,t order)', () => {
    expect(parsePasswordHash(NODE_ARGON2)).toEqual({
      ok: true,
      hash: {
        algorithm: 'argon2id',
        version: 19,
        memoryCostKiB: 19456,
        timeCost: 2,
        parallelism: 1,
        saltBytes: 16,
        hashBytes: 32,
      },
    });
  });

  it('reads the reference implementation example (canonical m,t,p order, argon2i, 24-byte hash)', () => {
    expect(parsePasswordHash(REFERENCE)).toEqual({
      ok: true,
      hash: {
        algorithm: 'argon2i',
        version: 19,
        memoryCostKiB: 65536,
        timeCost: 2,
        parallelism: 4,
        saltBytes: 8,
        hashBytes: 24,
      },
    });
  });

  it('reads argon2 version 16 and argon2d', () => {
    const result = parsePasswordHash(withParams('m=1024,t=1,p=1', 'argon2d', 'v=16'));
    expect(result).toMatchObject({ ok: true, hash: { algorithm: 'argon2d', version: 16 } });
  });

  it.each([
    ['the empty string', ''],
    ['a string without a leading $', NODE_ARGON2.slice(1)],
    ['a plaintext password', 'hunter2'],
    ['a PHC string without a version segment', `$argon2id$m=1024,t=1,p=1$${SALT}$${HASH}`],
    ['a PHC string without a hash segment', `$argon2id$v=19$m=1024,t=1,p=1$${SALT}`],
    ['a PHC string with an extra segment', `${NODE_ARGON2}$x`],
    ['a trailing $', `${NODE_ARGON2}$`],
    ['a missing parameter', withParams('m=1024,t=1')],
    ['a repeated parameter', withParams('m=1024,t=1,p=1,p=1')],
    ['an unknown parameter', withParams('m=1024,t=1,p=1,x=1')],
    ['a parameter with a leading zero', withParams('m=01024,t=1,p=1')],
    ['a negative parameter', withParams('m=1024,t=-1,p=1')],
    ['a non-decimal parameter', withParams('m=0x400,t=1,p=1')],
    ['an eleven-digit parameter', withParams('m=10000000000,t=1,p=1')],
    ['spaces around parameters', withParams('m=1024, t=1, p=1')],
    ['an empty parameter list', withParams('')],
    ['a malformed version', withParams('m=1024,t=1,p=1', 'argon2id', 'v=')],
    ['base64 with padding', `$argon2id$v=19$m=1024,t=1,p=1$${SALT}==$${HASH}`],
    ['base64url characters', `$argon2id$v=19$m=1024,t=1,p=1$${SALT.slice(0, -1)}-$${HASH}`],
    ['an impossible base64 length (4n + 1)', `$argon2id$v=19$m=1024,t=1,p=1$${SALT}AAA$${HASH}`],
    ['an uppercase algorithm', withParams('m=1024,t=1,p=1', 'ARGON2ID')],
    ['a string longer than 512 characters', `${NODE_ARGON2}${'A'.repeat(512)}`],
  ])('refuses %s as malformed', (_name, phc) => {
    expect(parsePasswordHash(phc)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['a bcrypt hash', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['a scrypt hash', `$scrypt$ln=16,r=8,p=1$${SALT}$${HASH}`],
    ['a pbkdf2 hash', `$pbkdf2-sha256$29000$${SALT}$${HASH}`],
    ['an argon2 lookalike identifier', withParams('m=1024,t=1,p=1', 'argon2idx')],
    ['an Object.prototype property name', withParams('m=1024,t=1,p=1', 'constructor')],
  ])('refuses %s as an unsupported algorithm', (_name, phc) => {
    expect(parsePasswordHash(phc)).toEqual({ ok: false, reason: 'unsupported_algorithm' });
  });

  it('refuses an argon2 version other than 16 or 19', () => {
    expect(parsePasswordHash(withParams('m=1024,t=1,p=1', 'argon2id', 'v=20'))).toEqual({
      ok: false,
      reason: 'unsupported_version',
    });
  });

  it.each([
    ['associated data', 'm=1024,t=1,p=1,data=c29tZWRhdGE'],
    ['a key id', 'm=1024,t=1,p=1,keyid=a2V5'],
  ])('refuses a hash with %s as unsupported parameters', (_name, params) => {
    expect(parsePasswordHash(withParams(params))).toEqual({ ok: false, reason: 'unsupported_parameters' });
  });

  it.each([
    ['memory above 1 GiB', `m=${ARGON2_LIMITS.maxMemoryCostKiB + 1},t=1,p=1`],
    ['memory below 8 KiB per lane', 'm=31,t=1,p=4'],
    ['zero memory', 'm=0,t=1,p=1'],
    ['zero passes', 'm=1024,t=0,p=1'],
    ['too many passes', `m=1024,t=${ARGON2_LIMITS.maxTimeCost + 1},p=1`],
    ['zero lanes', 'm=1024,t=1,p=0'],
    ['too many lanes', `m=1048576,t=1,p=${ARGON2_LIMITS.maxParallelism + 1}`],
  ])('refuses a hash with %s as out of range', (_name, params) => {
    expect(parsePasswordHash(withParams(params))).toEqual({ ok: false, reason: 'parameters_out_of_range' });
  });

  it('refuses a salt shorter than 8 bytes and a hash shorter than 4 bytes as out of range', () => {
    // 'c2FsdA' is 4 bytes ("salt"); 'aGk' is 2 bytes ("hi").
    expect(parsePasswordHash(`$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$${HASH}`)).toEqual({
      ok: false,
      reason: 'parameters_out_of_range',
    });
    expect(parsePasswordHash(`$argon2id$v=19$m=1024,t=1,p=1$${SALT}$aGk`)).toEqual({
      ok: false,
      reason: 'parameters_out_of_range',
    });
  });

  it('accepts the limits themselves', () => {
    const params = `m=${ARGON2_LIMITS.maxMemoryCostKiB},t=${ARGON2_LIMITS.maxTimeCost},p=${ARGON2_LIMITS.maxParallelism}`;
    expect(parsePasswordHash(withParams(params)).ok).toBe(true);
    expect(parsePasswordHash(withParams('m=8,t=1,p=1')).ok).toBe(true);
  });

  it('returns a typed result and never throws for any input', () => {
    const phcLike = fc
      .array(fc.oneof(fc.constantFrom('argon2id', 'v=19', 'm=1024,t=1,p=1', SALT, HASH), fc.string()), {
        maxLength: 7,
      })
      .map((segments) => segments.join('$'));
    const anyValue = fc.oneof(
      fc.string({ unit: 'binary' }),
      phcLike,
      fc.constant(NODE_ARGON2),
      fc.anything(),
    );
    fc.assert(
      fc.property(anyValue, (value) => {
        const result = parsePasswordHash(value as string);
        if (result.ok) {
          expect(result.hash.memoryCostKiB).toBeLessThanOrEqual(ARGON2_LIMITS.maxMemoryCostKiB);
        } else {
          expect(REASONS).toContain(result.reason);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('gives a typed result for every single-character corruption of a valid hash', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: NODE_ARGON2.length - 1 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        (index, replacement) => {
          const corrupted = NODE_ARGON2.slice(0, index) + replacement + NODE_ARGON2.slice(index + 1);
          const result = parsePasswordHash(corrupted);
          if (result.ok) {
            expect(result.hash.parallelism).toBeLessThanOrEqual(ARGON2_LIMITS.maxParallelism);
          } else {
            expect(REASONS).toContain(result.reason);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
