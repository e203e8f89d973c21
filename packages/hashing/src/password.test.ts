import type { HashOptions } from 'argon2';
import * as argon2 from 'argon2';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Argon2Backend, Argon2HashOptions, PasswordHasherOptions } from './password.js';
import {
  createPasswordHasher,
  normalizePassword,
  PASSWORD_HASH_DEFAULTS,
  PasswordHashFormatError,
  passwordLength,
} from './password.js';
import { parsePasswordHash } from './phc.js';

// Small parameters keep the many behaviour and property tests fast (~1 ms per argon2 call instead of
// ~50 ms); the OWASP defaults are exercised by the real-hash tests below.
const SMALL = { memoryCostKiB: 1024, timeCost: 1, parallelism: 1 } as const;
const PASSWORD = 'correct horse battery staple';
// The phc-winner-argon2 reference implementation's README example (password "password", salt "somesalt").
const REFERENCE = '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG';
const CANONICAL_PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

/** Wraps the real native argon2 module and records every call; `overrides` replace single calls. */
function countingArgon2(overrides: Partial<Argon2Backend> = {}) {
  const calls = { hash: [] as Argon2HashOptions[], verify: [] as string[] };
  const backend: Argon2Backend = {
    hash: (password, options) => {
      calls.hash.push(options);
      return overrides.hash ? overrides.hash(password, options) : argon2.hash(password, options);
    },
    verify: (phc, password) => {
      calls.verify.push(phc);
      return overrides.verify ? overrides.verify(phc, password) : argon2.verify(phc, password);
    },
  };
  return { backend, calls };
}

function countingHasher(options: PasswordHasherOptions = SMALL, overrides: Partial<Argon2Backend> = {}) {
  const { backend, calls } = countingArgon2(overrides);
  return { hasher: createPasswordHasher({ ...options, argon2: backend }), calls };
}

async function hashOrFail(hash: Promise<{ ok: true; phc: string } | { ok: false; reason: string }>) {
  const result = await hash;
  if (!result.ok) {
    throw new Error(`unexpected refusal: ${result.reason}`);
  }
  return result.phc;
}

describe('password hashing with the real argon2 at the OWASP defaults', () => {
  const defaults = createPasswordHasher();
  let phc: string;

  beforeAll(async () => {
    phc = await hashOrFail(defaults.hash(PASSWORD));
  });

  it('writes an argon2id PHC string with m=19456, t=2, p=1 in canonical order', () => {
    expect(phc).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
    expect(phc).toMatch(CANONICAL_PHC);
  });

  it('stores a 16-byte salt and a 32-byte hash', () => {
    expect(parsePasswordHash(phc)).toMatchObject({ ok: true, hash: { saltBytes: 16, hashBytes: 32 } });
  });

  it('verifies the right password', async () => {
    await expect(defaults.verify(phc, PASSWORD)).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    await expect(defaults.verify(phc, `${PASSWORD}!`)).resolves.toBe(false);
  });

  it('writes hashes the argon2 package itself verifies', async () => {
    await expect(argon2.verify(phc, PASSWORD)).resolves.toBe(true);
  });

  it('does not ask to rehash a hash made with the current defaults', () => {
    expect(defaults.needsRehash(phc)).toBe(false);
  });

  it('verifies the reference implementation example and asks to rehash it (argon2i)', async () => {
    await expect(defaults.verify(REFERENCE, 'password')).resolves.toBe(true);
    await expect(defaults.verify(REFERENCE, 'Password')).resolves.toBe(false);
    expect(defaults.needsRehash(REFERENCE)).toBe(true);
  });

  it('answers false for an unknown account and true for a known one with the right password', async () => {
    await expect(defaults.verifyOrDummy(null, PASSWORD)).resolves.toBe(false);
    await expect(defaults.verifyOrDummy(phc, PASSWORD)).resolves.toBe(true);
  });
});

