import type { KeyCache } from '@portcullis/key-cache';
import type { ParsedInstanceKey } from '@portcullis/key-format';
import type { AuthDecision, InstancePrincipal } from '@portcullis/koa-auth';
import { authenticates, effectiveStatus } from './domain.js';
import type { AuthRow } from './store/api-keys.js';

/**
 * Why the instance API refuses a well-formed key. Logs and metrics only: every one of them
 * answers the same 401 `AUTH_FAILED`.
 *
 * - `unknown`: no key has this digest.
 * - `instance_mismatch`: the key's instanceRef is not its row's instance (see {@link keyDecider}).
 * - `archived`: the key's instance is archived.
 * - `paused`, `expired` (past its rotation overlap included), `revoked`: the key's effective
 *   status at request time.
 */
type InstanceKeyRefusal = 'unknown' | 'instance_mismatch' | 'archived' | 'paused' | 'expired' | 'revoked';

/** A decision on an instance key, as `instanceKeyAuth` takes it. */
type InstanceKeyDecision = AuthDecision<InstancePrincipal, InstanceKeyRefusal>;

// One frozen refusal per reason: a refusal allocates nothing, and no caller can change one.
const refusal = <R extends InstanceKeyRefusal>(reason: R) => Object.freeze({ ok: false, reason } as const);
const UNKNOWN = refusal('unknown');
const INSTANCE_MISMATCH = refusal('instance_mismatch');
const ARCHIVED = refusal('archived');
const REFUSED_IN_STATUS = {
  PAUSED: refusal('paused'),
  EXPIRED: refusal('expired'),
  REVOKED: refusal('revoked'),
};

/** The two ways `instanceKeyAuth` asks for a decision (see its `cached` and `lookup` options). */
export interface KeyDecider {
  /** The decision from L1 alone, synchronously; `undefined` when L1 has nothing fresh. */
  cached: (digest: string, key: ParsedInstanceKey) => InstanceKeyDecision | undefined;
  /** The decision through L1, Redis and the database (synchronous on an L1 hit). */
  lookup: (digest: string, key: ParsedInstanceKey) => InstanceKeyDecision | Promise<InstanceKeyDecision>;
}

/**
 * Decides an instance key from its cached row at request time (SPEC §4.2): unknown, archived,
 * revoked, expired, paused and past-overlap keys are each refused with their reason (for the
 * authentication outcome hook; the client gets the same answer for all). A row whose instanceRef
 * differs from the key's is refused too (a digest collision is not a realistic threat, but the key
 * names its instance, so check it).
 *
 * @example
 * const { cached, lookup } = keyDecider(cache, () => Date.now());
 * app.use(instanceKeyAuth({ cached, lookup, beforeLookup: shedOverBudget }));
 * // a paused key: lookup(…) → { ok: false, reason: 'paused' }, answered 401 AUTH_FAILED
 */
export function keyDecider(
  cache: KeyCache<AuthRow>,
  now: () => number,
  onAuthenticated?: (principal: InstancePrincipal) => void,
): KeyDecider {
  // One frozen decision per cached row object: a hit allocates nothing. Rows are replaced, never
  // mutated, when a key changes, so a decision can never outlive the row it was made from; the
  // time-dependent part (effectiveStatus) is still evaluated on every request.
  const admitted = new WeakMap<AuthRow, InstanceKeyDecision & { ok: true }>();
  const decide = (row: AuthRow | null, key: ParsedInstanceKey): InstanceKeyDecision => {
    if (row === null) return UNKNOWN;
    if (row.instanceRef !== key.instanceRef) return INSTANCE_MISMATCH;
    if (row.archived) return ARCHIVED;
    const status = effectiveStatus(row, now());
    if (!authenticates(status)) return REFUSED_IN_STATUS[status];
    let decision = admitted.get(row);
    if (decision === undefined) {
      const principal: InstancePrincipal = Object.freeze({
        instanceId: row.instanceId,
        keyId: row.keyId,
        services: row.services,
      });
      decision = Object.freeze({ ok: true, principal } as const);
      admitted.set(row, decision);
    }
    onAuthenticated?.(decision.principal);
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
