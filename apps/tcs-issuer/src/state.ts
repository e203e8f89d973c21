import type { Queryable } from '@portcullis/db';
import type { DpopProof, PresentedAccessToken } from '@portcullis/koa-auth';
import type { ParameterizedContext } from 'koa';
import type { IssuanceGrant } from './routes/oauth.js';
import type { SigningProfile } from './schemas.js';
import { findAccount } from './store/accounts.js';
import type { TenantKeyRow } from './store/tenants.js';
import type { TokenService } from './tokens.js';

/** A tenant's login session, checked against the database on every request. */
export interface Session {
  uuid: string;
  tenantId: string;
  slug: string;
  signingProfile: SigningProfile;
  passwordVersion: number;
}

/** Everything middleware puts on `ctx.state` in this app. */
export interface AppState {
  requestId: string;
  /** Parsed JSON body (see `jsonBody()`). */
  body?: unknown;
  /** Set once the operator token was accepted. */
  admin?: boolean;
  /** Set once a tenant API key was accepted (`X-API-Key`). */
  tenant?: TenantKeyRow;
  /** Set once a login access token was accepted (`Authorization: Bearer`). */
  bearer?: Session;
  /** Set by the OAuth endpoints: their errors are rendered in the OAuth format. */
  oauth?: boolean;
  /** The signing profile that decides DPoP at the token or credential endpoint. */
  issuanceProfile?: SigningProfile;
  /** The verified issuance access token of a credential request, and its tenant. */
  issuanceGrant?: IssuanceGrant;
  /** The access token as presented, for the DPoP check (`ath`, `cnf.jkt`). */
  presentedToken?: PresentedAccessToken;
  /** The accepted DPoP proof of this request, if one was sent. */
  dpop?: DpopProof;
}

export type AppContext = ParameterizedContext<AppState>;

/**
 * Verifies a login access token and then the account behind it, on every request: a token
 * outlives neither a password change (`pwv`) nor its tenant's approval (a suspended tenant's
 * sessions stop at once, like its API key).
 *
 * @example
 * router.use(bearerJwtAuth({ verify: sessionVerifier(tokens, db) }));
 */
export function sessionVerifier(tokens: TokenService, db: Queryable) {
  return async function verifySession(token: string): Promise<Session | null> {
    const claims = await tokens.verify(token);
    if (!claims) return null;
    const account = await findAccount(db, claims.sub);
    if (!account || account.tenantId !== claims.tenant) return null;
    if (account.status !== 'approved' || account.passwordVersion !== claims.pwv) return null;
    return {
      uuid: account.uuid,
      tenantId: account.tenantId,
      slug: account.slug,
      signingProfile: account.signingProfile,
      passwordVersion: account.passwordVersion,
    };
  };
}
