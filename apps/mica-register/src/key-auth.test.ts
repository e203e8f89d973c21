import { createKeyCache } from '@portcullis/key-cache';
import { describe, expect, it } from 'vitest';
import { micaKeyLookup } from './key-auth.js';
import type { MicaAuthRow } from './store/developers.js';

/** A lookup over a single-node cache holding these rows by digest, and the keys it admitted. */
async function lookupOver(rows: Record<string, MicaAuthRow>) {
  const cache = createKeyCache<MicaAuthRow>({ load: async (digest) => rows[digest] ?? null });
  await cache.start();
  const admitted: string[] = [];
  return { lookup: micaKeyLookup(cache, (principal) => admitted.push(principal.keyId)), admitted };
}

describe('micaKeyLookup', () => {
  it('refuses an unknown and a revoked key, each with its reason, and admits no one', async () => {
    const { lookup, admitted } = await lookupOver({
      revoked: { keyId: 'mkey_1', developerId: 'dev_1', revoked: true },
    });
    expect(await lookup('unknown')).toEqual({ ok: false, reason: 'unknown' });
    expect(await lookup('revoked')).toEqual({ ok: false, reason: 'revoked' });
    expect(Object.isFrozen(await lookup('revoked'))).toBe(true);
    expect(admitted).toEqual([]);
  });

  it('admits a live key, synchronously from L1 with the same frozen decision on every hit', async () => {
    const { lookup, admitted } = await lookupOver({
      live: { keyId: 'mkey_2', developerId: 'dev_2', revoked: false },
    });
    const loaded = await lookup('live');
    expect(loaded).toEqual({ ok: true, principal: { keyId: 'mkey_2', developerId: 'dev_2' } });
    const hit = lookup('live');
    expect(hit).toBe(loaded);
    expect(Object.isFrozen(hit)).toBe(true);
    expect(admitted).toEqual(['mkey_2', 'mkey_2']);
  });
});
