import type Router from '@koa/router';
import { catalogErrors, tcsApiErrors } from '@portcullis/errors';
import { appRouter, defineRoute, type RouteKit } from '@portcullis/routes';
import { importJWK, SignJWT } from 'jose';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { cacheControl, errorResponses, ok, SERVER, TENANT_NOT_FOUND, tenantNotFound } from '../http.js';
import { jwksSchema, slugSchema } from '../schemas.js';
import type { AppState } from '../state.js';
import { type DidRow, findIssuingDidBySlug, openPrivateJwk } from '../store/dids.js';

/** DIF Well-Known DID Configuration v1.0 context. */
const DID_CONFIGURATION_CONTEXT = 'https://identity.foundation/.well-known/did-configuration/v1';
const VC_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
/** Validity of a domain-linkage credential, seconds (one year from its signing). */
const LINKAGE_VALIDITY_SECONDS = 365 * 24 * 3600;
/** How long one signed domain-linkage credential is served again, seconds. */
const REUSE_SECONDS = 3600;
/** Most signed credentials kept (one per issuing DID); cleared when full. */
const MAX_CACHED = 10_000;

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const didConfigurationSchema = z
  .object({
    '@context': z.literal(DID_CONFIGURATION_CONTEXT),
    linked_dids: z
      .array(
        z.string().regex(JWT).meta({
          description:
            "A JWT domain-linkage credential: `iss` = `sub` = the tenant's issuing DID, `vc.credentialSubject.origin` = this server's origin, valid one year from its signing.",
        }),
      )
      .length(1),
  })
  .meta({ id: 'DidConfiguration', description: 'DIF Well-Known DID Configuration v1.0.' });

const tags = ['Discovery'];

const jwksRoute = defineRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  operationId: 'jwks',
  summary: 'Public keys of the login access tokens',
  tags,
  security: [],
  responses: {
    200: ok('Every token signing key, public half only.', jwksSchema, {
      'Cache-Control': cacheControl('public, max-age=300'),
    }),
    ...errorResponses(catalogErrors(tcsApiErrors, 'INTERNAL_ERROR')),
  },
});

const didConfigurationRoute = defineRoute({
  method: 'get',
  path: '/.well-known/did-configuration.json/:tenant',
  operationId: 'didConfiguration',
  summary: "The tenant's DIF Well-Known DID Configuration (published path)",
  description:
    "One JWT domain-linkage credential binding the tenant's issuing DID to this server's origin, signed by that DID. A credential is signed once per DID and hour and served again meanwhile, so requests cannot make the server sign at will.",
  tags,
  security: [],
  request: {
    params: z.object({
      tenant: slugSchema.meta({
        description: 'Tenant slug (published path). Unknown, unapproved or DID-less tenants are a 404.',
      }),
    }),
  },
  invalidParams: tenantNotFound,
  responses: {
    200: ok('The DID configuration.', didConfigurationSchema, {
      'Cache-Control': cacheControl('public, max-age=3600'),
    }),
    ...errorResponses([TENANT_NOT_FOUND, ...SERVER]),
  },
});

/**
 * Public discovery documents:
 * - `GET /.well-known/jwks.json`: the public keys of login access tokens;
 * - `GET /.well-known/did-configuration.json/:tenant` (published path): a DIF Well-Known DID
 *   Configuration whose `linked_dids` holds one JWT domain-linkage credential, signed with the
 *   tenant's issuing DID key, binding that DID to this server's origin, signed once per hour
 *   per DID. 404 for an unknown, unapproved or DID-less tenant.
 */
export function wellKnownRoutes(deps: AppDeps, kit: RouteKit<AppState>): Router<AppState> {
  const { db, sealer, tokens, now } = deps;
  const origin = new URL(deps.publicUrl).origin;
  const router = appRouter<AppState>({ prefix: '/.well-known' });

  kit.mount(router, jwksRoute, (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    return { status: 200, body: tokens.jwks() };
  });

  const signed = new Map<string, { issuedAt: number; credential: string }>();
  const linkageCredential = async (row: DidRow, issuedAt: number): Promise<string> => {
    const key = await importJWK(openPrivateJwk(sealer, row), row.algorithm);
    const expiresAt = issuedAt + LINKAGE_VALIDITY_SECONDS;
    // DIF Well-Known DID Configuration §"JSON Web Token Proof Format": iss = sub = the DID, the
    // VC in `vc`, signed by a verification method of the DID.
    return new SignJWT({
      vc: {
        '@context': [VC_CONTEXT, DID_CONFIGURATION_CONTEXT],
        issuer: row.did,
        issuanceDate: new Date(issuedAt * 1000).toISOString(),
        expirationDate: new Date(expiresAt * 1000).toISOString(),
        type: ['VerifiableCredential', 'DomainLinkageCredential'],
        credentialSubject: { id: row.did, origin },
      },
    })
      .setProtectedHeader({ alg: row.algorithm, kid: row.verification_method })
      .setIssuer(row.did)
      .setSubject(row.did)
      .setNotBefore(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(key);
  };

  kit.mount(router, didConfigurationRoute, async (ctx, { params }) => {
    const row = await findIssuingDidBySlug(db, params.tenant);
    if (!row) throw tenantNotFound();

    const issuedAt = Math.floor(now() / 1000);
    // A public, unauthenticated route: a credential is signed once per issuing DID and reused for
    // an hour (the document's own max-age), so requests cannot make the server sign at will.
    let cached = signed.get(row.id);
    if (cached === undefined || issuedAt < cached.issuedAt || issuedAt - cached.issuedAt >= REUSE_SECONDS) {
      if (signed.size >= MAX_CACHED) signed.clear();
      cached = { issuedAt, credential: await linkageCredential(row, issuedAt) };
      signed.set(row.id, cached);
    }

    ctx.set('Cache-Control', 'public, max-age=3600');
    return {
      status: 200,
      body: { '@context': DID_CONFIGURATION_CONTEXT, linked_dids: [cached.credential] },
    };
  });

  return router;
}
