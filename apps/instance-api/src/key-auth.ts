import type { KeyCache } from '@portcullis/key-cache';
import type { ParsedInstanceKey } from '@portcullis/key-format';
import type { InstanceKeyDecision, InstancePrincipal } from '@portcullis/koa-auth';
import { authenticates, effectiveStatus } from './domain.js';
import type { AuthRow } from './store/api-keys.js';

const REFUSED = { ok: false } as const;

/**
 * Decides an instance key from its cached row at request time (SPEC §4.2): unknown, archived,
 * revoked, expired, paused and past-overlap keys are all the same refusal. A row whose instanceRef
 * differs from the key's is refused too (a digest collision is not a realistic threat, but the key
 * names its instance, so check it).
 *
 * @example
 * const decide = keyDecider(cache, () => Date.now());
 * app.use(instanceKeyAuth({ lookup: decide }));
 */
export function keyDecider(
  cache: KeyCache<AuthRow>,
  now: () => number,
  onAuthenticated?: (principal: InstancePrincipal) => void,
): (digest: string, key: ParsedInstanceKey) => Promise<InstanceKeyDecision<InstancePrincipal>> {
  return async (digest, key) => {
    const row = await cache.get(digest);
    if (row === null || row.archived || row.instanceRef !== key.instanceRef) return REFUSED;
    if (!authenticates(effectiveStatus(row, now()))) return REFUSED;
    const principal: InstancePrincipal = {
      instanceId: row.instanceId,
      keyId: row.keyId,
      services: row.services,
    };
    onAuthenticated?.(principal);
    return { ok: true, principal };
  };
}
