import { micaAuthErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { parseMicaKey } from '@portcullis/key-format';
import type { Middleware } from 'koa';
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
  const { lookup } = options;
  return function micaKeyAuth(ctx, next) {
    const parsed = parseMicaKey(ctx.req.headers['x-api-key']);
    if (!parsed.ok) {
      throw micaAuthErrors.error(parsed.reason === 'malformed' ? 'INVALID_KEY' : 'UNAUTHORIZED');
    }
    // Synchronous on a cache hit (no promise of its own, like instanceKeyAuth); only the
    // lookup's own failure is AUTH_ERROR.
    return attempt(
      () => lookup(digestKey(parsed.key)),
      (principal) => {
        if (!principal) throw micaAuthErrors.error('INVALID_KEY');
        ctx.state.mica = principal;
        return next();
      },
      (cause): never => {
        throw micaAuthErrors.error('AUTH_ERROR', { cause });
      },
    );
  };
}
