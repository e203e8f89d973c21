// SPEC §4.4 key management, through HTTP.
import { createFakeClock } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import {
  type ApiKeyView,
  type CreatedInstanceView,
  type CreatedKeyView,
  createInstance,
  envelope,
  errorEnvelope,
  expectError,
  type InstanceWithStatsView,
  itemAt,
  keyClient,
  type MessageView,
  type RotationView,
  startApp,
  useApp,
} from './harness.js';

const clock = createFakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
const app = useApp({ now: clock.now });

const BASE = '/api/v2/instance';

async function setup() {
  const inst = await createInstance(app);
  const { call } = keyClient(app, inst.apiKey, BASE);
  const list = async () => (await envelope<ApiKeyView[]>(await call('/api-keys'))).data;
  const create = async (name: string) =>
    (await envelope<CreatedKeyView>(await call('/api-keys', { method: 'POST', json: { name } }))).data;
  const defaultId = itemAt(await list(), 0).id;
  return { inst, call, list, create, defaultId };
}

describe('instance info', () => {
  it('returns the instance with key stats', async () => {
    const { call, inst } = await setup();
    const { data } = await envelope<InstanceWithStatsView>(await call(''));
    expect(data).toMatchObject({ id: inst.id, limits: { maxApiKeys: 10 } });
    expect(data.stats.apiKeys).toEqual({
      total: 1,
      active: 1,
      paused: 0,
      pendingRotation: 0,
      expired: 0,
      revoked: 0,
    });
  });
});

