import type Router from '@koa/router';
import type { Database } from '@portcullis/db';
import { catalogErrors, tcsApiErrors } from '@portcullis/errors';
import { appRouter, defineRoute, type RouteKit, WRITTEN } from '@portcullis/routes';
import { z } from 'zod';
import {
  cacheControl,
  errorResponses,
  ok,
  requestIdHeaders,
  SERVER,
  TENANT_NOT_FOUND,
  tenantNotFound,
} from '../http.js';
import {
  authorizationServerMetadata,
  issuerMetadata,
  PRE_AUTHORIZED_GRANT,
} from '../issuance/configurations.js';
import type { TenantSigners } from '../issuance/types.js';
import { slugSchema } from '../schemas.js';
import type { AppState } from '../state.js';
import { getTenant } from '../store/tenants.js';

export interface IssuerMetadataDeps {
  db: Database;
  publicUrl: string;
  issuance: {
    signers: TenantSigners;
    /** The local CA's certificate (PEM): the trust anchor of `es256_x509` credentials. */
    caCertificatePem: string;
  };
}

const tags = ['Discovery'];
const metadataCache = { 'Cache-Control': cacheControl('public, max-age=300') };
const tenantParams = z.object({
  tenant: slugSchema.meta({ description: 'Tenant slug. Unknown or unapproved tenants are a 404.' }),
});

const issuerMetadataSchema = z
  .looseObject({
    credential_issuer: z.url(),
    authorization_servers: z.array(z.url()).length(1),
    credential_endpoint: z.url(),
    nonce_endpoint: z.url(),
    batch_credential_issuance: z.object({ batch_size: z.int().min(2) }),
    display: z.array(z.object({ name: z.string(), locale: z.string() })),
    credential_configurations_supported: z.record(
      z.string(),
      z.looseObject({ format: z.literal('dc+sd-jwt') }),
    ),
  })
  .meta({ id: 'CredentialIssuerMetadata', description: 'OpenID4VCI 1.0 §12.2.4.' });

const authorizationServerSchema = z
  .looseObject({
    issuer: z.url(),
    token_endpoint: z.url(),
    jwks_uri: z.url(),
    grant_types_supported: z.array(z.string()).refine((grants) => grants.includes(PRE_AUTHORIZED_GRANT)),
    'pre-authorized_grant_anonymous_access_supported': z.literal(true),
    dpop_signing_alg_values_supported: z.array(z.string()),
  })
  .meta({ id: 'AuthorizationServerMetadata', description: 'RFC 8414.' });

const jwtVcIssuerSchema = z
  .object({
    issuer: z.string(),
    jwks: z.object({ keys: z.array(z.looseObject({ kty: z.string().optional() })).min(1) }),
  })
  .meta({
    id: 'JwtVcIssuerMetadata',
    description: 'SD-JWT VC issuer metadata: the credential-signing public keys.',
  });

const credentialIssuerRoute = defineRoute({
  method: 'get',
  path: '/.well-known/openid-credential-issuer/:tenant',
  operationId: 'credentialIssuerMetadata',
  summary: "A tenant's Credential Issuer Metadata (published path)",
  tags,
  security: [],
  request: { params: tenantParams },
  invalidParams: tenantNotFound,
  responses: {
    200: ok('The metadata.', issuerMetadataSchema, metadataCache),
    ...errorResponses([TENANT_NOT_FOUND, ...SERVER]),
  },
});

const authorizationServerRoute = defineRoute({
  method: 'get',
  path: '/.well-known/oauth-authorization-server',
  operationId: 'authorizationServerMetadata',
  summary: 'OAuth 2.0 Authorization Server Metadata',
  tags,
  security: [],
  responses: {
    200: ok('The metadata.', authorizationServerSchema, metadataCache),
    ...errorResponses(catalogErrors(tcsApiErrors, 'INTERNAL_ERROR')),
  },
});

const jwtVcIssuerRoute = defineRoute({
  method: 'get',
  path: '/.well-known/jwt-vc-issuer/:tenant',
  operationId: 'jwtVcIssuerMetadata',
  summary: "A tenant's SD-JWT VC issuer metadata: its credential-signing keys",
  tags,
  security: [],
  request: { params: tenantParams },
  invalidParams: tenantNotFound,
  responses: {
    200: ok('The issuer and its keys.', jwtVcIssuerSchema, metadataCache),
    ...errorResponses([TENANT_NOT_FOUND, ...SERVER]),
  },
});

const caRoute = defineRoute({
  method: 'get',
  path: '/.well-known/ca.pem',
  operationId: 'localCaCertificate',
  summary: 'The certificate of the local CA that issues `es256_x509` leaf certificates',
  tags,
  security: [],
  responses: {
    200: {
      description: 'The CA certificate, PEM.',
      headers: requestIdHeaders,
      content: { 'application/x-pem-file': { schema: z.string().startsWith('-----BEGIN CERTIFICATE-----') } },
    },
    ...errorResponses(catalogErrors(tcsApiErrors, 'INTERNAL_ERROR')),
  },
});

/** The issuance discovery documents: issuer and authorization server metadata, signing keys, CA. */
export function issuerMetadataRoutes(deps: IssuerMetadataDeps, kit: RouteKit<AppState>): Router<AppState> {
  const { db, publicUrl } = deps;
  const router = appRouter<AppState>();
  const approvedTenant = async (slug: string) => {
    const tenant = await getTenant(db, slug);
    if (tenant === null || tenant.status !== 'approved') throw tenantNotFound();
    return tenant;
  };
  const asMetadata = authorizationServerMetadata(publicUrl);

  kit.mount(router, credentialIssuerRoute, async (ctx, { params }) => {
    const tenant = await approvedTenant(params.tenant);
    ctx.set('Cache-Control', 'public, max-age=300');
    return {
      status: 200,
      body: issuerMetadata(publicUrl, {
        slug: tenant.slug,
        organizationName: tenant.organization_name,
        signingProfile: tenant.signing_profile,
      }),
    };
  });
  kit.mount(router, authorizationServerRoute, (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    return { status: 200, body: asMetadata };
  });
  kit.mount(router, jwtVcIssuerRoute, async (ctx, { params }) => {
    const tenant = await approvedTenant(params.tenant);
    const signer = await deps.issuance.signers.forTenant({
      id: tenant.id,
      slug: tenant.slug,
      signingProfile: tenant.signing_profile,
    });
    if (signer === null) throw tenantNotFound();
    ctx.set('Cache-Control', 'public, max-age=300');
    return { status: 200, body: { issuer: signer.issuer, jwks: { keys: [{ ...signer.publicJwk }] } } };
  });
  kit.mount(router, caRoute, (ctx) => {
    ctx.type = 'application/x-pem-file';
    ctx.body = deps.issuance.caCertificatePem;
    return WRITTEN;
  });
  return router;
}
