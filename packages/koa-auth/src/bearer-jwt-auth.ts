import { tcsApiErrors } from '@portcullis/errors';
import type { Middleware } from 'koa';
import { bearerToken } from './admin-token-auth.js';
import { type AuthOutcomeHook, refusalCode } from './auth-outcome.js';

export interface BearerJwtAuthState<P> {
  bearer?: P;
}

export interface BearerJwtAuthOptions<P> {
  /**
   * Verifies the token (signature, issuer, audience, expiry) and anything the app checks per
   * request (account still approved, session not ended): the principal, or `null` when the token
   * must be refused. Rejects only on infrastructure failure (→ the error handler's 500/503).
   */
  verify: (token: string) => Promise<P | null>;
  /** Error for a missing `Authorization` header. Default TCS 401 `Bearer token is required`. */
  missing?: () => unknown;
  /** Error for a refused token or another scheme. Default TCS 401 `Invalid or expired token`. */
  invalid?: () => unknown;
  /** Observes each decision (scheme `bearer_jwt`), e.g. to count outcomes; never sees the token. */
  onOutcome?: AuthOutcomeHook;
}

/**
 * Authenticates `Authorization: Bearer <JWT>` with an app-supplied verifier and sets
 * `ctx.state.bearer`. A header that is not exactly one bearer credential (another scheme, extra
 * words, over 4096 characters) is refused like a bad token, before any verification work.
 *
 * @example
 * router.use(bearerJwtAuth({ verify: (token) => tokens.verifySession(token) }));
 */
export function bearerJwtAuth<P>(options: BearerJwtAuthOptions<P>): Middleware<BearerJwtAuthState<P>> {
  const { verify, onOutcome } = options;
  const missing = options.missing ?? (() => tcsApiErrors.error('TOKEN_REQUIRED'));
  const invalid = options.invalid ?? (() => tcsApiErrors.error('INVALID_TOKEN'));
  const refuse = (reason: 'missing' | 'malformed' | 'refused', err: unknown): unknown => {
    onOutcome?.('bearer_jwt', reason, refusalCode(err));
    return err;
  };
  return async function bearerJwtAuth(ctx, next) {
    const token = bearerToken(ctx.get('authorization'));
    if (token === undefined) throw refuse('missing', missing());
    if (token === '') throw refuse('malformed', invalid());
    let principal: P | null;
    try {
      principal = await verify(token);
    } catch (err) {
      onOutcome?.('bearer_jwt', 'lookup_failed', refusalCode(err));
      throw err;
    }
    if (principal === null) throw refuse('refused', invalid());
    onOutcome?.('bearer_jwt', 'ok', 'ok');
    ctx.state.bearer = principal;
    await next();
  };
}