describe('create and list keys', () => {
  it('creates a key shown in full only in the create response', async () => {
    const { call, list, inst } = await setup();
    const res = await call('/api-keys', { method: 'POST', json: { name: 'ci' } });
    expect(res.status).toBe(201);
    const { data } = await envelope<CreatedKeyView>(res);
    expect(data).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      key: expect.stringMatching(new RegExp(`^trusset_${inst.instanceRef}_[0-9a-f]{64}$`)),
      name: 'ci',
      status: 'ACTIVE',
      createdAt: new Date(clock.now()).toISOString(),
    });
    const keys = await list();
    expect(keys).toHaveLength(2);
    // The fake clock gives both keys one createdAt, so find the new one by id, not by position.
    expect(keys.find((k) => k.id === data.id)).toEqual({
      id: data.id,
      name: 'ci',
      keyPreview: data.key.slice(0, 20),
      status: 'ACTIVE',
      lastUsedAt: null,
      createdAt: data.createdAt,
      expiresAt: null,
      pausedUntil: null,
    });
    expect(JSON.stringify(keys)).not.toContain(data.key);
    expect((await app.withKey(data.key, BASE)).status).toBe(200);
  });

  it.each([
    ['a missing name', {}],
    ['an empty name', { name: '' }],
    ['a name over 100 characters', { name: 'x'.repeat(101) }],
    ['a non-string name', { name: 42 }],
  ])('refuses %s with VALIDATION_ERROR naming the field', async (_, json) => {
    const { call } = await setup();
    const body = await expectError(
      await call('/api-keys', { method: 'POST', json }),
      400,
      'VALIDATION_ERROR',
    );
    expect(body.error.details?.[0]?.field).toBe('name');
  });

  it('refuses the 11th ACTIVE or PAUSED key with 409 LIMIT_EXCEEDED, not counting PENDING_ROTATION', async () => {
    const { call, create, defaultId } = await setup();
    const made: CreatedKeyView[] = [];
    for (let i = 0; i < 9; i += 1) made.push(await create(`k${i}`));
    await call(`/api-keys/${itemAt(made, 0).id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    await expectError(
      await call('/api-keys', { method: 'POST', json: { name: 'eleventh' } }),
      409,
      'LIMIT_EXCEEDED',
      'Maximum 10 active API keys per instance',
    );
    // Rotation keeps the count (old PENDING_ROTATION, new ACTIVE); revoking frees a place. The
    // rotated Default key only reads now, so the new key carries on.
    const rotated = await envelope<RotationView>(
      await call(`/api-keys/${defaultId}/rotate`, { method: 'POST' }),
    );
    const callNew = (path: string, init?: RequestInit & { json?: unknown }) =>
      app.withKey(rotated.data.newKey, `${BASE}${path}`, init);
    await expectError(
      await callNew('/api-keys', { method: 'POST', json: { name: 'still' } }),
      409,
      'LIMIT_EXCEEDED',
    );
    await callNew(`/api-keys/${itemAt(made, 1).id}/revoke`, { method: 'POST' });
    expect((await callNew('/api-keys', { method: 'POST', json: { name: 'now' } })).status).toBe(201);
  });
});

describe('rotate', () => {
  it('makes the new key ACTIVE and the old PENDING_ROTATION until the default 7-day overlap', async () => {
    const { call, list, defaultId } = await setup();
    const res = await call(`/api-keys/${defaultId}/rotate`, { method: 'POST' });
    const { data } = await envelope<RotationView>(res);
    expect(res.status).toBe(200);
    expect(data).toEqual({
      oldKeyId: defaultId,
      newKeyId: expect.stringMatching(/^key_/),
      newKey: expect.stringMatching(/^trusset_/),
      overlapEndDate: new Date(clock.now() + 604_800_000).toISOString(),
    });
    const keys = await list();
    expect(keys.find((k) => k.id === defaultId)).toMatchObject({
      status: 'PENDING_ROTATION',
      expiresAt: data.overlapEndDate,
    });
    expect(keys.find((k) => k.id === data.newKeyId)).toMatchObject({ status: 'ACTIVE', name: 'Default' });
  });

  it('expires the old key at once with overlapSeconds 0', async () => {
    const { inst, call, defaultId } = await setup();
    const { data } = await envelope<RotationView>(
      await call(`/api-keys/${defaultId}/rotate`, { method: 'POST', json: { overlapSeconds: 0 } }),
    );
    expect((await app.withKey(inst.apiKey, BASE)).status).toBe(401);
    const keys = await envelope<ApiKeyView[]>(await app.withKey(data.newKey, `${BASE}/api-keys`));
    expect(keys.data.find((k) => k.id === defaultId)?.status).toBe('EXPIRED');
  });

  it('rotates a PAUSED key', async () => {
    const { call, create } = await setup();
    const k = await create('p');
    await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    expect((await call(`/api-keys/${k.id}/rotate`, { method: 'POST' })).status).toBe(200);
  });

  it.each([-1, 2_592_001, 1.5, '60'])(
    'refuses overlapSeconds %s with VALIDATION_ERROR',
    async (overlapSeconds) => {
      const { call, defaultId } = await setup();
      const body = await expectError(
        await call(`/api-keys/${defaultId}/rotate`, { method: 'POST', json: { overlapSeconds } }),
        400,
        'VALIDATION_ERROR',
      );
      expect(body.error.details?.[0]?.field).toBe('overlapSeconds');
    },
  );

  it('refuses to rotate a key that is not ACTIVE or PAUSED with INVALID_INPUT', async () => {
    const { call, create, defaultId } = await setup();
    const spare = await create('spare');
    await call(`/api-keys/${spare.id}/revoke`, { method: 'POST' });
    await expectError(await call(`/api-keys/${spare.id}/rotate`, { method: 'POST' }), 400, 'INVALID_INPUT');
    await call(`/api-keys/${defaultId}/rotate`, { method: 'POST' });
    await expectError(await call(`/api-keys/${defaultId}/rotate`, { method: 'POST' }), 400, 'INVALID_INPUT');
  });
});

describe('rotation never loosens a key (SPEC §4.4)', () => {
  it('keeps refusing a PAUSED key after it is rotated, and lists it as PAUSED', async () => {
    const { call, list, create } = await setup();
    const k2 = await create('k2');
    expect((await app.withKey(k2.key, BASE)).status).toBe(200);
    await call(`/api-keys/${k2.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    expect((await app.withKey(k2.key, BASE)).status).toBe(401);
    const rotated = await envelope<RotationView>(
      await call(`/api-keys/${k2.id}/rotate`, { method: 'POST', json: { overlapSeconds: 3600 } }),
    );
    expect(rotated.data.oldKeyId).toBe(k2.id);
    expect((await app.withKey(k2.key, BASE)).status).toBe(401);
    expect((await app.withKey(rotated.data.newKey, BASE)).status).toBe(200);
    expect((await list()).find((k) => k.id === k2.id)).toMatchObject({
      status: 'PAUSED',
      pausedUntil: new Date(clock.now() + 600_000).toISOString(),
      expiresAt: rotated.data.overlapEndDate,
    });
  });

  it('lets a rotated PAUSED key authenticate only after pausedUntil and before overlapEndDate', async () => {
    const { call, list, create } = await setup();
    const k = await create('k');
    await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    await call(`/api-keys/${k.id}/rotate`, { method: 'POST', json: { overlapSeconds: 3600 } });
    const status = async () => (await list()).find((x) => x.id === k.id);

    clock.advance(600_000 - 1);
    expect((await app.withKey(k.key, BASE)).status).toBe(401);
    expect(await status()).toMatchObject({ status: 'PAUSED' });
    clock.advance(1);
    expect((await app.withKey(k.key, BASE)).status).toBe(200);
    expect(await status()).toMatchObject({ status: 'PENDING_ROTATION', pausedUntil: null });
    clock.advance(3_000_000 - 1);
    expect((await app.withKey(k.key, BASE)).status).toBe(200);
    clock.advance(1);
    expect((await app.withKey(k.key, BASE)).status).toBe(401);
    expect(await status()).toMatchObject({ status: 'EXPIRED', pausedUntil: null });
  });

  it('never lets a rotated key authenticate when its pause outlasts the overlap', async () => {
    const { call, list, create } = await setup();
    const k = await create('k');
    await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 7200 } });
    await call(`/api-keys/${k.id}/rotate`, { method: 'POST', json: { overlapSeconds: 3600 } });
    for (const step of [0, 3_599_999, 1, 3_600_000]) {
      clock.advance(step);
      expect((await app.withKey(k.key, BASE)).status).toBe(401);
    }
    expect((await list()).find((x) => x.id === k.id)?.status).toBe('EXPIRED');
  });

  it('counts a rotated PAUSED key as paused in the instance stats until its pause ends', async () => {
    const { call, create } = await setup();
    const k = await create('k');
    await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    const rotated = await envelope<RotationView>(await call(`/api-keys/${k.id}/rotate`, { method: 'POST' }));
    const stats = async () =>
      (await envelope<InstanceWithStatsView>(await app.withKey(rotated.data.newKey, BASE))).data.stats
        .apiKeys;
    expect(await stats()).toMatchObject({ total: 3, active: 2, paused: 1, pendingRotation: 0 });
    clock.advance(600_000);
    expect(await stats()).toMatchObject({ total: 3, active: 2, paused: 0, pendingRotation: 1 });
  });

  it('resumes a rotated PAUSED key into its overlap, never past it', async () => {
    const { call, create } = await setup();
    const k = await create('k');
    await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    const rotated = await envelope<RotationView>(
      await call(`/api-keys/${k.id}/rotate`, { method: 'POST', json: { overlapSeconds: 300 } }),
    );
    const callNew = (path: string, init?: RequestInit & { json?: unknown }) =>
      app.withKey(rotated.data.newKey, `${BASE}${path}`, init);
    const resumed = await envelope<ApiKeyView>(await callNew(`/api-keys/${k.id}/resume`, { method: 'POST' }));
    expect(resumed.data).toMatchObject({
      id: k.id,
      status: 'PENDING_ROTATION',
      pausedUntil: null,
      expiresAt: rotated.data.overlapEndDate,
    });
    expect((await app.withKey(k.key, BASE)).status).toBe(200);
    clock.advance(300_000);
    expect((await app.withKey(k.key, BASE)).status).toBe(401);
    await expectError(
      await callNew(`/api-keys/${k.id}/resume`, { method: 'POST' }),
      400,
      'INVALID_INPUT',
      'Only PAUSED keys can be resumed',
    );
  });

  it('refuses to rotate a rotated PAUSED key again', async () => {
    const { call, create } = await setup();
    const k = await create('k');
    await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    expect((await call(`/api-keys/${k.id}/rotate`, { method: 'POST' })).status).toBe(200);
    await expectError(await call(`/api-keys/${k.id}/rotate`, { method: 'POST' }), 400, 'INVALID_INPUT');
  });
});

