import { micaAuthErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { parseMicaKey } from '@portcullis/key-format';
import type { Middleware } from 'koa';
import type { AuthOutcomeHook } from './auth-outcome.js';
import { attempt, type MaybePromise } from './maybe-async.js';

/** What an authenticated MiCA Register key grants. */
export interface MicaPrincipal {
  keyId: string;
  developerId: string;
}

export interface MicaKeyAuthState {
  mica?: MicaPrincipal;
}

export interface MicaKeyAuthOptions {
  /**
   * Decides a key by its SHA-256 digest: the principal, or `null` for an unknown or revoked key.
   * Rejects only on infrastructure failure (→ 500 `AUTH_ERROR`).
   */
  lookup: (digest: string) => MaybePromise<MicaPrincipal | null>;
  /** Observes each decision (scheme `mica_key`), e.g. to count outcomes; never sees the key. */
  onOutcome?: AuthOutcomeHook;
}

/**
 * Authenticates `X-API-Key: trusset_mica_…` on the register routes (SPEC §5.1): no key or a key
 * without the `trusset_mica_` prefix → 401 `UNAUTHORIZED`; prefix right but malformed, revoked
 * or unknown → 401 `INVALID_KEY` (one message); lookup failure → 500 `AUTH_ERROR`. Sets
 * `ctx.state.mica`.
 *
 * @example
 * register.use(micaKeyAuth({ lookup: (digest) => keys.principal(digest) }));
 */
export function micaKeyAuth(options: MicaKeyAuthOptions): Middleware<MicaKeyAuthState> {
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
      (principal) => {
        if (!principal) {
          onOutcome?.('mica_key', 'refused', 'INVALID_KEY');
          throw micaAuthErrors.error('INVALID_KEY');
        }
        onOutcome?.('mica_key', 'ok', 'ok');
        ctx.state.mica = principal;
        return next();
      },
      (cause): never => {
        onOutcome?.('mica_key', 'lookup_failed', 'AUTH_ERROR');
        throw micaAuthErrors.error('AUTH_ERROR', { cause });
      },
    );
  };
}