describe('createPasswordHasher', () => {
  it('applies the OWASP defaults when given no options', () => {
    expect(createPasswordHasher().parameters).toEqual({
      memoryCostKiB: 19456,
      timeCost: 2,
      parallelism: 1,
      maxPasswordBytes: 1024,
    });
    expect(PASSWORD_HASH_DEFAULTS).toEqual(createPasswordHasher().parameters);
  });

  it('passes the parameters to argon2 in its own names and units', async () => {
    const { hasher, calls } = countingHasher({ memoryCostKiB: 2048, timeCost: 3, parallelism: 2 });
    await hashOrFail(hasher.hash(PASSWORD));
    expect(calls.hash).toEqual([
      { type: argon2.argon2id, version: 0x13, memoryCost: 2048, timeCost: 3, parallelism: 2, hashLength: 32 },
    ]);
  });

  it('writes the configured parameters in canonical m,t,p order', async () => {
    const phc = await hashOrFail(
      createPasswordHasher({ memoryCostKiB: 2048, timeCost: 3, parallelism: 2 }).hash('pw'),
    );
    expect(phc).toContain('$argon2id$v=19$m=2048,t=3,p=2$');
    expect(phc).toMatch(CANONICAL_PHC);
  });

  it('uses a fresh salt for every hash', async () => {
    const hasher = createPasswordHasher(SMALL);
    const first = await hashOrFail(hasher.hash(PASSWORD));
    const second = await hashOrFail(hasher.hash(PASSWORD));
    expect(first).not.toBe(second);
  });

  it('verifies a hash written by the argon2 package directly (m,p,t order)', async () => {
    const written = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 1024,
      timeCost: 1,
      parallelism: 1,
    });
    expect(written).toContain('m=1024,p=1,t=1');
    const hasher = createPasswordHasher(SMALL);
    await expect(hasher.verify(written, PASSWORD)).resolves.toBe(true);
    expect(hasher.needsRehash(written)).toBe(false);
  });

  it('verifies every password it hashed and rejects any other', async () => {
    const hasher = createPasswordHasher(SMALL);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
        async (password, suffix) => {
          const phc = await hashOrFail(hasher.hash(password));
          expect(await hasher.verify(phc, password)).toBe(true);
          expect(await hasher.verify(phc, password + suffix)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each<[string, PasswordHasherOptions]>([
    ['memory below 8 KiB per lane', { memoryCostKiB: 7 }],
    ['memory above 1 GiB', { memoryCostKiB: 2 ** 20 + 1 }],
    ['a fractional memory cost', { memoryCostKiB: 1024.5 }],
    ['a NaN memory cost', { memoryCostKiB: Number.NaN }],
    ['zero passes', { timeCost: 0 }],
    ['more than 32 passes', { timeCost: 33 }],
    ['zero lanes', { parallelism: 0 }],
    ['more than 16 lanes', { parallelism: 17, memoryCostKiB: 65536 }],
    ['a zero password bound', { maxPasswordBytes: 0 }],
    ['a password bound above 64 KiB', { maxPasswordBytes: 65537 }],
  ])('refuses %s as a configuration error', (_name, options) => {
    expect(() => createPasswordHasher(options)).toThrow(RangeError);
  });
});

describe('needsRehash', () => {
  let phc: string;

  beforeAll(async () => {
    phc = await hashOrFail(createPasswordHasher(SMALL).hash(PASSWORD));
  });

  it('is false for a hash made with the current parameters', () => {
    expect(createPasswordHasher(SMALL).needsRehash(phc)).toBe(false);
  });

  it.each([
    ['memory cost', { ...SMALL, memoryCostKiB: 2048 }],
    ['time cost', { ...SMALL, timeCost: 2 }],
    ['parallelism', { ...SMALL, parallelism: 2 }],
  ])('is true once the %s changes', (_name, current) => {
    expect(createPasswordHasher(current).needsRehash(phc)).toBe(true);
  });

  it('is true for a hash made with the old parameters when the defaults apply', () => {
    expect(createPasswordHasher().needsRehash(phc)).toBe(true);
  });

  it.each<[string, HashOptions]>([
    ['argon2i', { type: argon2.argon2i }],
    ['argon2d', { type: argon2.argon2d }],
    ['argon2 version 16', { version: 0x10 }],
    ['a 16-byte hash', { hashLength: 16 }],
    ['an 8-byte salt', { salt: Buffer.alloc(8, 1) }],
  ])('is true for a hash with the current costs but %s', async (_name, variant) => {
    const written = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: SMALL.memoryCostKiB,
      timeCost: SMALL.timeCost,
      parallelism: SMALL.parallelism,
      ...variant,
    });
    const hasher = createPasswordHasher(SMALL);
    await expect(hasher.verify(written, PASSWORD)).resolves.toBe(true);
    expect(hasher.needsRehash(written)).toBe(true);
  });

  it('throws PasswordHashFormatError for a string that is not an argon2 PHC string', () => {
    expect(() =>
      createPasswordHasher().needsRehash('$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'),
    ).toThrow(PasswordHashFormatError);
  });
});

