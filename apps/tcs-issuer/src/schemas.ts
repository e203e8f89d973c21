import { normalizePassword, passwordLength } from '@portcullis/hashing';
import { singleLineText } from '@portcullis/routes';
import { z } from 'zod';

// The shapes of the Trust Registry: request bodies (validated by the route kit) and the data of its
// answers (the store's views are typed from them, the OpenAPI document is generated from them, and
// the tests hold every answer against that document).

/** Published: 3–32 characters from `[a-z0-9-]`. */
const SLUG = /^[a-z0-9-]{3,32}$/;
/** A new password has at least 12 characters, counted as hashed (`passwordLength`). */
const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password, UTF-8 bytes (the hasher's bound; checked before any argon2 work). */
const MAX_PASSWORD_BYTES = 1024;

/** A tenant slug, in a path or a view. */
export const slugSchema = z.string().regex(SLUG).meta({
  id: 'Slug',
  description: 'Tenant slug (published): 3–32 characters from `[a-z0-9-]`.',
});

export const signingProfileSchema = z
  .enum(['eddsa_did', 'es256_x509'], { message: 'must be eddsa_did or es256_x509' })
  .meta({
    id: 'SigningProfile',
    description: '`eddsa_did`: Ed25519 `did:key`; `es256_x509`: P-256 `did:key`.',
  });
export type SigningProfile = z.infer<typeof signingProfileSchema>;

export const environmentSchema = z
  .enum(['production', 'sandbox'], { message: 'must be production or sandbox' })
  .meta({ id: 'Environment', description: "The tenant's environment, named in its API key." });
export type TenantEnvironment = z.infer<typeof environmentSchema>;

const tenantStatusSchema = z.enum(['pending', 'approved', 'suspended']).meta({
  id: 'TenantStatus',
  description: 'pending → approved ⇄ suspended.',
});
export type TenantStatus = z.infer<typeof tenantStatusSchema>;

const dateTime = z.iso.datetime();
export const tenantIdSchema = z.string().regex(/^ten_[0-9a-f]{24}$/);

export const tenantSchema = z
  .object({
    id: tenantIdSchema,
    slug: slugSchema,
    organizationName: z.string(),
    ownerEmail: z.email(),
    signingProfile: signingProfileSchema,
    environment: environmentSchema,
    status: tenantStatusSchema,
    createdAt: dateTime,
    updatedAt: dateTime,
    approvedAt: dateTime.nullable().meta({ description: 'The last approval.' }),
    suspendedAt: dateTime.nullable().meta({ description: 'Set while suspended.' }),
  })
  .meta({ id: 'Tenant', description: "The operator's view of a tenant: no secrets." });
/** The operator's view of a tenant. */
export type TenantView = z.input<typeof tenantSchema>;

/** A tenant API key as shown once, at creation or rotation. */
export const apiKeySchema = z
  .string()
  .regex(/^tcs_[a-z0-9]{1,16}_[0-9a-f]{48}$/)
  .meta({
    description: "`tcs_{environment}_{48 hex}`, the tenant's environment: shown in this response only.",
  });

const base58 = '[1-9A-HJ-NP-Za-km-z]+';

/** The public half of a DID's key. */
const publicJwkSchema = z
  .object({
    kty: z.enum(['OKP', 'EC']),
    crv: z.enum(['Ed25519', 'P-256']),
    x: z.string(),
    y: z.string().exactOptional(),
  })
  .meta({
    id: 'PublicJwk',
    description: 'Public only: Ed25519 `{ kty: OKP, crv, x }` or P-256 `{ kty: EC, crv, x, y }`.',
  });
export type PublicJwk = z.infer<typeof publicJwkSchema>;

export const didSchema = z
  .object({
    id: z.string().regex(/^did_[0-9a-f]{24}$/),
    did: z.string().regex(new RegExp(`^did:key:z${base58}$`)),
    verificationMethod: z.string().regex(new RegExp(`^did:key:z${base58}#z${base58}$`)),
    algorithm: z.enum(['EdDSA', 'ES256']),
    publicJwk: publicJwkSchema,
    origin: z.enum(['generated', 'imported']),
    issuing: z.boolean().meta({ description: 'The DID the tenant issues with (one per tenant).' }),
    createdAt: dateTime,
  })
  .meta({ id: 'Did', description: "One of the tenant's DIDs: public material only." });
/** A tenant's view of one DID. */
export type DidView = z.input<typeof didSchema>;

/** A public ES256 key of the login access tokens, as `/.well-known/jwks.json` lists it. */
const signingJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  kid: z.string().meta({ description: 'RFC 7638 thumbprint; the `kid` of login tokens.' }),
  alg: z.literal('ES256'),
  use: z.literal('sig'),
});
export type PublicSigningJwk = z.input<typeof signingJwkSchema>;

