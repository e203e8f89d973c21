import { micaAuthErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { parseMicaKey } from '@portcullis/key-format';
import type { Middleware } from 'koa';

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
  lookup: (digest: string) => Promise<MicaPrincipal | null>;
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
  return async function micaKeyAuth(ctx, next) {
    const parsed = parseMicaKey(ctx.req.headers['x-api-key']);
    if (!parsed.ok) {
      throw micaAuthErrors.error(parsed.reason === 'malformed' ? 'INVALID_KEY' : 'UNAUTHORIZED');
    }
    let principal: MicaPrincipal | null;
    try {
      principal = await lookup(digestKey(parsed.key));
    } catch (cause) {
      throw micaAuthErrors.error('AUTH_ERROR', { cause });
    }
    if (!principal) throw micaAuthErrors.error('INVALID_KEY');
    ctx.state.mica = principal;
    await next();
  };
}
