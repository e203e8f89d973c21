import type { KeyCache } from '@portcullis/key-cache';
import type { ParsedInstanceKey } from '@portcullis/key-format';
import type { InstanceKeyDecision, InstancePrincipal } from '@portcullis/koa-auth';
import { authenticates, effectiveStatus } from './domain.js';
import type { AuthRow } from './store/api-keys.js';

const REFUSED = { ok: false } as const;

/** The two ways `instanceKeyAuth` asks for a decision (see its `cached` and `lookup` options). */
export interface KeyDecider {
  /** The decision from L1 alone, synchronously; `undefined` when L1 has nothing fresh. */
  cached: (digest: string, key: ParsedInstanceKey) => InstanceKeyDecision<InstancePrincipal> | undefined;
  /** The decision through L1, Redis and the database (synchronous on an L1 hit). */
  lookup: (
    digest: string,
    key: ParsedInstanceKey,
  ) => InstanceKeyDecision<InstancePrincipal> | Promise<InstanceKeyDecision<InstancePrincipal>>;
}

/**
 * Decides an instance key from its cached row at request time (SPEC §4.2): unknown, archived,
 * revoked, expired, paused and past-overlap keys are all the same refusal. A row whose instanceRef
 * differs from the key's is refused too (a digest collision is not a realistic threat, but the key
 * names its instance, so check it).
 *
 * @example
 * const { cached, lookup } = keyDecider(cache, () => Date.now());
 * app.use(instanceKeyAuth({ cached, lookup, beforeLookup: shedOverBudget }));
 */
export function keyDecider(
  cache: KeyCache<AuthRow>,
  now: () => number,
  onAuthenticated?: (principal: InstancePrincipal) => void,
): KeyDecider {
  // One frozen decision per cached row object: a hit allocates nothing. Rows are replaced, never
  // mutated, when a key changes, so a decision can never outlive the row it was made from; the
  // time-dependent part (effectiveStatus) is still evaluated on every request.
  const admitted = new WeakMap<AuthRow, InstanceKeyDecision<InstancePrincipal>>();
  const decide = (row: AuthRow | null, key: ParsedInstanceKey): InstanceKeyDecision<InstancePrincipal> => {
    if (row === null || row.archived || row.instanceRef !== key.instanceRef) return REFUSED;
    if (!authenticates(effectiveStatus(row, now()))) return REFUSED;
    let decision = admitted.get(row);
    if (decision === undefined) {
      const principal: InstancePrincipal = Object.freeze({
        instanceId: row.instanceId,
        keyId: row.keyId,
        services: row.services,
      });
      decision = Object.freeze({ ok: true, principal });
      admitted.set(row, decision);
    }
    if (decision.ok) onAuthenticated?.(decision.principal);
    return decision;
  };
  return {
    cached: (digest, key) => {
      const row = cache.peek(digest);
      return row === undefined ? undefined : decide(row, key);
    },
    lookup: (digest, key) => {
      // An L1 hit is decided synchronously; only a miss pays for the promise of Redis or the database.
      const row = cache.read(digest);
      return row instanceof Promise ? row.then((loaded) => decide(loaded, key)) : decide(row, key);
    },
  };
}
