import type { JWK } from 'jose';
import type { SigningProfile } from '../schemas.js';

/** The JWS algorithm of a tenant's credentials and status lists, by signing profile. */
export type CredentialAlgorithm = 'EdDSA' | 'ES256';

/**
 * Signs what a tenant issues (SD-JWT VCs and status list tokens) with its issuing key:
 * `eddsa_did` → EdDSA, `iss` = the issuing DID, header `kid` = its did:key verification method;
 * `es256_x509` → ES256, `iss` = `PUBLIC_URL/<slug>`, header `x5c` = [leaf certificate] issued by
 * the app's local CA for the issuing key, naming the issuer URL in its subjectAltName.
 */
export interface CredentialSigner {
  readonly alg: CredentialAlgorithm;
  /** The `iss` of everything this signer signs. */
  readonly issuer: string;
  /** Protected header members besides `alg` and `typ`: `{ kid }` or `{ x5c }`. */
  readonly header: { readonly kid: string } | { readonly x5c: readonly string[] };
  /** The issuing key's public half (listed at `/.well-known/jwt-vc-issuer/<slug>`). */
  readonly publicJwk: JWK;
  /**
   * A compact JWS over `payload` with protected header `{ alg, typ, ...header }`.
   *
   * @example
   * await signer.signJwt('statuslist+jwt', { sub, iat, exp, ttl: 300, status_list });
   */
  signJwt(typ: string, payload: Record<string, unknown>): Promise<string>;
  /** The raw signing primitive for libraries that build their own JWS (e.g. `@sd-jwt`): signs `data` (the JWS signing input), returns the base64url signature. */
  sign(data: string): Promise<string>;
}

/** The tenant facts a signer is chosen by. */
export interface SigningTenant {
  readonly id: string;
  readonly slug: string;
  readonly signingProfile: SigningProfile;
}

/** Finds each tenant's current signer (its issuing DID), cached per issuing key. */
export interface TenantSigners {
  /** The signer of the tenant's issuing DID, or `null` when it has none. */
  forTenant(tenant: SigningTenant): Promise<CredentialSigner | null>;
  /**
   * The signer of the DID `didId`, which the caller has just read as the tenant's issuing DID (in
   * the query that loaded the request's other facts): served from the cache without a query when
   * it holds that DID's signer, else as {@link forTenant}.
   */
  forIssuingDid(tenant: SigningTenant, didId: string): Promise<CredentialSigner | null>;
}

/** Status of an issued credential, and its 2-bit value on a status list. */
export type CredentialStatus = 'valid' | 'suspended' | 'revoked';
export const STATUS_VALUES: Readonly<Record<CredentialStatus, 0 | 1 | 2>> = {
  valid: 0,
  revoked: 1,
  suspended: 2,
};
/** Entries per status list (2^17). */
export const STATUS_LIST_SIZE = 131_072;
/** `ttl` of a status list token, seconds: how long a relying party may cache it. */
export const STATUS_LIST_TTL_SECONDS = 300;
