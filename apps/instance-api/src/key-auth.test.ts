import { createKeyCache } from '@portcullis/key-cache';
import { generateInstanceKey, type ParsedInstanceKey, parseInstanceKey } from '@portcullis/key-format';
import { describe, expect, it } from 'vitest';
import { keyDecider } from './key-auth.js';
import type { AuthRow } from './store/api-keys.js';

const NOW = 1_700_000_000_000;

function parsed(instanceRef: string): ParsedInstanceKey {
  const key = parseInstanceKey(generateInstanceKey(instanceRef));
  if (!key.ok) throw new Error('generated key does not parse');
  return key;
}

function row(overrides: Partial<AuthRow> = {}): AuthRow {
  return {
    keyId: 'key_1',
    instanceId: 'inst_1',
    instanceRef: 'abcd1234',
    status: 'ACTIVE',
    pausedUntilMs: null,
    expiresAtMs: null,
    archived: false,
    services: ['custody'],
    ...overrides,
  };
}

/** A decider over a single-node cache holding these rows by digest (`null`: none). */
async function deciderOver(rows: Record<string, AuthRow>) {
  const cache = createKeyCache<AuthRow>({ load: async (digest) => rows[digest] ?? null });
  await cache.start();
  return keyDecider(cache, () => NOW);
}

describe('keyDecider', () => {
  it('refuses each unusable key with its own reason', async () => {
    const key = parsed('abcd1234');
    const decider = await deciderOver({
      archived: row({ archived: true }),
      mismatch: row({ instanceRef: 'ffff0000' }),
      paused: row({ status: 'PAUSED', pausedUntilMs: NOW + 60_000 }),
      revoked: row({ status: 'REVOKED' }),
      expired: row({ status: 'EXPIRED' }),
      overlapEnded: row({ status: 'PENDING_ROTATION', expiresAtMs: NOW - 1 }),
    });
    const reasons: Record<string, unknown> = {};
    for (const digest of [
      'unknown',
      'archived',
      'mismatch',
      'paused',
      'revoked',
      'expired',
      'overlapEnded',
    ]) {
      const decision = await decider.lookup(digest, key);
      reasons[digest] = decision.ok ? 'admitted' : decision.reason;
    }
    expect(reasons).toEqual({
      unknown: 'unknown',
      archived: 'archived',
      mismatch: 'instance_mismatch',
      paused: 'paused',
      revoked: 'revoked',
      expired: 'expired',
      overlapEnded: 'expired',
    });
  });

  it('answers a refusal with one frozen object per reason', async () => {
    const decider = await deciderOver({
      a: row({ status: 'REVOKED' }),
      b: row({ keyId: 'key_2', status: 'REVOKED' }),
    });
    const first = await decider.lookup('a', parsed('abcd1234'));
    const second = await decider.lookup('b', parsed('abcd1234'));
    expect(first).toEqual({ ok: false, reason: 'revoked' });
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('admits a usable key from L1 with the same frozen decision on every hit', async () => {
    const admitted: string[] = [];
    const cache = createKeyCache<AuthRow>({ load: async () => row({ status: 'PENDING_ROTATION' }) });
    await cache.start();
    const decider = keyDecider(
      cache,
      () => NOW,
      (principal) => admitted.push(principal.keyId),
    );
    const key = parsed('abcd1234');
    expect(decider.cached('d', key)).toBeUndefined();
    const loaded = await decider.lookup('d', key);
    const hit = decider.cached('d', key);
    expect(loaded).toEqual({
      ok: true,
      principal: { instanceId: 'inst_1', keyId: 'key_1', services: ['custody'] },
    });
    expect(hit).toBe(loaded);
    expect(decider.lookup('d', key)).toBe(loaded);
    expect(Object.isFrozen(hit)).toBe(true);
    expect(admitted).toEqual(['key_1', 'key_1', 'key_1']);
  });
});
