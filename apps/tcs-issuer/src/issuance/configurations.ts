import { singleLineText } from '@portcullis/routes';
import { z } from 'zod';
import type { SigningProfile } from '../schemas.js';
import type { CredentialAlgorithm } from './types.js';

// The credential configurations every tenant offers (OpenID4VCI 1.0 §12.2.4), and the metadata
// documents that describe them. One configuration today; the map is the one place to add more.

/** Most proofs (so credentials) in one credential request. */
export const BATCH_SIZE = 10;
/** Algorithms accepted for key proofs and DPoP proofs (`Ed25519` is RFC 9864's name for EdDSA). */
export const PROOF_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'] as const;
/** Lifetime of an issued credential, seconds (one year). */
export const CREDENTIAL_LIFETIME_SECONDS = 365 * 24 * 3600;
/** Lifetime of an issuance access token, seconds. */
export const ISSUANCE_TOKEN_TTL_SECONDS = 300;
/** Lifetime of a `c_nonce`, seconds. */
export const C_NONCE_TTL_SECONDS = 300;

const STANDARD_CONFIGURATION_ID = 'TuringCerts_Standard_Credential_v2_sd_jwt';

interface CredentialConfiguration {
  readonly vct: string;
  readonly scope: string;
  readonly display: ReadonlyArray<{ name: string; locale: string; description?: string }>;
  /** The claims an offer must carry, validated when the offer is made; every one is disclosable. */
  readonly claims: z.ZodObject;
  /** Per claim (by path), what a wallet shows. */
  readonly claimDisplay: ReadonlyArray<{ path: readonly string[]; name: string }>;
}

const issuedTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z' })
  .meta({ description: 'When the certified achievement was issued (ISO-8601 date-time).' });

export const CREDENTIAL_CONFIGURATIONS: Readonly<Record<string, CredentialConfiguration>> = {
  [STANDARD_CONFIGURATION_ID]: {
    vct: 'urn:turingcerts:standard-credential:v2',
    scope: 'TuringCerts_Standard_Credential_v2',
    display: [
      {
        name: 'TuringCerts Standard Credential',
        locale: 'en',
        description: 'A certificate issued through the Turing Credential Service.',
      },
    ],
    // Strict: a claim the configuration does not define is refused, never signed unseen.
    claims: z
      .object({
        credentialName: singleLineText({
          min: 1,
          max: 200,
          message: 'must be a string of 1 to 200 characters',
        }),
        issuedTime,
      })
      .strict(),
    claimDisplay: [
      { path: ['credentialName'], name: 'Credential name' },
      { path: ['issuedTime'], name: 'Issued' },
    ],
  },
};

/** The configuration of `id`, or undefined (an own-property lookup: `__proto__` is no configuration). */
export function credentialConfiguration(id: string): CredentialConfiguration | undefined {
  return Object.hasOwn(CREDENTIAL_CONFIGURATIONS, id) ? CREDENTIAL_CONFIGURATIONS[id] : undefined;
}

/** The JWS algorithms a tenant's credentials are signed with, as the metadata lists them. */
function signingAlgValues(profile: SigningProfile): CredentialAlgorithm[] | ['EdDSA', 'Ed25519'] {
  return profile === 'eddsa_did' ? ['EdDSA', 'Ed25519'] : ['ES256'];
}

/** Base URL without trailing slashes. */
export const trimUrl = (url: string) => url.replace(/\/+$/, '');

/** The Credential Issuer Identifier of a tenant: `PUBLIC_URL/<slug>`. */
export function credentialIssuerOf(publicUrl: string, slug: string): string {
  return `${trimUrl(publicUrl)}/${slug}`;
}

/** The endpoints of the one authorization server and credential endpoint every tenant shares. */
export function endpointsOf(publicUrl: string) {
  const base = trimUrl(publicUrl);
  return {
    issuer: base,
    token: `${base}/v1/token`,
    nonce: `${base}/v1/nonce`,
    credential: `${base}/v1/credential`,
    jwks: `${base}/.well-known/jwks.json`,
  };
}

/**
 * Credential Issuer Metadata of a tenant (OpenID4VCI 1.0 §12.2), served at
 * `/.well-known/openid-credential-issuer/<slug>`.
 *
 * @example
 * issuerMetadata('https://tcs.example', { slug: 'acme', organizationName: 'Acme', signingProfile: 'es256_x509' });
 */
export function issuerMetadata(
  publicUrl: string,
  tenant: { slug: string; organizationName: string; signingProfile: SigningProfile },
) {
  const endpoints = endpointsOf(publicUrl);
  const configurations: Record<string, { format: 'dc+sd-jwt'; [member: string]: unknown }> = {};
  for (const [id, configuration] of Object.entries(CREDENTIAL_CONFIGURATIONS)) {
    configurations[id] = {
      format: 'dc+sd-jwt' as const,
      vct: configuration.vct,
      scope: configuration.scope,
      cryptographic_binding_methods_supported: ['jwk'],
      credential_signing_alg_values_supported: signingAlgValues(tenant.signingProfile),
      proof_types_supported: { jwt: { proof_signing_alg_values_supported: [...PROOF_ALGORITHMS] } },
      credential_metadata: {
        display: configuration.display.map((display) => ({ ...display })),
        claims: configuration.claimDisplay.map((claim) => ({
          path: [...claim.path],
          display: [{ name: claim.name, locale: 'en' }],
        })),
      },
    };
  }
  return {
    credential_issuer: credentialIssuerOf(publicUrl, tenant.slug),
    authorization_servers: [endpoints.issuer],
    credential_endpoint: endpoints.credential,
    nonce_endpoint: endpoints.nonce,
    batch_credential_issuance: { batch_size: BATCH_SIZE },
    display: [{ name: tenant.organizationName, locale: 'en' }],
    credential_configurations_supported: configurations,
  };
}

export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

/**
 * OAuth 2.0 Authorization Server Metadata (RFC 8414) of the one authorization server, served at
 * `/.well-known/oauth-authorization-server`.
 */
export function authorizationServerMetadata(publicUrl: string) {
  const endpoints = endpointsOf(publicUrl);
  return {
    issuer: endpoints.issuer,
    token_endpoint: endpoints.token,
    jwks_uri: endpoints.jwks,
    grant_types_supported: [PRE_AUTHORIZED_GRANT],
    'pre-authorized_grant_anonymous_access_supported': true as const,
    code_challenge_methods_supported: ['S256'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    dpop_signing_alg_values_supported: [...PROOF_ALGORITHMS],
  };
}