export const jwksSchema = z
  .object({ keys: z.array(signingJwkSchema) })
  .meta({ id: 'Jwks', description: 'A JSON Web Key Set (RFC 7517): public keys only.' });
/** The JWKS document of the login access tokens. */
export type JwksView = z.input<typeof jwksSchema>;

// Single-line text: trimmed, then no control character may be left.
const text = (max: number) =>
  singleLineText({ min: 1, max, message: `must be a string of 1 to ${max} characters` });

export const createTenantBody = z
  .strictObject({
    slug: z
      .string({ message: 'must be a string' })
      .regex(SLUG, 'must be 3 to 32 characters from [a-z0-9-]')
      .meta({ description: 'Unique: an existing slug is a 409.' }),
    organizationName: text(200),
    ownerEmail: singleLineText({ min: 1, max: 254, message: 'must be an email address' }).pipe(
      z.email('must be an email address'),
    ),
    signingProfile: signingProfileSchema,
    environment: environmentSchema.default('production'),
  })
  .meta({ id: 'CreateTenantRequest' });

const passwordBytes = (value: string) => Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES;
const boundedPassword = () =>
  z
    .string({ message: 'must be a string' })
    .min(1, 'is required')
    .refine(passwordBytes, `must be at most ${MAX_PASSWORD_BYTES} bytes`)
    .meta({ description: `At most ${MAX_PASSWORD_BYTES} UTF-8 bytes.` });

// Login fields are checked for type and size only: what a wrong uuid or password looks like must
// not change the answer (always one 401 message).
export const loginBody = z
  .strictObject({
    uuid: z
      .string({ message: 'must be a string' })
      .min(1, 'is required')
      .max(64, 'is too long')
      .meta({ description: 'The login name given at onboarding.' }),
    password: boundedPassword(),
  })
  .meta({ id: 'LoginRequest' });

export const changePasswordBody = z
  .strictObject({
    currentPassword: boundedPassword(),
    newPassword: z
      .string({ message: 'must be a string' })
      // Counted as the hasher sees it: code points of the NFKC form, so a password of 12 emoji is
      // 12 characters and 'e' + U+0301 (which NFKC composes into 'é') is one, not two.
      .refine(
        (v) => passwordLength(v) >= MIN_PASSWORD_LENGTH,
        `must be at least ${MIN_PASSWORD_LENGTH} characters`,
      )
      .refine(passwordBytes, `must be at most ${MAX_PASSWORD_BYTES} bytes`)
      // Refinements cannot be written as JSON Schema: the bounds are stated here, in code points
      // as JSON Schema counts a string's length.
      .meta({
        minLength: MIN_PASSWORD_LENGTH,
        description: `At least ${MIN_PASSWORD_LENGTH} characters (code points), at most ${MAX_PASSWORD_BYTES} UTF-8 bytes, and not the current password.`,
      }),
  })
  // Compared as hashed: the same password in another Unicode form is the same password.
  .refine((body) => normalizePassword(body.newPassword) !== normalizePassword(body.currentPassword), {
    path: ['newPassword'],
    message: 'must differ from the current password',
  })
  .meta({ id: 'ChangePasswordRequest' });

export const importDidBody = z
  .strictObject({
    did: z
      .string({ message: 'must be a did:key string' })
      .min(1, 'is required')
      .max(256, 'is too long')
      .meta({ description: "A `did:key` of the tenant's profile (Ed25519 or P-256)." }),
    privateJwk: z.record(z.string(), z.unknown(), { message: 'must be a JWK object' }).meta({
      description:
        'The private key of the DID (`d` included). The public key is derived from `d` and must be the DID’s.',
    }),
  })
  .meta({ id: 'ImportDidRequest' });