describe('a key in its rotation overlap only reads (read-only until it expires)', () => {
  const READ_ONLY = 'Only an ACTIVE key can change keys; a key in its rotation overlap can only read';

  async function rotatedSetup() {
    const base = await setup();
    const other = await base.create('other');
    const rotated = await envelope<RotationView>(
      await base.call(`/api-keys/${base.defaultId}/rotate`, {
        method: 'POST',
        json: { overlapSeconds: 3600 },
      }),
    );
    return { ...base, other, rotated: rotated.data };
  }

  it('may read the instance and the key list', async () => {
    const { inst, rotated } = await rotatedSetup();
    expect((await app.withKey(inst.apiKey, BASE)).status).toBe(200);
    const keys = await envelope<ApiKeyView[]>(await app.withKey(inst.apiKey, `${BASE}/api-keys`));
    expect(keys.data.map((k) => k.id)).toContain(rotated.newKeyId);
  });

  it('may not create, rotate, pause, resume, revoke or delete keys', async () => {
    const { inst, other, rotated, list } = await rotatedSetup();
    const before = await envelope<ApiKeyView[]>(await app.withKey(rotated.newKey, `${BASE}/api-keys`));
    const changes: Array<[string, RequestInit & { json?: unknown }]> = [
      ['/api-keys', { method: 'POST', json: { name: 'minted' } }],
      [`/api-keys/${other.id}/rotate`, { method: 'POST' }],
      [`/api-keys/${rotated.newKeyId}/rotate`, { method: 'POST' }],
      [`/api-keys/${rotated.newKeyId}/pause`, { method: 'POST', json: { durationSeconds: 600 } }],
      [`/api-keys/${other.id}/resume`, { method: 'POST' }],
      [`/api-keys/${rotated.newKeyId}/revoke`, { method: 'POST' }],
      [`/api-keys/${rotated.oldKeyId}/revoke`, { method: 'POST' }],
      [`/api-keys/${rotated.newKeyId}`, { method: 'DELETE' }],
    ];
    for (const [path, init] of changes) {
      await expectError(
        await app.withKey(inst.apiKey, `${BASE}${path}`, init),
        400,
        'INVALID_INPUT',
        READ_ONLY,
      );
    }
    const after = await envelope<ApiKeyView[]>(await app.withKey(rotated.newKey, `${BASE}/api-keys`));
    expect(after.data).toEqual(before.data);
    expect((await list()).length).toBe(3);
    // Its successor still may.
    expect(
      (await app.withKey(rotated.newKey, `${BASE}/api-keys`, { method: 'POST', json: { name: 'ok' } }))
        .status,
    ).toBe(201);
  });

  it('checks the caller in the database, not in its cached auth row', async () => {
    const { create } = await setup();
    const k = await create('k');
    expect((await app.withKey(k.key, BASE)).status).toBe(200); // cached as ACTIVE
    // Rotated behind the app's back: no invalidation, so the cache still says ACTIVE.
    await app.db.query(`UPDATE api_keys SET status = 'PENDING_ROTATION', expires_at = $2 WHERE id = $1`, [
      k.id,
      new Date(clock.now() + 3_600_000),
    ]);
    await expectError(
      await app.withKey(k.key, `${BASE}/api-keys`, { method: 'POST', json: { name: 'minted' } }),
      400,
      'INVALID_INPUT',
      READ_ONLY,
    );
  });
});

