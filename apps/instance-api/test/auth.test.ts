// SPEC §4.2 authentication outcomes, through HTTP, on the embedded database (single node).
import { createFakeClock } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import {
  type ApiKeyView,
  type CreatedKeyView,
  createInstance,
  type ErrorEnvelope,
  envelope,
  errorEnvelope,
  type InstanceWithStatsView,
  itemAt,
  pgliteDatabase,
  type RotationView,
  startApp,
  useApp,
} from './harness.js';

const clock = createFakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
const app = useApp({ now: clock.now });

async function errorOf(
  res: Response,
): Promise<{ status: number; code: string; message: string; body: ErrorEnvelope }> {
  const body = await errorEnvelope(res);
  return { status: res.status, code: body.error.code, message: body.error.message, body };
}

describe('instance key authentication (SPEC §4.2)', () => {
  it('accepts a valid key and names the instance in metadata and X-Request-Id', async () => {
    const inst = await createInstance(app);
    const res = await app.withKey(inst.apiKey, '/api/v2/instance');
    const body = await envelope<InstanceWithStatsView>(res);
    expect(res.status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.metadata.instanceId).toBe(inst.id);
    expect(body.metadata.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('answers 401 AUTH_REQUIRED for an absent or empty header', async () => {
    for (const headers of [{}, { 'x-api-key': '' }]) {
      const res = await fetch(`${app.url}/api/v2/instance`, { headers });
      expect(await errorOf(res)).toMatchObject({
        status: 401,
        code: 'AUTH_REQUIRED',
        message: 'API key required',
      });
    }
  });

  it('authenticates every path under /api/v2, and serves paths only as they are spelt (case-sensitive)', async () => {
    const inst = await createInstance(app);
    for (const path of ['/api/v2', '/api/v2/', '/api/v2/nowhere', '/api/v2/instance/']) {
      const res = await fetch(`${app.url}${path}`);
      expect((await errorOf(res)).code, path).toBe('AUTH_REQUIRED');
    }
    // Another case is another path: no route, with or without a key (never a route without auth).
    for (const path of ['/API/V2/instance', '/Api/v2/instance/api-keys']) {
      expect((await errorOf(await fetch(`${app.url}${path}`))).code, path).toBe('NOT_FOUND');
    }
    expect((await errorOf(await fetch(`${app.url}/api/v2/Instance/api-keys`))).code).toBe('AUTH_REQUIRED');
    for (const path of ['/API/V2/instance', '/Api/v2/instance/api-keys', '/api/v2/Instance/api-keys']) {
      expect((await errorOf(await app.withKey(inst.apiKey, path))).code, path).toBe('NOT_FOUND');
    }
    expect((await app.withKey(inst.apiKey, '/api/v2/instance/')).status).toBe(200);
    // Not under the prefix: no auth, plain 404.
    expect((await errorOf(await fetch(`${app.url}/api/v2x/instance`))).code).toBe('NOT_FOUND');
  });

  it('accepts the header name in any case', async () => {
    const inst = await createInstance(app);
    const res = await fetch(`${app.url}/api/v2/instance`, { headers: { 'X-API-KEY': inst.apiKey } });
    expect(res.status).toBe(200);
  });

  const failed = { status: 401, code: 'AUTH_FAILED', message: 'Invalid or expired API key' };

  it('answers AUTH_FAILED with one message for malformed and unknown keys', async () => {
    const inst = await createInstance(app);
    const unknown = `trusset_${inst.instanceRef}_${'0'.repeat(64)}`;
    for (const key of [
      'nonsense',
      `${inst.apiKey}x`,
      unknown,
      'x'.repeat(300),
      `trusset_v2_${inst.apiKey.slice(8)}`,
    ]) {
      expect(await errorOf(await app.withKey(key, '/api/v2/instance'))).toMatchObject(failed);
    }
  });

  it('answers AUTH_FAILED for a revoked key', async () => {
    const inst = await createInstance(app);
    const created = await envelope<CreatedKeyView>(
      await app.withKey(inst.apiKey, '/api/v2/instance/api-keys', { method: 'POST', json: { name: 'r' } }),
    );
    await app.withKey(inst.apiKey, `/api/v2/instance/api-keys/${created.data.id}/revoke`, { method: 'POST' });
    expect(await errorOf(await app.withKey(created.data.key, '/api/v2/instance'))).toMatchObject(failed);
  });

  it('answers AUTH_FAILED for a paused key, and accepts it again after pausedUntil, served from a warm cache', async () => {
    const inst = await createInstance(app);
    const list = await envelope<ApiKeyView[]>(await app.withKey(inst.apiKey, '/api/v2/instance/api-keys'));
    const defaultId = itemAt(list.data, 0).id;
    const spare = await envelope<CreatedKeyView>(
      await app.withKey(inst.apiKey, '/api/v2/instance/api-keys', { method: 'POST', json: { name: 's' } }),
    );
    const pause = await app.withKey(spare.data.key, `/api/v2/instance/api-keys/${defaultId}/pause`, {
      method: 'POST',
      json: { durationSeconds: 3600 },
    });
    expect(pause.status).toBe(200);
    expect(await errorOf(await app.withKey(inst.apiKey, '/api/v2/instance'))).toMatchObject(failed);
    const loadsBefore = app.deps.keyCache.stats().loads;
    clock.advance(3600_000 - 1);
    expect((await app.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(401);
    clock.advance(1);
    expect((await app.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
    // The decision changed with the clock alone: the cached row was not reloaded.
    expect(app.deps.keyCache.stats().loads).toBe(loadsBefore);
  });

  it('accepts a rotated key until overlapEndDate and refuses it after, served from a warm cache', async () => {
    const inst = await createInstance(app);
    const list = await envelope<ApiKeyView[]>(await app.withKey(inst.apiKey, '/api/v2/instance/api-keys'));
    const rotated = await envelope<RotationView>(
      await app.withKey(inst.apiKey, `/api/v2/instance/api-keys/${itemAt(list.data, 0).id}/rotate`, {
        method: 'POST',
        json: { overlapSeconds: 600 },
      }),
    );
    expect(rotated.data.overlapEndDate).toBe(new Date(clock.now() + 600_000).toISOString());
    expect((await app.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
    expect((await app.withKey(rotated.data.newKey, '/api/v2/instance')).status).toBe(200);
    const loadsBefore = app.deps.keyCache.stats().loads;
    clock.advance(600_000 - 1);
    expect((await app.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
    clock.advance(1);
    expect(await errorOf(await app.withKey(inst.apiKey, '/api/v2/instance'))).toMatchObject(failed);
    expect((await app.withKey(rotated.data.newKey, '/api/v2/instance')).status).toBe(200);
    expect(app.deps.keyCache.stats().loads).toBe(loadsBefore);
  });

  it('answers AUTH_FAILED for every key of an archived instance, and accepts them again once unarchived', async () => {
    const inst = await createInstance(app);
    expect((await app.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
    await app.admin(`/admin/instances/${inst.id}/archive`, { method: 'POST' });
    expect(await errorOf(await app.withKey(inst.apiKey, '/api/v2/instance'))).toMatchObject(failed);
    await app.admin(`/admin/instances/${inst.id}/unarchive`, { method: 'POST' });
    expect((await app.withKey(inst.apiKey, '/api/v2/instance')).status).toBe(200);
  });

  it('answers 403 SERVICE_NOT_ENABLED for a service the instance has off, and 200 once enabled', async () => {
    const inst = await createInstance(app, { name: 'Narrow', services: ['custody'] });
    expect((await app.withKey(inst.apiKey, '/api/v2/services/custody')).status).toBe(200);
    const refused = await errorOf(await app.withKey(inst.apiKey, '/api/v2/services/trading'));
    expect(refused).toMatchObject({ status: 403, code: 'SERVICE_NOT_ENABLED' });
    await app.admin(`/admin/instances/${inst.id}`, {
      method: 'PATCH',
      json: { services: ['custody', 'trading'] },
    });
    expect((await app.withKey(inst.apiKey, '/api/v2/services/trading')).status).toBe(200);
  });

  it('answers 500 AUTH_ERROR, never AUTH_FAILED, when the database is unreachable and the key is not cached', async () => {
    const lonelyDb = await pgliteDatabase();
    const lonely = await startApp({ db: lonelyDb });
    const inst = await createInstance(lonely);
    await lonelyDb.close();
    const res = await lonely.withKey(`trusset_${inst.instanceRef}_${'e'.repeat(64)}`, '/api/v2/instance');
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text).error).toEqual({ code: 'AUTH_ERROR', message: 'Authentication failed' });
    await lonely.close();
  });
});
