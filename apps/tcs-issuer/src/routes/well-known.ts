import type Router from '@koa/router';
import { tcsApiErrors } from '@portcullis/errors';
import { appRouter } from '@portcullis/service';
import { importJWK, SignJWT } from 'jose';
import type { AppDeps } from '../app.js';
import { SLUG } from '../schemas.js';
import type { AppState } from '../state.js';
import { type DidRow, findIssuingDidBySlug, openPrivateJwk } from '../store/dids.js';

/** DIF Well-Known DID Configuration v1.0 context. */
export const DID_CONFIGURATION_CONTEXT = 'https://identity.foundation/.well-known/did-configuration/v1';
const VC_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
/** Validity of a domain-linkage credential, seconds (one year; re-signed on every request). */
const LINKAGE_VALIDITY_SECONDS = 365 * 24 * 3600;
/** How long one signed domain-linkage credential is served again, seconds. */
const REUSE_SECONDS = 3600;
/** Most signed credentials kept (one per issuing DID); cleared when full. */
const MAX_CACHED = 10_000;

/**
 * Public discovery documents:
 * - `GET /.well-known/jwks.json`: the public keys of login access tokens (SPEC §6.2);
 * - `GET /.well-known/did-configuration.json/:tenant` (published path): a DIF Well-Known DID
 *   Configuration whose `linked_dids` holds one JWT domain-linkage credential, signed with the
 *   tenant's issuing DID key, binding that DID to this server's origin, signed once per hour
 *   per DID. 404 for an unknown, unapproved or DID-less tenant.
 */
export function wellKnownRoutes(deps: AppDeps): Router<AppState> {
  const { db, sealer, tokens, now } = deps;
  const origin = new URL(deps.publicUrl).origin;
  const router = appRouter<AppState>({ prefix: '/.well-known' });

  router.get('/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = tokens.jwks();
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

  router.get('/did-configuration.json/:tenant', async (ctx) => {
    const slug = ctx.params.tenant ?? '';
    const notFound = () => tcsApiErrors.error('NOT_FOUND', { message: 'Tenant not found' });
    if (!SLUG.test(slug)) throw notFound();
    const row = await findIssuingDidBySlug(db, slug);
    if (!row) throw notFound();

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
    ctx.body = { '@context': DID_CONFIGURATION_CONTEXT, linked_dids: [cached.credential] };
  });

  return router;
}
