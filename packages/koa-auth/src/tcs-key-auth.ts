import { tcsApiErrors, tcsApiKeyErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { parseTcsKey } from '@portcullis/key-format';
import type { Middleware } from 'koa';
import type { AuthDecision, AuthOutcomeHook } from './auth-outcome.js';
import { attempt, type MaybePromise } from './maybe-async.js';

export interface TcsKeyAuthState<P> {
  tenant?: P;
}

export interface TcsKeyAuthOptions<P, R extends string = string> {
  /**
   * Decides a key by its SHA-256 digest: the principal put on `ctx.state.tenant`, or the app's
   * reason for refusing it. `not_approved` (a pending or suspended tenant) answers 403
   * `Account is not approved`; every other reason (`unknown`, `revoked`, …) the same 401
   * `Invalid API Key`, and only `onOutcome` sees which. Rejects only on infrastructure failure
   * (→ 503, never "Invalid API Key").
   */
  lookup: (digest: string) => MaybePromise<AuthDecision<P, R>>;
  /**
   * Observes each decision (scheme `tcs_api_key`), with the lookup's reason for a refused key,
   * e.g. to count outcomes; never sees the key.
   */
  onOutcome?: AuthOutcomeHook<R>;
}

/**
 * Guards TCS issuer admin routes with `X-API-Key: tcs_{environment}_{48 hex}` (SPEC §6.1), in
 * the published `{ statusCode, message, error }` messages, byte for byte:
 *
 * | situation | status | message |
 * |---|---|---|
 * | header absent or blank | 401 | `API Key is required` |
 * | not a TCS key, malformed, or refused by the lookup (unknown, revoked, …) | 401 | `Invalid API Key` |
 * | refused by the lookup as `not_approved` (tenant pending or suspended) | 403 | `Account is not approved` |
 *
 * A lookup that rejects (database and cache unreachable) is a 503 `SERVICE_UNAVAILABLE`.
 * Sets `ctx.state.tenant`.
 *
 * @example
 * router.use(tcsKeyAuth({ lookup: async (digest) => decide(await keyCache.get(digest)) }));
 */
export function tcsKeyAuth<P, R extends string = string>(
  options: TcsKeyAuthOptions<P, R>,
): Middleware<TcsKeyAuthState<P>> {
  const { lookup, onOutcome } = options;
  return function tcsKeyAuth(ctx, next) {
    const parsed = parseTcsKey(ctx.req.headers['x-api-key']);
    if (!parsed.ok) {
      const code = parsed.reason === 'missing' ? 'API_KEY_REQUIRED' : 'INVALID_API_KEY';
      onOutcome?.('tcs_api_key', parsed.reason, code);
      throw tcsApiKeyErrors.error(code);
    }
    // Synchronous on a cache hit; only the lookup's own failure is a 503.
    return attempt(
      () => lookup(digestKey(parsed.key)),
      (decision) => {
        if (!decision.ok) {
          const code = decision.reason === 'not_approved' ? 'ACCOUNT_NOT_APPROVED' : 'INVALID_API_KEY';
          onOutcome?.('tcs_api_key', decision.reason, code);
          throw tcsApiKeyErrors.error(code);
        }
        onOutcome?.('tcs_api_key', 'ok', 'ok');
        ctx.state.tenant = decision.principal;
        return next();
      },
      (cause): never => {
        onOutcome?.('tcs_api_key', 'lookup_failed', 'SERVICE_UNAVAILABLE');
        throw tcsApiErrors.error('SERVICE_UNAVAILABLE', { cause });
      },
    );
  };
}