describe('the rehash-on-login path', () => {
  it('verifies an old hash with new parameters, replaces it, and verifies the replacement', async () => {
    const previous = createPasswordHasher({ memoryCostKiB: 1024, timeCost: 1, parallelism: 1 });
    const current = createPasswordHasher({ memoryCostKiB: 2048, timeCost: 2, parallelism: 1 });
    const stored = await hashOrFail(previous.hash(PASSWORD));

    // Login with the current hasher: the stored string carries its own parameters.
    await expect(current.verifyOrDummy(stored, PASSWORD)).resolves.toBe(true);
    expect(current.needsRehash(stored)).toBe(true);

    const replacement = await hashOrFail(current.hash(PASSWORD));
    expect(replacement).toContain('$m=2048,t=2,p=1$');
    expect(current.needsRehash(replacement)).toBe(false);
    await expect(current.verifyOrDummy(replacement, PASSWORD)).resolves.toBe(true);
    await expect(current.verifyOrDummy(replacement, 'not the password')).resolves.toBe(false);
  });
});

describe('verifyOrDummy (login)', () => {
  it('spends exactly one argon2 verify for an unknown account (null) and returns false', async () => {
    const { hasher, calls } = countingHasher();
    await expect(hasher.verifyOrDummy(null, PASSWORD)).resolves.toBe(false);
    expect(calls.verify).toHaveLength(1);
  });

  it('spends exactly one argon2 verify for an unknown account (undefined) and returns false', async () => {
    const { hasher, calls } = countingHasher();
    await expect(hasher.verifyOrDummy(undefined, PASSWORD)).resolves.toBe(false);
    expect(calls.verify).toHaveLength(1);
  });

  it('spends exactly one argon2 verify for a wrong password and returns false', async () => {
    const { hasher, calls } = countingHasher();
    const stored = await hashOrFail(hasher.hash(PASSWORD));
    await expect(hasher.verifyOrDummy(stored, 'wrong password')).resolves.toBe(false);
    expect(calls.verify).toEqual([stored]);
  });

  it('spends exactly one argon2 verify for the right password and returns true', async () => {
    const { hasher, calls } = countingHasher();
    const stored = await hashOrFail(hasher.hash(PASSWORD));
    await expect(hasher.verifyOrDummy(stored, PASSWORD)).resolves.toBe(true);
    expect(calls.verify).toHaveLength(1);
  });

  it('verifies an unknown account against a dummy hash with the same parameters as a real one', async () => {
    const { hasher, calls } = countingHasher({ memoryCostKiB: 2048, timeCost: 2, parallelism: 1 });
    const stored = await hashOrFail(hasher.hash(PASSWORD));
    await hasher.verifyOrDummy(stored, 'wrong password');
    await hasher.verifyOrDummy(null, 'wrong password');
    const [real = '', dummy = ''] = calls.verify;
    expect(dummy).not.toBe(real);
    expect(parsePasswordHash(dummy)).toEqual(parsePasswordHash(real));
    expect(dummy).toContain('$argon2id$v=19$m=2048,t=2,p=1$');
  });

  it('never authenticates an unknown account, even when argon2 answers true', async () => {
    const { hasher, calls } = countingHasher(SMALL, { verify: async () => true });
    await expect(hasher.verifyOrDummy(null, PASSWORD)).resolves.toBe(false);
    expect(calls.verify).toHaveLength(1);
  });

  it('computes the dummy hash once and reuses it', async () => {
    const { hasher, calls } = countingHasher();
    for (const password of ['a password', 'another password', 'a third one']) {
      await expect(hasher.verifyOrDummy(null, password)).resolves.toBe(false);
    }
    expect(calls.hash).toHaveLength(1);
    expect(calls.verify).toHaveLength(3);
    expect(new Set(calls.verify).size).toBe(1);
  });

  it('shares one dummy computation between concurrent first logins', async () => {
    const { hasher, calls } = countingHasher();
    const results = await Promise.all(Array.from({ length: 5 }, () => hasher.verifyOrDummy(null, PASSWORD)));
    expect(results).toEqual([false, false, false, false, false]);
    expect(calls.hash).toHaveLength(1);
    expect(calls.verify).toHaveLength(5);
  });

  it('computes the dummy hash at warm-up, not at the first unknown-account login', async () => {
    const { hasher, calls } = countingHasher();
    await hasher.warmUp();
    expect(calls.hash).toHaveLength(1);
    expect(calls.verify).toHaveLength(0);
    await hasher.verifyOrDummy(null, PASSWORD);
    expect(calls.hash).toHaveLength(1);
    expect(calls.verify).toHaveLength(1);
  });

  it('fails (not false) when the dummy hash cannot be computed, and retries on the next login', async () => {
    let failures = 1;
    const { hasher, calls } = countingHasher(SMALL, {
      hash: async (password, options) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('threadpool exploded');
        }
        return argon2.hash(password, options);
      },
    });
    await expect(hasher.verifyOrDummy(null, PASSWORD)).rejects.toThrow('threadpool exploded');
    await expect(hasher.verifyOrDummy(null, PASSWORD)).resolves.toBe(false);
    expect(calls.hash).toHaveLength(2);
    expect(calls.verify).toHaveLength(1);
  });

  it('propagates an argon2 failure instead of reporting a wrong password', async () => {
    const { hasher } = countingHasher(SMALL, {
      verify: async () => {
        throw new Error('native binding failed');
      },
    });
    const stored = await hashOrFail(createPasswordHasher(SMALL).hash(PASSWORD));
    await expect(hasher.verify(stored, PASSWORD)).rejects.toThrow('native binding failed');
    await expect(hasher.verifyOrDummy(stored, PASSWORD)).rejects.toThrow('native binding failed');
  });

  it('rejects a hash from argon2 that does not match the requested parameters', async () => {
    const { hasher } = countingHasher(SMALL, {
      hash: (password) =>
        argon2.hash(password, { type: argon2.argon2id, memoryCost: 2048, timeCost: 1, parallelism: 1 }),
    });
    await expect(hasher.hash(PASSWORD)).rejects.toThrow('does not match the requested parameters');
  });
});

