import Router from '@koa/router';
import { tcsApiErrors } from '@portcullis/errors';
import { importJWK, SignJWT } from 'jose';
import type { AppDeps } from '../app.js';
import { SLUG } from '../schemas.js';
import type { AppState } from '../state.js';
import { findIssuingDidBySlug, openPrivateJwk } from '../store/dids.js';

/** DIF Well-Known DID Configuration v1.0 context. */
export const DID_CONFIGURATION_CONTEXT = 'https://identity.foundation/.well-known/did-configuration/v1';
const VC_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
/** Validity of a domain-linkage credential, seconds (one year; re-signed on every request). */
const LINKAGE_VALIDITY_SECONDS = 365 * 24 * 3600;

/**
 * Public discovery documents:
 * - `GET /.well-known/jwks.json`: the public keys of login access tokens (SPEC §6.2);
 * - `GET /.well-known/did-configuration.json/:tenant` (published path): a DIF Well-Known DID
 *   Configuration whose `linked_dids` holds one JWT domain-linkage credential, signed with the
 *   tenant's issuing DID key, binding that DID to this server's origin. 404 for an unknown,
 *   unapproved or DID-less tenant.
 */
export function wellKnownRoutes(deps: AppDeps): Router<AppState> {
  const { db, sealer, tokens, now } = deps;
  const origin = new URL(deps.publicUrl).origin;
  const router = new Router<AppState>({ prefix: '/.well-known' });

  router.get('/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = tokens.jwks();
  });

  router.get('/did-configuration.json/:tenant', async (ctx) => {
    const slug = ctx.params.tenant ?? '';
    const notFound = () => tcsApiErrors.error('NOT_FOUND', { message: 'Tenant not found' });
    if (!SLUG.test(slug)) throw notFound();
    const row = await findIssuingDidBySlug(db, slug);
    if (!row) throw notFound();

    const key = await importJWK(openPrivateJwk(sealer, row), row.algorithm);
    const issuedAt = Math.floor(now() / 1000);
    const expiresAt = issuedAt + LINKAGE_VALIDITY_SECONDS;
    // DIF Well-Known DID Configuration §"JSON Web Token Proof Format": iss = sub = the DID, the
    // VC in `vc`, signed by a verification method of the DID.
    const credential = await new SignJWT({
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

    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = { '@context': DID_CONFIGURATION_CONTEXT, linked_dids: [credential] };
  });

  return router;
}
