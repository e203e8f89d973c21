import { micaAuthErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { parseMicaKey } from '@portcullis/key-format';
import type { Middleware } from 'koa';
import type { AuthDecision, AuthOutcomeHook } from './auth-outcome.js';
import { attempt, type MaybePromise } from './maybe-async.js';

/** What an authenticated MiCA Register key grants. */
export interface MicaPrincipal {
  keyId: string;
  developerId: string;
}

export interface MicaKeyAuthState {
  mica?: MicaPrincipal;
}

export interface MicaKeyAuthOptions<R extends string = string> {
  /**
   * Decides a key by its SHA-256 digest: the principal, or the app's reason for refusing it
   * (`unknown`, `revoked`, …), which only `onOutcome` sees: every refusal answers the same 401
   * `INVALID_KEY`. Rejects only on infrastructure failure (→ 500 `AUTH_ERROR`).
   */
  lookup: (digest: string) => MaybePromise<AuthDecision<MicaPrincipal, R>>;
  /**
   * Observes each decision (scheme `mica_key`), with the lookup's reason for a refused key, e.g.
   * to count outcomes; never sees the key.
   */
  onOutcome?: AuthOutcomeHook<R>;
}

/**
 * Authenticates `X-API-Key: trusset_mica_…` on the register routes (SPEC §5.1): no key or a key
 * without the `trusset_mica_` prefix → 401 `UNAUTHORIZED`; prefix right but malformed, or refused
 * by the lookup (revoked, unknown) → 401 `INVALID_KEY` (one message; the lookup's reason goes to
 * `onOutcome` only); lookup failure → 500 `AUTH_ERROR`. Sets `ctx.state.mica`.
 *
 * @example
 * register.use(micaKeyAuth({ lookup: (digest) => keys.decide(digest) }));
 */
export function micaKeyAuth<R extends string = string>(
  options: MicaKeyAuthOptions<R>,
): Middleware<MicaKeyAuthState> {
  const { lookup, onOutcome } = options;
  return function micaKeyAuth(ctx, next) {
    const parsed = parseMicaKey(ctx.req.headers['x-api-key']);
    if (!parsed.ok) {
      const code = parsed.reason === 'malformed' ? 'INVALID_KEY' : 'UNAUTHORIZED';
      onOutcome?.('mica_key', parsed.reason, code);
      throw micaAuthErrors.error(code);
    }
    // Synchronous on a cache hit (no promise of its own, like instanceKeyAuth); only the
    // lookup's own failure is AUTH_ERROR.
    return attempt(
      () => lookup(digestKey(parsed.key)),
      (decision) => {
        if (!decision.ok) {
          onOutcome?.('mica_key', decision.reason, 'INVALID_KEY');
          throw micaAuthErrors.error('INVALID_KEY');
        }
        onOutcome?.('mica_key', 'ok', 'ok');
        ctx.state.mica = decision.principal;
        return next();
      },
      (cause): never => {
        onOutcome?.('mica_key', 'lookup_failed', 'AUTH_ERROR');
        throw micaAuthErrors.error('AUTH_ERROR', { cause });
      },
    );
  };
}