describe('malformed stored hashes', () => {
  const cases = [
    ['a truncated PHC string', '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzYWx0', 'malformed'],
    [
      'a bcrypt hash',
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
      'unsupported_algorithm',
    ],
    ['a plaintext password', PASSWORD, 'malformed'],
    ['the empty string', '', 'malformed'],
    [
      'a hash demanding 4 GiB',
      '$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHRzYWx0$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
      'parameters_out_of_range',
    ],
  ] as const;

  it.each(cases)(
    'rejects %s with PasswordHashFormatError without calling argon2',
    async (_name, stored, reason) => {
      const { hasher, calls } = countingHasher();
      const error = await hasher.verify(stored, PASSWORD).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(PasswordHashFormatError);
      expect(error).toMatchObject({ name: 'PasswordHashFormatError', reason });
      expect(calls.verify).toHaveLength(0);
    },
  );

  it('treats an empty stored string as corrupt, not as an unknown account', async () => {
    const { hasher, calls } = countingHasher();
    await expect(hasher.verifyOrDummy('', PASSWORD)).rejects.toBeInstanceOf(PasswordHashFormatError);
    expect(calls.verify).toHaveLength(0);
  });

  it('reports a corrupt row even when the password would be refused', async () => {
    await expect(createPasswordHasher(SMALL).verify('garbage', '')).rejects.toBeInstanceOf(
      PasswordHashFormatError,
    );
  });

  it('never puts the password or the stored hash in the error', async () => {
    const stored = '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzYWx0$secretsecretsecret!';
    const error = await createPasswordHasher(SMALL)
      .verify(stored, 'hunter2-hunter2')
      .then(
        () => new Error('expected a rejection'),
        (thrown: unknown) => thrown as Error,
      );
    expect(error).toBeInstanceOf(PasswordHashFormatError);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('secretsecret');
    expect(error.message).not.toContain('c29tZXNhbHRzYWx0');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });
});

