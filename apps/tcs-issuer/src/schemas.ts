import { normalizePassword, passwordLength } from '@portcullis/hashing';
import { singleLineText } from '@portcullis/service';
import { z } from 'zod';

/** SPEC §6.2 (published): 3–32 characters from `[a-z0-9-]`. */
export const SLUG = /^[a-z0-9-]{3,32}$/;
/** SPEC §6.2: a new password has at least 12 characters, counted as hashed (`passwordLength`). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password, UTF-8 bytes (the hasher's bound; checked before any argon2 work). */
export const MAX_PASSWORD_BYTES = 1024;

// Single-line text (SPEC §8): trimmed, then no control character may be left.
const text = (max: number) =>
  singleLineText({ min: 1, max, message: `must be a string of 1 to ${max} characters` });

export const createTenantBody = z.strictObject({
  slug: z.string({ message: 'must be a string' }).regex(SLUG, 'must be 3 to 32 characters from [a-z0-9-]'),
  organizationName: text(200),
  ownerEmail: singleLineText({ min: 1, max: 254, message: 'must be an email address' }).pipe(
    z.email('must be an email address'),
  ),
  signingProfile: z.enum(['eddsa_did', 'es256_x509'], { message: 'must be eddsa_did or es256_x509' }),
  environment: z
    .enum(['production', 'sandbox'], { message: 'must be production or sandbox' })
    .default('production'),
});

const passwordBytes = (value: string) => Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES;

// Login fields are checked for type and size only: what a wrong uuid or password looks like must
// not change the answer (always one 401 message, SPEC §6.2).
export const loginBody = z.strictObject({
  uuid: z.string({ message: 'must be a string' }).min(1, 'is required').max(64, 'is too long'),
  password: z
    .string({ message: 'must be a string' })
    .min(1, 'is required')
    .refine(passwordBytes, `must be at most ${MAX_PASSWORD_BYTES} bytes`),
});

export const changePasswordBody = z
  .strictObject({
    currentPassword: z
      .string({ message: 'must be a string' })
      .min(1, 'is required')
      .refine(passwordBytes, `must be at most ${MAX_PASSWORD_BYTES} bytes`),
    newPassword: z
      .string({ message: 'must be a string' })
      // Counted as the hasher sees it: code points of the NFKC form, so a password of 12 emoji is
      // 12 characters and 'e' + U+0301 (which NFKC composes into 'é') is one, not two.
      .refine(
        (v) => passwordLength(v) >= MIN_PASSWORD_LENGTH,
        `must be at least ${MIN_PASSWORD_LENGTH} characters`,
      )
      .refine(passwordBytes, `must be at most ${MAX_PASSWORD_BYTES} bytes`),
  })
  // Compared as hashed: the same password in another Unicode form is the same password.
  .refine((body) => normalizePassword(body.newPassword) !== normalizePassword(body.currentPassword), {
    path: ['newPassword'],
    message: 'must differ from the current password',
  });

export const importDidBody = z.strictObject({
  did: z.string({ message: 'must be a did:key string' }).min(1, 'is required').max(256, 'is too long'),
  privateJwk: z.record(z.string(), z.unknown(), { message: 'must be a JWK object' }),
});
