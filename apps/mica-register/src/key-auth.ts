import type { KeyCache } from '@portcullis/key-cache';
import type { AuthDecision, MicaPrincipal } from '@portcullis/koa-auth';
import type { MicaAuthRow } from './store/developers.js';

/**
 * Why the register refuses a well-formed key: no key has its digest (`unknown`), or its developer
 * revoked it (`revoked`). Logs and metrics only: both answer the same 401 `INVALID_KEY`.
 */
type MicaKeyRefusal = 'unknown' | 'revoked';

type MicaKeyDecision = AuthDecision<MicaPrincipal, MicaKeyRefusal>;

// One frozen refusal per reason: a refusal allocates nothing, and no caller can change one.
const UNKNOWN = Object.freeze({ ok: false, reason: 'unknown' } as const);
const REVOKED = Object.freeze({ ok: false, reason: 'revoked' } as const);

/**
 * The `lookup` of `micaKeyAuth`: decides a register key from its cached row, synchronously on an
 * L1 hit (no promise on the hot path), else once Redis or the database answered.
 * `onAuthenticated` runs for every admitted key (to batch its usage).
 *
 * @example
 * const lookup = micaKeyLookup(keyCache, (principal) => usage.touch(principal.keyId, now()));
 * register.use(micaKeyAuth({ lookup }));
 * // a revoked key: lookup(digest) → { ok: false, reason: 'revoked' }, answered 401 INVALID_KEY
 */
export function micaKeyLookup(
  cache: KeyCache<MicaAuthRow>,
  onAuthenticated: (principal: MicaPrincipal) => void,
): (digest: string) => MicaKeyDecision | Promise<MicaKeyDecision> {
  // One frozen decision per cached row object: a hit allocates nothing. Rows are replaced, never
  // mutated, when a key changes, so a decision never outlives the row it was made from.
  const admitted = new WeakMap<MicaAuthRow, MicaKeyDecision & { ok: true }>();
  const decide = (row: MicaAuthRow | null): MicaKeyDecision => {
    if (row === null) return UNKNOWN;
    if (row.revoked) return REVOKED;
    let decision = admitted.get(row);
    if (decision === undefined) {
      const principal: MicaPrincipal = Object.freeze({ keyId: row.keyId, developerId: row.developerId });
      decision = Object.freeze({ ok: true, principal } as const);
      admitted.set(row, decision);
    }
    onAuthenticated(decision.principal);
    return decision;
  };
  return (digest) => {
    const row = cache.read(digest);
    return row instanceof Promise ? row.then(decide) : decide(row);
  };
}
