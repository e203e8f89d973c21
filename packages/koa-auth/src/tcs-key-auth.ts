import { tcsApiErrors, tcsApiKeyErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { parseTcsKey } from '@portcullis/key-format';
import type { Middleware } from 'koa';
import type { AuthOutcomeHook } from './auth-outcome.js';
import { attempt, type MaybePromise } from './maybe-async.js';

/** What `lookup` answers for a known, unrevoked TCS API key. */
export interface TcsKeyDecision<P> {
  /** What the app puts on `ctx.state.tenant`. */
  principal: P;
  /** False for a tenant that is pending or suspended (SPEC §6.1: 403 `Account is not approved`). */
  approved: boolean;
}

export interface TcsKeyAuthState<P> {
  tenant?: P;
}

export interface TcsKeyAuthOptions<P> {
  /**
   * Decides a key by its SHA-256 digest: the decision, or `null` for an unknown or revoked key.
   * Rejects only on infrastructure failure (→ 503, never "Invalid API Key").
   */
  lookup: (digest: string) => MaybePromise<TcsKeyDecision<P> | null>;
  /** Observes each decision (scheme `tcs_api_key`), e.g. to count outcomes; never sees the key. */
  onOutcome?: AuthOutcomeHook;
}

/**
 * Guards TCS issuer admin routes with `X-API-Key: tcs_{environment}_{48 hex}` (SPEC §6.1), in
 * the published `{ statusCode, message, error }` messages, byte for byte:
 *
 * | situation | status | message |
 * |---|---|---|
 * | header absent or blank | 401 | `API Key is required` |
 * | not a TCS key, malformed, unknown or revoked | 401 | `Invalid API Key` |
 * | tenant pending or suspended | 403 | `Account is not approved` |
 *
 * A lookup that rejects (database and cache unreachable) is a 503 `SERVICE_UNAVAILABLE`.
 * Sets `ctx.state.tenant`.
 *
 * @example
 * router.use(tcsKeyAuth({ lookup: async (digest) => decide(await keyCache.get(digest)) }));
 */
export function tcsKeyAuth<P>(options: TcsKeyAuthOptions<P>): Middleware<TcsKeyAuthState<P>> {
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
        if (!decision) {
          onOutcome?.('tcs_api_key', 'refused', 'INVALID_API_KEY');
          throw tcsApiKeyErrors.error('INVALID_API_KEY');
        }
        if (!decision.approved) {
          onOutcome?.('tcs_api_key', 'not_approved', 'ACCOUNT_NOT_APPROVED');
          throw tcsApiKeyErrors.error('ACCOUNT_NOT_APPROVED');
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