describe('password input bounds', () => {
  let stored: string;

  beforeAll(async () => {
    stored = await hashOrFail(createPasswordHasher(SMALL).hash(PASSWORD));
  });

  it('refuses to hash a password longer than 1024 UTF-8 bytes, without calling argon2', async () => {
    const { hasher, calls } = countingHasher();
    await expect(hasher.hash('a'.repeat(1025))).resolves.toEqual({ ok: false, reason: 'too_long' });
    expect(calls.hash).toHaveLength(0);
  });

  it('hashes and verifies a password of exactly 1024 bytes', async () => {
    const hasher = createPasswordHasher(SMALL);
    const phc = await hashOrFail(hasher.hash('a'.repeat(1024)));
    await expect(hasher.verify(phc, 'a'.repeat(1024))).resolves.toBe(true);
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const hasher = createPasswordHasher(SMALL);
    // '€' is 3 bytes in UTF-8: 342 of them are 1026 bytes, 341 are 1023.
    await expect(hasher.hash('€'.repeat(342))).resolves.toEqual({ ok: false, reason: 'too_long' });
    await expect(hasher.hash('€'.repeat(341))).resolves.toMatchObject({ ok: true });
  });

  it('answers false for an over-long password without argon2 work, for known and unknown accounts alike', async () => {
    const { hasher, calls } = countingHasher();
    const huge = 'x'.repeat(1_000_000);
    await expect(hasher.verify(stored, huge)).resolves.toBe(false);
    await expect(hasher.verifyOrDummy(stored, huge)).resolves.toBe(false);
    await expect(hasher.verifyOrDummy(null, huge)).resolves.toBe(false);
    expect(calls.verify).toHaveLength(0);
    expect(calls.hash).toHaveLength(0);
  });

  it('honours a configured maxPasswordBytes', async () => {
    const hasher = createPasswordHasher({ ...SMALL, maxPasswordBytes: 16 });
    await expect(hasher.hash('a'.repeat(17))).resolves.toEqual({ ok: false, reason: 'too_long' });
    await expect(hasher.hash('a'.repeat(16))).resolves.toMatchObject({ ok: true });
  });

  it('refuses to hash the empty password and never matches it, without argon2 work', async () => {
    const { hasher, calls } = countingHasher();
    await expect(hasher.hash('')).resolves.toEqual({ ok: false, reason: 'empty' });
    await expect(hasher.verify(stored, '')).resolves.toBe(false);
    await expect(hasher.verifyOrDummy(null, '')).resolves.toBe(false);
    expect(calls.hash).toHaveLength(0);
    expect(calls.verify).toHaveLength(0);
  });

  it('refuses a password with a lone surrogate, which UTF-8 cannot carry', async () => {
    const hasher = createPasswordHasher(SMALL);
    await expect(hasher.hash('pass\uD800word')).resolves.toEqual({ ok: false, reason: 'not_well_formed' });
    await expect(hasher.hash('pass\uD83D\uDD11word')).resolves.toMatchObject({ ok: true });
  });

  it('returns false for a non-string password from an untyped caller', async () => {
    await expect(createPasswordHasher(SMALL).verify(stored, 12345 as unknown as string)).resolves.toBe(false);
  });

  it('verifies the same text in composed and decomposed Unicode forms (NFKC)', async () => {
    const hasher = createPasswordHasher(SMALL);
    const phc = await hashOrFail(hasher.hash('caf\u00e9 au lait'));
    await expect(hasher.verify(phc, 'cafe\u0301 au lait')).resolves.toBe(true);
    await expect(hasher.verify(phc, 'cafe au lait')).resolves.toBe(false);
  });

  it('hashes the normalizePassword form: a password and its normalized form verify alike', async () => {
    const hasher = createPasswordHasher(SMALL);
    const typed = `${'e\u0301'.repeat(6)}\uff21`;
    expect(normalizePassword(typed)).toBe(`${'\u00e9'.repeat(6)}A`);
    const phc = await hashOrFail(hasher.hash(typed));
    await expect(hasher.verify(phc, normalizePassword(typed))).resolves.toBe(true);
  });

  it('verifies compatibility forms alike (full-width letters, NFKC)', async () => {
    const hasher = createPasswordHasher(SMALL);
    const phc = await hashOrFail(hasher.hash('password'));
    await expect(hasher.verify(phc, '\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44')).resolves.toBe(true);
  });

  it('gives a typed result for any input and never throws', async () => {
    // The smallest legal memory cost keeps 1000 real argon2 runs fast.
    const hasher = createPasswordHasher({
      memoryCostKiB: 8,
      timeCost: 1,
      parallelism: 1,
      maxPasswordBytes: 64,
    });
    const anyPassword = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({
        unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
        maxLength: 80,
      }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(anyPassword, async (password) => {
        const result = await hasher.hash(password as string);
        if (result.ok) {
          expect(await hasher.verify(result.phc, password as string)).toBe(true);
        } else {
          expect(['empty', 'too_long', 'not_well_formed']).toContain(result.reason);
          expect(await hasher.verifyOrDummy(stored, password as string)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('passwordLength', () => {
  it('counts the code points of the NFKC form, as hashed', () => {
    expect(passwordLength('e\u0301'.repeat(6))).toBe(6);
    expect(passwordLength('\u00e9'.repeat(6))).toBe(6);
    expect(passwordLength('\uff50\uff57')).toBe(2);
    expect(passwordLength('\u{1F511}'.repeat(12))).toBe(12);
    expect(passwordLength('correct horse')).toBe(13);
    expect(passwordLength('')).toBe(0);
  });

  it('keeps combining marks that have no precomposed form: they stay separate characters', () => {
    // q + U+0301 has no composed code point, so NFKC keeps two.
    expect(passwordLength('q\u0301'.repeat(6))).toBe(12);
  });

  it('is the length of normalizePassword for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 40 }), (password) => {
        expect(passwordLength(password)).toBe([...normalizePassword(password)].length);
      }),
    );
  });
});