describe('pause and resume', () => {
  it('pauses a key until pausedUntil and resumes it', async () => {
    const { call, create } = await setup();
    const k = await create('p');
    const paused = await envelope<ApiKeyView>(
      await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 60 } }),
    );
    expect(paused.data).toMatchObject({
      id: k.id,
      status: 'PAUSED',
      pausedUntil: new Date(clock.now() + 60_000).toISOString(),
    });
    expect((await app.withKey(k.key, BASE)).status).toBe(401);
    const resumed = await envelope<ApiKeyView>(await call(`/api-keys/${k.id}/resume`, { method: 'POST' }));
    expect(resumed.data).toMatchObject({ id: k.id, status: 'ACTIVE', pausedUntil: null });
    expect((await app.withKey(k.key, BASE)).status).toBe(200);
  });

  it.each([59, 7_776_001, undefined])(
    'refuses durationSeconds %s with VALIDATION_ERROR',
    async (durationSeconds) => {
      const { call, create } = await setup();
      const k = await create('p');
      const body = await expectError(
        await call(`/api-keys/${k.id}/pause`, {
          method: 'POST',
          json: durationSeconds === undefined ? {} : { durationSeconds },
        }),
        400,
        'VALIDATION_ERROR',
      );
      expect(body.error.details?.[0]?.field).toBe('durationSeconds');
    },
  );

  it('refuses to pause a paused, revoked or rotating key, and to resume an active one', async () => {
    const { call, create } = await setup();
    const k = await create('p');
    await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } });
    await expectError(
      await call(`/api-keys/${k.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } }),
      400,
      'INVALID_INPUT',
    );
    const active = await create('a');
    await expectError(await call(`/api-keys/${active.id}/resume`, { method: 'POST' }), 400, 'INVALID_INPUT');
    await call(`/api-keys/${active.id}/revoke`, { method: 'POST' });
    await expectError(
      await call(`/api-keys/${active.id}/pause`, { method: 'POST', json: { durationSeconds: 600 } }),
      400,
      'INVALID_INPUT',
    );
  });
});

describe('revoke and delete', () => {
  it('revokes at once, keeps the record, and refuses a second revoke', async () => {
    const { call, list, create } = await setup();
    const k = await create('r');
    const res = await call(`/api-keys/${k.id}/revoke`, { method: 'POST' });
    expect(await envelope<MessageView>(res)).toMatchObject({
      success: true,
      data: { message: 'API key revoked' },
    });
    expect((await app.withKey(k.key, BASE)).status).toBe(401);
    expect((await list()).find((x) => x.id === k.id)?.status).toBe('REVOKED');
    await expectError(
      await call(`/api-keys/${k.id}/revoke`, { method: 'POST' }),
      400,
      'INVALID_INPUT',
      'Key already revoked',
    );
  });

  it('deletes the record', async () => {
    const { call, list, create } = await setup();
    const k = await create('d');
    const res = await call(`/api-keys/${k.id}`, { method: 'DELETE' });
    expect(await envelope<MessageView>(res)).toMatchObject({
      success: true,
      data: { message: 'API key deleted' },
    });
    expect((await list()).some((x) => x.id === k.id)).toBe(false);
    expect((await app.withKey(k.key, BASE)).status).toBe(401);
    await expectError(
      await call(`/api-keys/${k.id}`, { method: 'DELETE' }),
      404,
      'NOT_FOUND',
      'API key not found',
    );
  });
});

describe('isolation between instances', () => {
  it('answers 404 for another instance key id on every key route', async () => {
    const a = await setup();
    const b = await setup();
    const routes: Array<[string, RequestInit & { json?: unknown }]> = [
      [`/api-keys/${b.defaultId}/rotate`, { method: 'POST' }],
      [`/api-keys/${b.defaultId}/pause`, { method: 'POST', json: { durationSeconds: 600 } }],
      [`/api-keys/${b.defaultId}/resume`, { method: 'POST' }],
      [`/api-keys/${b.defaultId}/revoke`, { method: 'POST' }],
      [`/api-keys/${b.defaultId}`, { method: 'DELETE' }],
      ['/api-keys/key_000000000000000000000000/revoke', { method: 'POST' }],
      ['/api-keys/not-an-id/revoke', { method: 'POST' }],
    ];
    for (const [path, init] of routes)
      await expectError(await a.call(path, init), 404, 'NOT_FOUND', 'API key not found');
    expect((await b.list()).find((k) => k.id === b.defaultId)?.status).toBe('ACTIVE');
  });

  it('lists only the caller instance keys', async () => {
    const a = await setup();
    const b = await setup();
    expect((await a.list()).map((k) => k.id)).toEqual([a.defaultId]);
    expect((await b.list()).map((k) => k.id)).toEqual([b.defaultId]);
  });
});

describe('lastUsedAt', () => {
  it('records use without a database write per request, and shows it before the batch is flushed', async () => {
    const { inst, list, defaultId } = await setup();
    await app.withKey(inst.apiKey, BASE);
    const row = await app.db.query<{ last_used_at: Date | null }>(
      'SELECT last_used_at FROM api_keys WHERE id = $1',
      [defaultId],
    );
    expect(row.rows[0]?.last_used_at).toBeNull();
    expect((await list()).find((k) => k.id === defaultId)?.lastUsedAt).toBe(
      new Date(clock.now()).toISOString(),
    );
    await app.deps.usage.flush();
    const after = await app.db.query<{ last_used_at: Date | null }>(
      'SELECT last_used_at FROM api_keys WHERE id = $1',
      [defaultId],
    );
    expect(after.rows[0]?.last_used_at?.toISOString()).toBe(new Date(clock.now()).toISOString());
  });
});

describe('key management limit (SPEC §4.4: 30/min per instance)', () => {
  it('answers 429 past the per-instance limit with the limit headers', async () => {
    const limited = await startApp({ db: app.db, now: clock.now, limits: { keyMgmtPerMin: 3 } });
    try {
      const res = await limited.admin('/admin/instances', { method: 'POST', json: { name: 'L' } });
      const key = (await envelope<CreatedInstanceView>(res)).data.apiKey;
      for (let i = 0; i < 3; i += 1) {
        const ok = await limited.withKey(key, BASE);
        expect(ok.status).toBe(200);
        expect(ok.headers.get('x-ratelimit-limit')).toBe('3');
        expect(ok.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
      }
      const refused = await limited.withKey(key, `${BASE}/api-keys`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).not.toBeNull();
      expect((await errorEnvelope(refused)).metadata.retryAfter).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
